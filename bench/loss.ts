/**
 * bench:loss — PDU against a reliable ordered SCTP model on the simulated link.
 *
 * Matrix: loss {0, 1, 5, 10% Bernoulli; Gilbert-Elliott wifi_lossy 40/2, cellular 100/2,
 * congested 20/2; Starlink LENS ping trace} x RTT {20, 50, 150 ms} (the trace brings its own
 * delays) x message size {1 KiB, 16 KiB, 256 KiB} x policy {pdu-heuristic, pdu-timeout,
 * sctp-model}. Loss applies in both directions. The link has a 10 Mbit/s bottleneck (256 KB
 * tail-drop queue); the offered load is 655 kbit/s (16 KiB at 5/s, the "below capacity" row of
 * CONTRACTS.md) for every size, far below both the bottleneck and SCTP's loss-limited rate.
 * All messages are reliable and ordered, as on the SCTP channel.
 *
 * Latency is send() to the receiver's message event on the virtual clock. Overhead counts the
 * wire bytes of both directions (DATA, ACK/NACK/control, retransmissions) against payload.
 * Ends with one JSON line (CONTRACTS.md "Benchmark JSON").
 *
 * Usage: npm run bench:loss [-- --quick] [-- --only bern5-rtt50] [-- --seeds N]
 * `--seeds N` runs each row at N seeds and pools them (N times the messages): one seed's p99 of
 * 400 messages moves by tens of ms, too much to judge a change by.
 */
import { PduEngine, type PduEngineOptions } from '../src/engine/index.js';
import { findTracesDir, packetTraceResolver } from '../src/transport/trace-files.node.js';
import { parseLossSpec, type LossModel } from '../src/transport/loss-models.js';
import { SctpModelEndpoint } from '../src/transport/sctp-model.js';
import { Simulation, type Endpoint } from '../src/transport/simulation.js';
import { percentile } from '../src/transport/traces.js';
import { Rng } from '../src/transport/rng.js';

type Policy = 'pdu-heuristic' | 'pdu-timeout' | 'sctp-model';

interface Scenario {
  name: string;
  lossSpec: string;
  /** Base RTT; undefined for the trace (its per-packet delays apply). */
  rttMs: number | undefined;
}

interface Row {
  name: string;
  policy: Policy;
  loss: number;
  rtt_ms: number;
  msg_bytes: number;
  offered_mbit_s: number;
  capacity_mbit_s: number;
  messages: number;
  delivered: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  goodput_mb_s: number;
  overhead: number;
  retx_predictive: number;
  retx_timeout: number;
  retx_spurious: number | null;
}

const CAPACITY_BPS = 10e6;
const QUEUE_BYTES = 256 * 1024;
const OFFERED_BPS = 16 * 1024 * 8 * 5;
const SIZES = [1024, 16 * 1024, 256 * 1024];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const seedsIndex = args.indexOf('--seeds');
const seedCount = seedsIndex >= 0 ? Math.max(1, Math.floor(Number(args[seedsIndex + 1]) || 1)) : 1;
/** Seeds of one row's extra runs lie this far apart, clear of the other rows' seeds. */
const SEED_STRIDE = 10_000;

/** Messages per run: enough for a p99 at the small sizes; bounded work at the large one. */
function messageCount(size: number): number {
  const base = size <= 1024 ? 1000 : size <= 16 * 1024 ? 400 : 60;
  return quick ? Math.ceil(base / 4) : base;
}

function scenarios(): Scenario[] {
  const losses: [string, string][] = [
    ['bern0', 'none'],
    ['bern1', 'bern:0.01'],
    ['bern5', 'bern:0.05'],
    ['bern10', 'bern:0.1'],
    ['ge-wifi_lossy', 'ge:wifi_lossy'],
    ['ge-cellular', 'ge:cellular'],
    ['ge-congested', 'ge:congested'],
  ];
  const out: Scenario[] = [];
  for (const [name, lossSpec] of losses) {
    for (const rtt of [20, 50, 150]) out.push({ name: `${name}-rtt${rtt}`, lossSpec, rttMs: rtt });
  }
  out.push({ name: 'trace-starlink_lens-rtt*', lossSpec: 'trace:starlink_lens', rttMs: undefined });
  return out.filter((s) => only === undefined || s.name === only);
}

function lossModel(spec: string): LossModel {
  const dir = findTracesDir();
  return parseLossSpec(spec, dir ? { resolveTrace: packetTraceResolver(dir) } : {});
}

/** Deterministic handshake randomness per run. */
function randomBytesFrom(seed: number): (n: number) => Uint8Array {
  const rng = new Rng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rng.next() * 256));
}

