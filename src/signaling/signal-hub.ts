import { SignalingError, type PeerSignal, type Role } from './protocol.js';

type Inbound = PeerSignal | { type: 'peer-left' };

/**
 * The part every SignalingChannel shares: the `ready` promise and fan-out to subscribers, with
 * signals that arrive before anyone subscribed held until someone does (an offer can outrun the
 * code that attaches the handler).
 */
export class SignalHub {
  readonly ready: Promise<Role>;
  private resolveReady!: (role: Role) => void;
  private rejectReady!: (err: Error) => void;
  private readonly handlers = new Set<(signal: Inbound) => void>();
  private readonly early: Inbound[] = [];
  private static readonly MAX_EARLY = 256;

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
    if (this.handlers.size === 0) {
      if (this.early.length < SignalHub.MAX_EARLY) this.early.push(signal);
      return;
    }
    for (const handler of this.handlers) handler(signal);
  }

  subscribe(handler: (signal: Inbound) => void): () => void {
    this.handlers.add(handler);
    for (const signal of this.early.splice(0)) handler(signal);
    return () => this.handlers.delete(handler);
  }
}
