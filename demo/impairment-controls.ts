// The link-impairment sliders: they turn into an ImpairmentConfig (or null for a clean link)
// that the page applies to its peers' sending side as the visitor moves them.
import { lossSpecFor, type ImpairmentConfig } from '../src/transport/impaired-channel.js';
import type { InjectedImpairment } from './metrics.js';

export interface ImpairmentSettings extends InjectedImpairment {
  burst: number;
  delayMs: number;
  jitterMs: number;
}

export function toImpairmentConfig(s: ImpairmentSettings): ImpairmentConfig | null {
  if (s.lossPercent === 0 && s.delayMs === 0 && s.jitterMs === 0 && s.rateMbit === 0) return null;
  return {
    loss: lossSpecFor(s.lossPercent / 100, s.burst),
    delayMs: s.delayMs,
    jitterMs: s.jitterMs,
    ...(s.rateMbit > 0 ? { rateBitsPerSecond: s.rateMbit * 1e6 } : {}),
  };
}

type Knob = 'loss' | 'burst' | 'delay' | 'jitter' | 'rate';

export class ImpairmentControls {
  private readonly inputs: Record<Knob, HTMLInputElement>;

  constructor(
    private readonly form: HTMLFormElement,
    onChange: (config: ImpairmentConfig | null) => void,
  ) {
    const input = (id: string) => form.querySelector<HTMLInputElement>(`#${id}`)!;
    this.inputs = { loss: input('loss'), burst: input('burst'), delay: input('delay'), jitter: input('jitter'), rate: input('rate') };
    const changed = () => {
      this.showValues();
      onChange(toImpairmentConfig(this.settings));
    };
    form.addEventListener('input', changed);
    // A reset restores the defaults after the event: read them once it has.
    form.addEventListener('reset', () => setTimeout(changed));
    this.showValues();
  }

  get settings(): ImpairmentSettings {
    const v = (k: Knob) => Number(this.inputs[k].value);
    return { lossPercent: v('loss'), burst: v('burst'), delayMs: v('delay'), jitterMs: v('jitter'), rateMbit: v('rate') };
  }

  get config(): ImpairmentConfig | null {
    return toImpairmentConfig(this.settings);
  }

  private showValues(): void {
    const s = this.settings;
    const out = (id: string, text: string) => (this.form.querySelector<HTMLOutputElement>(`#${id}-value`)!.textContent = text);
    out('loss', `${s.lossPercent} %`);
    out('burst', s.burst === 1 ? '1 packet (independent)' : `${s.burst} packets`);
    out('delay', `${s.delayMs} ms`);
    out('jitter', `${s.jitterMs} ms`);
    out('rate', s.rateMbit > 0 ? `${s.rateMbit} Mbit/s` : 'none');
  }
}
