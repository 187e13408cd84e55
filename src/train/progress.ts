import type { EpochProgress } from './model.js';

/**
 * One progress bar per epoch, redrawn in place while the epoch runs and left on screen with its
 * losses when it ends. `write` is the sink (process.stderr in the CLI, a DOM node in a page).
 */
export function epochProgressBar(write: (text: string) => void, width = 30): (p: EpochProgress) => void {
  let drawn = -1;
  return (p) => {
    const filled = Math.round((p.batch / Math.max(1, p.batches)) * width);
    const done = p.validationLoss !== undefined;
    // Redraw only when the bar grows: a write per batch would flood a slow terminal.
    if (!done && filled === drawn) return;
    drawn = done ? -1 : filled;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const head = `epoch ${String(p.epoch).padStart(String(p.epochs).length)}/${p.epochs} [${bar}] loss ${p.loss.toFixed(4)}`;
    write(done ? `\r${head}  val_loss ${(p.validationLoss as number).toFixed(4)}\n` : `\r${head}`);
  };
}
