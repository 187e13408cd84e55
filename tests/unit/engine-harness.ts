/**
 * Test support: two PduEngines joined by the simulator's impaired links under a virtual clock,
 * with a workload runner that records what each side saw. Not a test file itself.
 */
import { PduEngine, type PduEngineOptions, type PduEvent, type SendOptions } from '../../src/engine/index.js';
import { Simulation, type Endpoint } from '../../src/transport/simulation.js';
import type { LinkConfig } from '../../src/transport/link.js';
import { Rng } from '../../src/transport/rng.js';

/** Adapts a PduEngine to the simulator and collects its events as they happen. */
export class EngineEndpoint implements Endpoint {
  readonly events: PduEvent[] = [];
  private readonly listeners: ((e: PduEvent, now: number) => void)[] = [];
  private now = 0;

  constructor(readonly engine: PduEngine) {}

  on(listener: (e: PduEvent, now: number) => void): void {
    this.listeners.push(listener);
  }

  handleDatagram(bytes: Uint8Array, now: number): void {
    this.now = now;
    this.engine.handleDatagram(bytes, now);
    this.drain();
  }

  handleTimeout(now: number): void {
    this.now = now;
    this.engine.handleTimeout(now);
    this.drain();
  }

  pollTransmit(lane?: number): Uint8Array | undefined {
    return this.engine.pollTransmit(undefined, lane);
  }

  nextTimeout(): number | undefined {
    return this.engine.nextTimeout();
  }

  send(data: Uint8Array, opts: SendOptions | undefined, now: number): string {
    this.now = now;
    const id = this.engine.send(data, opts, now);
    this.drain();
    return id;
  }

  connect(now: number): void {
    this.engine.connect(now);
    this.drain();
  }

  private drain(): void {
    for (let e = this.engine.pollEvent(); e; e = this.engine.pollEvent()) {
      this.events.push(e);
      for (const l of this.listeners) l(e, this.now);
    }
  }
}

export interface PairOptions {
  seed: number;
  /** One-way delay (ms) both ways unless aToB/bToA override it. */
  delayMs?: number;
  aToB?: Partial<LinkConfig>;
  bToA?: Partial<LinkConfig>;
  /** Striped paths: Simulation's `lanes` and `laneLinks`. */
  lanes?: number;
  laneLinks?: Partial<LinkConfig>[];
  engine?: Omit<PduEngineOptions, 'role'>;
  maxSteps?: number;
}

export interface Pair {
  sim: Simulation;
  a: EngineEndpoint;
  b: EngineEndpoint;
}

/** Deterministic randomness for the handshake, so a seed reproduces a run exactly. */
export function seededRandomBytes(seed: number): (n: number) => Uint8Array {
  const rng = new Rng(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(rng.next() * 256);
    return out;
  };
}

export function makePair(o: PairOptions): Pair {
  const base = o.engine ?? {};
  const a = new EngineEndpoint(
    new PduEngine({ ...base, role: 'initiator', security: { ...base.security, randomBytes: seededRandomBytes(o.seed * 2 + 1) } }),
  );
  const b = new EngineEndpoint(
    new PduEngine({ ...base, role: 'responder', security: { ...base.security, randomBytes: seededRandomBytes(o.seed * 2 + 2) } }),
  );
  const delayMs = o.delayMs ?? 25;
  const sim = new Simulation(a, b, {
    seed: o.seed,
    aToB: { delayMs, ...o.aToB },
    bToA: { delayMs, ...o.bToA },
    ...(o.lanes !== undefined ? { lanes: o.lanes } : {}),
    ...(o.laneLinks !== undefined ? { laneLinks: o.laneLinks } : {}),
    maxSteps: o.maxSteps ?? 50_000_000,
  });
  return { sim, a, b };
}

/**
 * Loses, at `endpoint`'s door, the first `count` datagrams that match (checked as they arrive);
 * returns how many it has dropped so far.
 */
export function dropIncoming(endpoint: EngineEndpoint, match: (d: Uint8Array) => boolean, count = 1): () => number {
  let dropped = 0;
  const handle = endpoint.handleDatagram.bind(endpoint);
  endpoint.handleDatagram = (bytes, now) => {
    if (dropped < count && match(bytes)) {
      dropped++;
      return;
    }
    handle(bytes, now);
  };
  return () => dropped;
}

/** Connects both sides (before any loss is switched on, as real stacks do) and returns when both report `connected`. */
export function connect(pair: Pair, limitMs = 10_000): void {
  pair.sim.schedule(pair.sim.now, (now) => pair.a.connect(now));
  const done = () => pair.a.events.some((e) => e.type === 'connected') && pair.b.events.some((e) => e.type === 'connected');
  const deadline = pair.sim.now + limitMs;
  while (!done() && pair.sim.now < deadline) pair.sim.runUntil(pair.sim.now + 5);
  if (!done()) throw new Error('handshake did not complete');
}

/**
 * Sends `count` small messages a -> b, `gapMs` apart, and lets them settle: the sender's RTT
 * variation, which starts at half the first sample, has converged to the path's afterwards.
 */
export function settleRtt(pair: Pair, count = 30, gapMs = 20): void {
  for (let i = 0; i < count; i++) pair.sim.schedule(pair.sim.now + i * gapMs, (now) => pair.a.send(new Uint8Array(1000), { ordered: false }, now));
  pair.sim.runUntil(pair.sim.now + count * gapMs + 500);
}

/**
 * Sends `count` unordered messages of `size` bytes (payload(i, size)) from a to b, one every
 * `gapMs`, runs until all could have arrived, and returns their latencies, shortest first.
 */
