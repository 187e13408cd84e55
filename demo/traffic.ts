// Steady background traffic from the sending peer, so the charts have something to measure even
// when nobody chats: 16 KiB messages ten times a second, unordered, never more than a few
// outstanding (above capacity it backs off instead of queueing without bound).
import { encodeDemoMessage } from '../src/cli/demo-protocol.js';
import type { SendFn } from '../src/cli/demo-files.js';

const MESSAGE_BYTES = 16 * 1024;
const INTERVAL_MS = 100;
const MAX_OUTSTANDING = 8;

export class SteadyTraffic {
  private timer: ReturnType<typeof setInterval> | undefined;
  private outstanding = 0;

  start(send: SendFn): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.outstanding >= MAX_OUTSTANDING) return;
      this.outstanding++;
      send(encodeDemoMessage({ kind: 'filler', bytes: new Uint8Array(MESSAGE_BYTES) }), { ordered: false })
        .catch(() => undefined)
        .finally(() => this.outstanding--);
    }, INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