function payload(index: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.fill(index & 0xff);
  return out;
}

interface RunResult {
  latencies: number[];
  payloadBytes: number;
  wireBytes: number;
  firstSend: number;
  lastReceive: number;
  predictive: number;
  timeout: number;
  spurious: number | null;
}

function linkConfig(s: Scenario, loss: LossModel) {
  return { loss, delayMs: (s.rttMs ?? 0) / 2, rateBitsPerSecond: CAPACITY_BPS, queueLimitBytes: QUEUE_BYTES };
}

function runPdu(s: Scenario, policy: Policy, size: number, count: number, seed: number, rttMs: number): RunResult {
  const options: Omit<PduEngineOptions, 'role'> = { recovery: { predictor: policy === 'pdu-timeout' ? 'timeout' : 'heuristic' } };
  const a = new PduEngine({ ...options, role: 'initiator', security: { randomBytes: randomBytesFrom(seed) } });
  const b = new PduEngine({ ...options, role: 'responder', security: { randomBytes: randomBytesFrom(seed + 1) } });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let connected = 0;
  let lastReceive = 0;
  const wrap = (engine: PduEngine): Endpoint => {
    const drain = (now: number) => {
      for (let e = engine.pollEvent(); e; e = engine.pollEvent()) {
        if (e.type === 'connected') connected++;
        if (e.type === 'message') {
          const at = sent.get(e.id);
          if (at !== undefined) latencies.push(now - at);
          lastReceive = now;
        }
      }
    };
    return {
      handleDatagram: (bytes, now) => {
        engine.handleDatagram(bytes, now);
        drain(now);
      },
      handleTimeout: (now) => {
        engine.handleTimeout(now);
        drain(now);
      },
      pollTransmit: () => engine.pollTransmit(),
      nextTimeout: () => engine.nextTimeout(),
    };
  };
  const sim = new Simulation(wrap(a), wrap(b), { seed, aToB: { delayMs: rttMs / 2 }, bToA: { delayMs: rttMs / 2 } });
  sim.schedule(0, (now) => a.connect(now));
  while (connected < 2 && sim.now < 10_000) sim.runUntil(sim.now + 5);
  if (connected < 2) throw new Error(`${s.name} ${policy}: handshake failed`);
  // Impair only after the channel is up, as the real-network runs do.
  sim.aToB.configure(linkConfig(s, lossModel(s.lossSpec)));
  sim.bToA.configure(linkConfig(s, lossModel(s.lossSpec)));
  const wireBefore = sim.aToB.counters.offeredBytes + sim.bToA.counters.offeredBytes;
  const interval = (size * 8 * 1000) / OFFERED_BPS;
  const start = sim.now + 100;
  for (let i = 0; i < count; i++) {
    sim.schedule(start + i * interval, (now) => sent.set(a.send(payload(i, size), { ordered: true }, now), now));
  }
  const limit = start + count * interval + 120_000;
  while (latencies.length < count && sim.now < limit) sim.runUntil(sim.now + 100);
  const stats = a.stats();
  return {
    latencies,
    payloadBytes: latencies.length * size,
    wireBytes: sim.aToB.counters.offeredBytes + sim.bToA.counters.offeredBytes - wireBefore,
    firstSend: start,
    lastReceive,
    predictive: stats.recovery.retransmissions.predictive,
    timeout: stats.recovery.retransmissions.timeout,
    spurious: stats.recovery.retransmissions.spurious,
  };
}

function runSctp(s: Scenario, size: number, count: number, seed: number): RunResult {
  const a = new SctpModelEndpoint();
  const b = new SctpModelEndpoint();
  const sim = new Simulation(a, b, { seed, aToB: linkConfig(s, lossModel(s.lossSpec)), bToA: linkConfig(s, lossModel(s.lossSpec)) });
  const sentAt: number[] = [];
  const interval = (size * 8 * 1000) / OFFERED_BPS;
  const start = 100;
  for (let i = 0; i < count; i++) sim.schedule(start + i * interval, (now) => (sentAt[a.send(payload(i, size), now)] = now));
  const latencies: number[] = [];
  let lastReceive = 0;
  const limit = start + count * interval + 120_000;
  while (latencies.length < count && sim.now < limit) {
    sim.runUntil(sim.now + 100);
    for (let d = b.pollDelivered(); d; d = b.pollDelivered()) {
      const at = sentAt[d.id];
      if (at !== undefined) latencies.push(d.at - at);
      lastReceive = d.at;
    }
  }
  return {
    latencies,
    payloadBytes: latencies.length * size,
    wireBytes: sim.aToB.counters.offeredBytes + sim.bToA.counters.offeredBytes,
    firstSend: start,
    lastReceive,
    predictive: 0,
    timeout: a.stats().retransmittedChunks,
    // The model does not tell needless retransmissions from needed ones.
    spurious: null,
  };
}

