/**
 * Deterministic discrete-event driver: two sans-IO endpoints joined by two impaired Links under
 * a virtual clock. Same seed, same endpoints, same workload => the same run, event for event.
 */
import { Link, type LinkConfig, type OfferOutcome } from './link.js';
import { TimeHeap } from './min-heap.js';
import { Rng } from './rng.js';

/** What the engine (and any simulated peer) implements. Time is ms on the caller's clock. */
export interface Endpoint {
  handleDatagram(bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | undefined;
  nextTimeout(): number | undefined;
}

export type Side = 'a' | 'b';

/** Per-datagram observation points, e.g. for trace recording (the link knows lost vs late). */
export interface SimulationHooks {
  onTransmit?(from: Side, bytes: Uint8Array, now: number, outcome: OfferOutcome): void;
  onDeliver?(to: Side, bytes: Uint8Array, now: number): void;
}

export interface SimulationOptions {
  seed: number;
  aToB?: Partial<LinkConfig>;
  bToA?: Partial<LinkConfig>;
  /** Endpoint calls and datagrams allowed before the run is declared stuck (default 20 million). */
  maxSteps?: number;
  hooks?: SimulationHooks;
  startTime?: number;
}

export class SimulationStepBudgetError extends Error {
  constructor(steps: number, now: number) {
    super(
      `simulation exceeded its budget of ${steps} steps at t=${now} ms: an endpoint may keep returning datagrams from pollTransmit(), ` +
        'or a nextTimeout() that does not move past now after handleTimeout(); raise maxSteps if the workload is really that large',
    );
    this.name = 'SimulationStepBudgetError';
  }
}

export class Simulation {
  readonly aToB: Link;
  readonly bToA: Link;
  private clock: number;
  private stepCount = 0;
  private readonly maxSteps: number;
  private readonly callbacks = new TimeHeap<(now: number) => void>();
  private readonly hooks: SimulationHooks;

  constructor(
    readonly a: Endpoint,
    readonly b: Endpoint,
    options: SimulationOptions,
  ) {
    const rng = new Rng(options.seed);
    this.aToB = new Link(rng.fork('a->b'), options.aToB);
    this.bToA = new Link(rng.fork('b->a'), options.bToA);
    this.clock = options.startTime ?? 0;
    this.maxSteps = options.maxSteps ?? 20_000_000;
    this.hooks = options.hooks ?? {};
  }

  get now(): number {
    return this.clock;
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Runs `fn(now)` at virtual time `at` (e.g. "send a message at t"); same-time callbacks run in call order. */
  schedule(at: number, fn: (now: number) => void): void {
    if (!(at >= this.clock)) throw new RangeError(`cannot schedule at ${at} ms: the clock is already at ${this.clock} ms`);
    this.callbacks.push(at, fn);
  }

  /** Processes every event up to and including time t, then sets the clock to t. */
  runUntil(t: number): void {
    this.advance(t);
    this.clock = Math.max(this.clock, t);
  }

  /**
   * Runs until nothing is left to happen (no packet in flight, no timer, no scheduled callback)
   * or the next event lies beyond maxTime. Returns true when the run went idle.
   */
  runUntilIdle(maxTime: number): boolean {
    return this.advance(maxTime);
  }

  /** Earliest pending event, or undefined when idle. */
  nextEventTime(): number | undefined {
    let t: number | undefined;
    for (const candidate of [this.aToB.nextDeliveryTime(), this.bToA.nextDeliveryTime(), this.a.nextTimeout(), this.b.nextTimeout(), this.callbacks.peekTime()]) {
      if (candidate !== undefined && (t === undefined || candidate < t)) t = candidate;
    }
    return t;
  }

  private advance(limit: number): boolean {
    for (;;) {
      this.flush();
      const t = this.nextEventTime();
      if (t === undefined) return true;
      if (t > limit) return false;
      // An overdue timeout fires now: virtual time never runs backwards.
      this.clock = Math.max(this.clock, t);
      this.processDue();
    }
  }

  /** One round of everything due at the current time: deliveries, then callbacks, then timeouts. */
  private processDue(): void {
    const now = this.clock;
    this.deliver(this.aToB, this.b, 'b', now);
    this.deliver(this.bToA, this.a, 'a', now);
    for (let fn = this.callbacks.popDue(now); fn; fn = this.callbacks.popDue(now)) {
      this.step();
      fn(now);
      this.flush();
    }
    for (const endpoint of [this.a, this.b]) {
      const due = endpoint.nextTimeout();
      if (due !== undefined && due <= now) {
        this.step();
        endpoint.handleTimeout(now);
        this.flush();
      }
    }
  }

  private deliver(link: Link, to: Endpoint, side: Side, now: number): void {
    for (let packet = link.poll(now); packet; packet = link.poll(now)) {
      this.step();
      this.hooks.onDeliver?.(side, packet, now);
      to.handleDatagram(packet, now);
      this.flush();
    }
  }

  /** Moves every datagram the endpoints want to send onto their outgoing links at the current time. */
  private flush(): void {
    this.drain(this.a, this.aToB, 'a');
    this.drain(this.b, this.bToA, 'b');
  }

  private drain(from: Endpoint, link: Link, side: Side): void {
    for (let datagram = from.pollTransmit(); datagram; datagram = from.pollTransmit()) {
      this.step();
      const outcome = link.offer(datagram, this.clock);
      this.hooks.onTransmit?.(side, datagram, this.clock, outcome);
    }
  }

  private step(): void {
    if (++this.stepCount > this.maxSteps) throw new SimulationStepBudgetError(this.maxSteps, this.clock);
  }
}
