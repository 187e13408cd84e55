import { SignalingError, type PeerSignal, type Role } from './protocol.js';

type Inbound = PeerSignal | { type: 'peer-left' };

/**
 * The part every SignalingChannel shares: the `ready` promise and fan-out to subscribers. Every
 * subscriber also gets the signals that arrived before it subscribed: an offer can outrun the
 * code that starts negotiating, and an earlier subscriber (say, one that only watches for the
 * peer leaving) must not swallow it.
 */
export class SignalHub {
  readonly ready: Promise<Role>;
  private resolveReady!: (role: Role) => void;
  private rejectReady!: (err: Error) => void;
  private readonly handlers = new Set<(signal: Inbound) => void>();
  /** Everything received so far, replayed to late subscribers (a session's signals are few). */
  private readonly history: Inbound[] = [];
  private static readonly MAX_HISTORY = 512;

  constructor() {
    this.ready = new Promise<Role>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A rejection nobody awaited yet must not surface as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  becomeReady(role: Role): void {
    this.resolveReady(role);
  }

  fail(err: SignalingError): void {
    this.rejectReady(err);
  }

  deliver(signal: Inbound): void {
    if (this.history.length < SignalHub.MAX_HISTORY) this.history.push(signal);
    for (const handler of this.handlers) handler(signal);
  }

  /** Drops the history and every subscriber: nothing more will be delivered or replayed. */
  clear(): void {
    this.history.length = 0;
    this.handlers.clear();
  }

  subscribe(handler: (signal: Inbound) => void): () => void {
    this.handlers.add(handler);
    for (const signal of this.history) handler(signal);
    return () => this.handlers.delete(handler);
  }
}
