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
  /** `lane`: the FIFO lane the datagram will take, where the simulation has several (`lanes`). */
  pollTransmit(lane?: number): Uint8Array | undefined;
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
  /**
   * Striping: each direction is this many links, each configured like `aToB` / `bToA` and then
   * by its entry in `laneLinks` (e.g. more delay on one), like StripedChannel's stripes. Datagrams
   * take them in turn, and the endpoint is told each datagram's lane (default 1: one link, no lanes).
   */
  lanes?: number;
  laneLinks?: Partial<LinkConfig>[];
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
  /** Lane 0's links (the only ones without striping). */
  readonly aToB: Link;
  readonly bToA: Link;
  /** Every lane's link per direction. */
  readonly aToBLanes: Link[];
  readonly bToALanes: Link[];
  private readonly nextLane = { a: 0, b: 0 };
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
    const lanes = options.lanes ?? 1;
    // Lane 0 draws from the same stream as an unstriped run, so one lane reproduces it exactly.
    const link = (direction: string, base: Partial<LinkConfig> | undefined, lane: number) =>
      new Link(rng.fork(lane === 0 ? direction : `${direction} lane ${lane}`), { ...base, ...options.laneLinks?.[lane] });
    this.aToBLanes = Array.from({ length: lanes }, (_, i) => link('a->b', options.aToB, i));
    this.bToALanes = Array.from({ length: lanes }, (_, i) => link('b->a', options.bToA, i));
    this.aToB = this.aToBLanes[0]!;
    this.bToA = this.bToALanes[0]!;
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
    const consider = (candidate: number | undefined) => {
      if (candidate !== undefined && (t === undefined || candidate < t)) t = candidate;
    };
    for (const link of this.aToBLanes) consider(link.nextDeliveryTime());
    for (const link of this.bToALanes) consider(link.nextDeliveryTime());
    consider(this.a.nextTimeout());
    consider(this.b.nextTimeout());
    consider(this.callbacks.peekTime());
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
    for (const link of this.aToBLanes) this.deliver(link, this.b, 'b', now);
    for (const link of this.bToALanes) this.deliver(link, this.a, 'a', now);
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
    this.drain(this.a, this.aToBLanes, 'a');
    this.drain(this.b, this.bToALanes, 'b');
  }

  private drain(from: Endpoint, links: Link[], side: Side): void {
    for (;;) {
      const lane = links.length > 1 ? this.nextLane[side] : undefined;
      const datagram = from.pollTransmit(lane);
      if (!datagram) return;
      this.step();
      if (lane !== undefined) this.nextLane[side] = (lane + 1) % links.length;
      const outcome = links[lane ?? 0]!.offer(datagram, this.clock);
      this.hooks.onTransmit?.(side, datagram, this.clock, outcome);
    }
  }

  private step(): void {
    if (++this.stepCount > this.maxSteps) throw new SimulationStepBudgetError(this.maxSteps, this.clock);
  }
}
