/**
 * One re-armable timer for the engine driver, without the HTML timer-nesting clamp.
 *
 * Browsers raise a `setTimeout` set from inside a timer callback, five levels deep, to at least
 * 4 ms (HTML "timer nesting level"). An engine that paces its datagrams re-arms its timer from
 * the previous one, so every pacing wake-up came 4 ms or more late (Chromium workers: 1 ms asked,
 * 3.2 ms late at the median): a sender paced at 7 MB/s delivered 5. Here the timer's callback
 * only posts to a MessageChannel, and the work runs in that message task, which is not a timer
 * task: the next timer it sets starts at nesting level 0 (1 ms asked: 0.2 ms late at the median).
 *
 * Delays are rounded up to whole ms: Chromium rounds sub-millisecond delays down, to 0, and a
 * timer that fires before its time only makes the driver poll again. Node (worker_threads and
 * inline) has no nesting clamp: there the timer is a plain setTimeout.
 */
export class WakeTimer {
  private timeout: ReturnType<typeof setTimeout> | undefined;
  private waiting = false;
  /** Bumped on every arm and cancel: a message posted for an older arming is ignored. */
  private generation = 0;
  /** Disposed: arming does nothing (its port is closed). */
  private disposed = false;
  private readonly port: { post(generation: number): void; close(): void } | undefined;

  constructor(private readonly fire: () => void) {
    this.port = unnestedPort((generation) => {
      if (generation !== this.generation) return;
      this.waiting = false;
      this.fire();
    });
  }

  /** Armed and not yet fired. */
  get armed(): boolean {
    return this.waiting;
  }

  /** Fires once after `delayMs` (replacing any earlier arming). */
  arm(delayMs: number): void {
    if (this.disposed) return;
    this.cancel();
    const generation = this.generation;
    const port = this.port;
    this.waiting = true;
    this.timeout = setTimeout(
      () => {
        this.timeout = undefined;
        if (port) return port.post(generation);
        this.waiting = false;
        this.fire();
      },
      Math.max(0, Math.ceil(delayMs)),
    );
  }

  /**
   * Fires in a new task, behind the tasks already queued (a MessageChannel message; Node:
   * setImmediate), unless already armed to fire sooner or as soon.
   */
  soon(): void {
    if (this.disposed || (this.waiting && this.timeout === undefined)) return;
    this.cancel();
    const generation = this.generation;
    this.waiting = true;
    if (this.port) return this.port.post(generation);
    const run = () => {
      if (generation !== this.generation) return;
      this.waiting = false;
      this.fire();
    };
    if (typeof setImmediate === 'function') setImmediate(run);
    else this.timeout = setTimeout(run, 0);
  }

  cancel(): void {
    this.generation++;
    this.waiting = false;
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.timeout = undefined;
  }

  /** Cancels and releases the message port. */
  dispose(): void {
    this.disposed = true;
    this.cancel();
    this.port?.close();
  }
}

function unnestedPort(onMessage: (generation: number) => void): { post(generation: number): void; close(): void } | undefined {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (isNode || typeof MessageChannel === 'undefined') return undefined;
  const channel = new MessageChannel();
  channel.port1.onmessage = (event: MessageEvent<number>) => onMessage(event.data);
  return {
    post: (generation) => channel.port2.postMessage(generation),
    close: () => {
      channel.port1.onmessage = null;
      channel.port1.close();
      channel.port2.close();
    },
  };
}