function meanRtt(s: Scenario): number {
  if (s.rttMs !== undefined) return s.rttMs;
  const model = lossModel(s.lossSpec);
  let sum = 0;
  const rng = new Rng(1);
  for (let i = 0; i < 10_000; i++) sum += model.next(rng).delayMs ?? 0;
  return Math.round((2 * sum) / 10_000);
}

function main(): void {
  const rows: Row[] = [];
  const started = Date.now();
  const list = scenarios();
  if (list.some((s) => s.rttMs === undefined) && !findTracesDir()) {
    console.error('bench:loss: traces folder not found (../shared/traces or $PDU_TRACES_DIR); the Starlink row is skipped');
  }
  console.log(`bench:loss  offered ${(OFFERED_BPS / 1e6).toFixed(3)} Mbit/s, bottleneck ${CAPACITY_BPS / 1e6} Mbit/s, loss both ways, reliable ordered`);
  console.log('scenario                    size    policy          n     p50     p95     p99   MB/s  overhead  retx pred/tout/spur');
  let seed = 1000;
  for (const s of list) {
    if (s.rttMs === undefined && !findTracesDir()) continue;
    const loss = lossModel(s.lossSpec).meanLoss();
    const rtt = meanRtt(s);
    for (const size of SIZES) {
      const count = messageCount(size);
      seed++;
      for (const policy of ['pdu-heuristic', 'pdu-timeout', 'sctp-model'] as Policy[]) {
        const runs: RunResult[] = [];
        for (let k = 0; k < seedCount; k++) {
          const runSeed = seed + k * SEED_STRIDE;
          runs.push(policy === 'sctp-model' ? runSctp(s, size, count, runSeed) : runPdu(s, policy, size, count, runSeed, rtt));
        }
        const r = pooled(runs);
        const sorted = Float64Array.from(r.latencies).sort();
        const seconds = Math.max(1e-9, (r.lastReceive - r.firstSend) / 1000);
        const row: Row = {
          name: s.name,
          policy,
          loss: round(loss, 4),
          rtt_ms: rtt,
          msg_bytes: size,
          offered_mbit_s: round(OFFERED_BPS / 1e6, 3),
          capacity_mbit_s: CAPACITY_BPS / 1e6,
          messages: count * seedCount,
          delivered: r.latencies.length,
          p50_ms: round(percentile(sorted, 0.5), 1),
          p95_ms: round(percentile(sorted, 0.95), 1),
          p99_ms: round(percentile(sorted, 0.99), 1),
          goodput_mb_s: round(r.payloadBytes / 1e6 / seconds, 4),
          overhead: round(r.wireBytes / Math.max(1, r.payloadBytes) - 1, 4),
          retx_predictive: r.predictive,
          retx_timeout: r.timeout,
          retx_spurious: r.spurious,
        };
        rows.push(row);
        console.log(
          `${s.name.padEnd(27)} ${String(size).padStart(6)}  ${policy.padEnd(14)} ${String(row.delivered).padStart(4)} ${fmt(row.p50_ms)} ${fmt(row.p95_ms)} ${fmt(row.p99_ms)} ${row.goodput_mb_s.toFixed(3).padStart(6)} ${(row.overhead * 100).toFixed(2).padStart(7)}%  ${row.retx_predictive}/${row.retx_timeout}/${row.retx_spurious ?? '-'}`,
        );
      }
    }
  }
  console.log(`elapsed ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ bench: 'loss', scenarios: rows }));
}

/** Runs of one row at several seeds as one: latencies and bytes summed, durations added up. */
function pooled(runs: RunResult[]): RunResult {
  if (runs.length === 1) return runs[0]!;
  const sum = (f: (r: RunResult) => number) => runs.reduce((t, r) => t + f(r), 0);
  return {
    latencies: runs.flatMap((r) => r.latencies),
    payloadBytes: sum((r) => r.payloadBytes),
    wireBytes: sum((r) => r.wireBytes),
    firstSend: 0,
    lastReceive: sum((r) => r.lastReceive - r.firstSend),
    predictive: sum((r) => r.predictive),
    timeout: sum((r) => r.timeout),
    spurious: runs.some((r) => r.spurious === null) ? null : sum((r) => r.spurious ?? 0),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x: number): string {
  return x.toFixed(1).padStart(7);
}

main();