export function timedMessages(pair: Pair, count: number, size: number, gapMs = 200, drainMs = 3000): number[] {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  pair.b.on((e, now) => {
    if (e.type === 'message') latencies.push(now - sentAt.get(new DataView(e.data.buffer, e.data.byteOffset).getUint32(0))!);
  });
  const start = pair.sim.now;
  for (let i = 0; i < count; i++) {
    pair.sim.schedule(start + i * gapMs, (now) => {
      sentAt.set(i, now);
      pair.a.send(payload(i, size), { ordered: false }, now);
    });
  }
  pair.sim.runUntil(start + count * gapMs + drainMs);
  return latencies.sort((x, y) => x - y);
}

/** Fills a message with bytes derived from its index, so the receiver can check integrity. */
export function payload(index: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (index * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  if (size >= 4) new DataView(out.buffer).setUint32(0, index);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** CONTRACTS.md mixed sizes: 80% 100 B-2 KiB, 15% 2-64 KiB, 5% 64 KiB-1 MiB (uniform within each). */
export function mixedSize(rng: Rng): number {
  const u = rng.next();
  const uniform = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  if (u < 0.8) return uniform(100, 2048);
  if (u < 0.95) return uniform(2049, 65_536);
  return uniform(65_537, 1_048_576);
}

/**
 * `count` mixed-size messages at `ratePerSecond`: a `deadlineShare` of them unordered with a
 * deadline of 20-400 ms (some shorter than a round trip, so they expire), the rest split between
 * reliable ordered and reliable unordered.
 */
export function mixedWorkload(seed: number, count: number, ratePerSecond: number, deadlineShare: number): WorkloadMessage[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, index) => {
    const size = mixedSize(rng);
    const kind = rng.next();
    const opts =
      kind < deadlineShare
        ? { ordered: false, deadlineMs: 20 + Math.floor(rng.next() * 380) }
        : kind < 0.5 + deadlineShare / 2
          ? { ordered: true }
          : { ordered: false };
    return { index, size, at: (index * 1000) / ratePerSecond, opts };
  });
}

/**
 * Checks the delivery contract of a finished workload: every message received at most once and
 * byte-identical, ordered ones in order, every reliable one received and delivered, every
 * deadline one either received or reported expired. Returns the count of expired messages.
 */
export function checkDeliveryContract(r: WorkloadResult, check: (ok: boolean, what: string) => void): number {
  let lastOrdered = -1;
  for (const [id, got] of [...r.received.entries()].sort((x, y) => x[1].order - y[1].order)) {
    const m = r.sentIds.get(id);
    check(m !== undefined, `received id ${id} was sent`);
    if (!m) continue;
    check(got.count === 1, `message ${m.index} delivered once (got ${got.count})`);
    check(sameBytes(got.data, payload(m.index, m.size)), `message ${m.index} intact`);
    if (m.opts.ordered) {
      check(m.index > lastOrdered, `ordered message ${m.index} after ${lastOrdered}`);
      lastOrdered = m.index;
    }
  }
  let expired = 0;
  for (const [id, m] of r.sentIds) {
    if (r.expired.has(id)) expired++;
    if (m.opts.deadlineMs === undefined && m.opts.reliable !== false) {
      check(r.received.has(id) && r.delivered.has(id) && !r.expired.has(id), `reliable message ${m.index} received and delivered`);
    } else {
      check(r.received.has(id) !== r.expired.has(id), `deadline message ${m.index} received or reported expired, not both`);
    }
  }
  return expired;
}

export interface WorkloadMessage {
  index: number;
  size: number;
  at: number;
  opts: SendOptions;
}

export interface WorkloadResult {
  sentIds: Map<string, WorkloadMessage>;
  /** Receive time and bytes per id, with the count of times each arrived. */
  received: Map<string, { at: number; data: Uint8Array; count: number; order: number }>;
  expired: Set<string>;
  delivered: Set<string>;
  finishedAt: number;
}

/**
 * Sends the messages from a to b at their times and runs until every message is received or
 * expired (or `limitMs` passes), then `drainMs` longer so that CANCELs and late packets land.
 * Throws on backpressure: workloads stay under the caps.
 */
export function runWorkload(pair: Pair, messages: WorkloadMessage[], limitMs: number, drainMs = 0): WorkloadResult {
  const { sim, a, b } = pair;
  const result: WorkloadResult = { sentIds: new Map(), received: new Map(), expired: new Set(), delivered: new Set(), finishedAt: 0 };
  let order = 0;
  b.on((e, now) => {
    if (e.type !== 'message') return;
    const r = result.received.get(e.id);
    if (r) r.count++;
    else result.received.set(e.id, { at: now, data: e.data, count: 1, order: order++ });
  });
  a.on((e) => {
    if (e.type === 'expired' && e.direction === 'outgoing') result.expired.add(e.id);
    if (e.type === 'delivered') result.delivered.add(e.id);
  });
  const start = sim.now;
  for (const m of messages) {
    sim.schedule(start + m.at, (now) => {
      const id = a.send(payload(m.index, m.size), m.opts, now);
      result.sentIds.set(id, m);
    });
  }
  const lastSend = start + Math.max(0, ...messages.map((m) => m.at));
  const settled = () =>
    result.sentIds.size === messages.length &&
    [...result.sentIds.keys()].every((id) => result.expired.has(id) || (result.received.has(id) && result.delivered.has(id)));
  const deadline = start + limitMs;
  while (sim.now < deadline) {
    sim.runUntil(Math.min(deadline, sim.now + 50));
    if (sim.now >= lastSend && settled()) break;
  }
  result.finishedAt = sim.now;
  if (drainMs > 0) sim.runUntil(sim.now + drainMs);
  return result;
}
