// JSON lines from a child process's stdout (the fixtures' way of reporting), with waits on them.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Line = Record<string, unknown>;

export class ChildLines {
  readonly lines: Line[] = [];
  private stderr = '';
  private readonly waiters = new Set<() => void>();
  private exited = false;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Line);
      } catch {
        this.stderr += `(stdout) ${text}\n`;
      }
      this.wake();
    });
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.once('close', () => {
      this.exited = true;
      this.wake();
    });
  }

  /** The first line matching `match`, waiting for it; rejects with the child's stderr on exit or timeout. */
  async waitFor(match: (line: Line) => boolean, timeoutMs: number): Promise<Line> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.exited || Date.now() > end) {
        throw new Error(`${this.exited ? 'child exited' : `no such line within ${timeoutMs} ms`}; stderr:\n${this.stderr.trim()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, end - Date.now()) + 1);
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
