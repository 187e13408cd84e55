/**
 * Replays one scenario through the link simulator with two real engines, a sender and a
 * receiver, under a given recovery policy. Gives what the figures need (message latencies,
 * retransmission counts) and, for the dataset, the receiver's predictor consultations beside
 * the link's ground truth.
 */
import { PduEngine, type RetransmissionStats } from '../engine/index.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import { Rng } from '../transport/rng.js';
import { Simulation, type Endpoint } from '../transport/simulation.js';
import { decodeSealedPacket } from '../wire/sealed.js';
import { DecisionLog } from './decision-log.js';
import type { Scenario, TraceLibrary } from './scenarios.js';

export interface ReplayOptions {
  scenario: Scenario;
  /** Builds the predictor for each engine (each gets its own: predictors may keep state). */
  predictor: () => LossPredictor;
  seed: number;
  traces: TraceLibrary | undefined;
  /** Scales the scenario's message count (quick runs in tests). */
  messageScale?: number;
}

export interface ReplayResult {
  /** send() to the receiver's message event, per delivered message. */
  latencies: number[];
  messages: number;
  retransmissions: RetransmissionStats;
  /** Spurious retransmissions by what triggered them (nack, threshold, tail, pto; `-again` when the packet found lost was itself a resend). */
  spuriousByCause: Record<string, number>;
  /** Each spurious retransmission: the packet declared lost that arrived after all, when that was seen, why it was declared lost. */
  spuriousPackets: { pn: number; t: number; cause: string }[];
  /** The data direction (sender -> receiver) as the link and the receiver saw it. */
  log: DecisionLog;
  /** Virtual time at which the run stopped. */
  endMs: number;
}

/** How long after the last send a run may take to deliver everything (reliable delivery). */
const DRAIN_LIMIT_MS = 60_000;

export function replay(o: ReplayOptions): ReplayResult {
  const log = new DecisionLog();
  const a = new PduEngine({
    role: 'initiator',
    recovery: { predictor: 'heuristic', custom: o.predictor() },
    security: { randomBytes: randomBytesFrom(o.seed * 2 + 1) },
    // The sender's trace says which retransmissions turned out spurious, and why they were sent.
    trace: { maxEvents: 1_000_000 },
  });
  const b = new PduEngine({ role: 'responder', recovery: { predictor: 'heuristic', custom: log.wrap(o.predictor()) }, security: { randomBytes: randomBytesFrom(o.seed * 2 + 2) }});
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let connected = 0;
  const endpoint = (engine: PduEngine): Endpoint => {
    const drain = (now: number) => {
      for (let e = engine.pollEvent(); e; e = engine.pollEvent()) {
        if (e.type === 'connected') connected++;
        else if (e.type === 'message') {
          const at = sentAt.get(e.id);
          if (at !== undefined) latencies.push(now - at);
        }
      }
    };
    return {
      handleDatagram(bytes, now) {
        engine.handleDatagram(bytes, now);
        drain(now);
      },
      handleTimeout(now) {
        engine.handleTimeout(now);
        drain(now);
      },
      pollTransmit: () => engine.pollTransmit(),
      nextTimeout: () => engine.nextTimeout(),
    };
  };
  // The path is impaired from the first packet: a handshake over a cleaner path would leave a
  // minimum RTT the engines never see again (and a feature the model would learn from).
  const links = o.scenario.links(o.traces);
  const sim = new Simulation(endpoint(a), endpoint(b), {
    seed: o.seed,
    aToB: links.aToB,
    bToA: links.bToA,
    hooks: {
      onTransmit(from, bytes, now) {
        if (from !== 'a') return;
        const h = headerOf(bytes);
        if (h) log.onSent(h.packetNumber, now, h.fragment);
      },
      onDeliver(to, bytes, now) {
        if (to !== 'b') return;
        const h = headerOf(bytes);
        if (h) log.onArrival(h.packetNumber, now);
      },
    },
  });
  sim.schedule(0, (now) => a.connect(now));
  while (connected < 2 && sim.now < 30_000) sim.runUntil(sim.now + 5);
  if (connected < 2) throw new Error(`${o.scenario.name}: handshake failed`);
  const w = o.scenario.workload;
  const count = Math.max(1, Math.round(w.messages * (o.messageScale ?? 1)));
  const rng = new Rng(o.seed);
  const start = sim.now + 100;
  for (let i = 0; i < count; i++) {
    sim.schedule(start + i * w.intervalMs, (now) => {
      const body = new Uint8Array(w.messageBytes);
      body[0] = rng.nextUint32() & 0xff;
      sentAt.set(a.send(body, { ordered: true }, now), now);
    });
  }
  const lastSend = start + (count - 1) * w.intervalMs;
  while (latencies.length < count && sim.now < lastSend + DRAIN_LIMIT_MS) sim.runUntil(sim.now + 100);
  const spuriousByCause: Record<string, number> = {};
  const spuriousPackets: ReplayResult['spuriousPackets'] = [];
  // A needless resend of a packet that was itself a resend: the NACK (or timer) asked again.
  const resent = new Set<number>();
  for (const r of a.traceRecords()) if (r.event === 'retransmitted' && r.pn !== undefined) resent.add(r.pn);
  for (const r of a.traceRecords()) {
    if (r.event !== 'spurious') continue;
    const cause = `${r.cause ?? 'unknown'}${r.pn !== undefined && resent.has(r.pn) ? '-again' : ''}`;
    spuriousByCause[cause] = (spuriousByCause[cause] ?? 0) + 1;
    if (r.pn !== undefined) spuriousPackets.push({ pn: r.pn, t: r.t, cause });
  }
  return { latencies, messages: count, retransmissions: a.stats().recovery.retransmissions, spuriousByCause, spuriousPackets, log, endMs: sim.now };
}

/**
 * The cleartext header of a sealed DATA/CONTROL datagram (handshake packets have none): its
 * packet number and, for DATA, which fragment it carries.
 */
function headerOf(bytes: Uint8Array): { packetNumber: number; fragment?: string } | undefined {
  const r = decodeSealedPacket(bytes);
  if (!r.ok) return undefined;
  const f = r.value.fragment;
  return { packetNumber: r.value.header.packetNumber, ...(f ? { fragment: `${f.messageNumber}:${f.sequenceNumber}` } : {}) };
}

function randomBytesFrom(seed: number): (n: number) => Uint8Array {
  const rng = new Rng(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.nextUint32() & 0xff;
    return out;
  };
}
