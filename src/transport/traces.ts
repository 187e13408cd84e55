/**
 * Pure parsers for the public network traces in ../shared/traces (see its README and each
 * SOURCE.txt), plus summary statistics used to check them. They take file contents, never paths:
 * reading files is trace-files.node.ts's job.
 */
import { capacitySchedule, type CapacitySchedule } from './capacity.js';

/** Per-packet replay data: entry i is the fate of the i-th packet sent. */
export interface PacketTrace {
  readonly name: string;
  /** 1 = lost. */
  readonly lost: Uint8Array;
  /** One-way delay in ms. Lost entries repeat the previous delay so that replay stays emulator-ready. */
  readonly delayMs: Float64Array;
}

export interface PacketTraceSummary {
  packets: number;
  lost: number;
  lossRate: number;
  /** Runs of consecutive lost packets. */
  bursts: number;
  meanBurst: number;
  maxBurst: number;
  /** One-way delay of the delivered packets. */
  delayMs: { min: number; p50: number; p90: number; p99: number; max: number; mean: number };
}

export interface CapacitySummary {
  periodMs: number;
  meanBitsPerSecond: number;
  minBitsPerSecond: number;
  maxBitsPerSecond: number;
}

const PING_REPLY = /^\[(\d+(?:\.\d+)?)\].*\bicmp_seq=(\d+)\b.*\btime=(\d+(?:\.\d+)?) ms/;

/**
 * Linux `ping -D` output. Probes are the sequence numbers from the first to the last reply; a
 * number with no reply is a lost probe. The one-way delay is RTT / 2. Duplicate replies keep the first.
 */
export function parsePingLog(text: string, name: string): PacketTrace {
  const rttBySeq = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const line of text.split('\n')) {
    const m = PING_REPLY.exec(line);
    if (!m) continue;
    const seq = Number(m[2]);
    if (rttBySeq.has(seq)) continue;
    rttBySeq.set(seq, Number(m[3]));
    first = Math.min(first, seq);
    last = Math.max(last, seq);
  }
  if (rttBySeq.size === 0) throw new Error(`${name}: no ping replies found`);
  const n = last - first + 1;
  const lost = new Uint8Array(n);
  const delayMs = new Float64Array(n);
  let previous = (rttBySeq.get(first) as number) / 2;
  for (let i = 0; i < n; i++) {
    const rtt = rttBySeq.get(first + i);
    if (rtt === undefined) lost[i] = 1;
    else previous = rtt / 2;
    delayMs[i] = previous;
  }
  return { name, lost, delayMs };
}

/** irtt-derived pair of files (ebpf-trace-emu): one-way delay in ns per line, and 0/1 loss per line. */
export function parseIrtt(delayText: string, lossText: string, name: string): PacketTrace {
  const delays = parseNumbers(delayText, `${name} delay`);
  const losses = parseNumbers(lossText, `${name} loss`);
  if (delays.length !== losses.length) throw new Error(`${name}: ${delays.length} delays but ${losses.length} loss flags`);
  const lost = new Uint8Array(losses.length);
  const delayMs = new Float64Array(delays.length);
  for (let i = 0; i < delays.length; i++) {
    const flag = losses[i] as number;
    if (flag !== 0 && flag !== 1) throw new Error(`${name}: loss flag ${flag} on line ${i + 1} is neither 0 nor 1`);
    lost[i] = flag;
    delayMs[i] = (delays[i] as number) / 1e6;
  }
  return { name, lost, delayMs };
}

const MAHIMAHI_PACKET_BITS = 1500 * 8;

/**
 * Mahimahi delivery opportunities: each line is a ms timestamp at which one 1500-byte packet may
 * leave; the file loops after its last timestamp. Fluid approximation: the k opportunities at
 * ms t become a rate of k * 1500 B over the millisecond (t-1, t].
 */
export function parseMahimahi(text: string, name: string): CapacitySchedule {
  const stamps = parseNumbers(text, name);
  if (stamps.length === 0) throw new Error(`${name}: no delivery opportunities`);
  let periodMs = 0;
  for (const t of stamps) {
    if (!Number.isInteger(t) || t < 0) throw new Error(`${name}: timestamp ${t} is not a whole number of ms`);
    periodMs = Math.max(periodMs, t);
  }
  if (periodMs === 0) periodMs = 1; // a file of only "0" lines: every ms alike
  const perMs = new Uint32Array(periodMs);
  // Timestamp t occupies the millisecond ending at t; t = 0 is the end of the previous loop.
  for (const t of stamps) perMs[(t + periodMs - 1) % periodMs]! += 1;
  const starts: number[] = [];
  const rates: number[] = [];
  for (let ms = 0; ms < periodMs; ms++) {
    const rate = (perMs[ms] as number) * MAHIMAHI_PACKET_BITS * 1000;
    if (rates.length === 0 || rates[rates.length - 1] !== rate) {
      starts.push(ms);
      rates.push(rate);
    }
  }
  return capacitySchedule(name, starts, rates, periodMs);
}

/**
 * Pensieve's cooked traces (Norway 3G, FCC): "seconds<TAB>Mbit/s" per line. Each rate holds until
 * the next sample; the last one for the previous spacing, after which the trace loops.
 */
export function parseThroughputLog(text: string, name: string): CapacitySchedule {
  const starts: number[] = [];
  const rates: number[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const cols = line.split(/\s+/);
    const t = Number(cols[0]);
    const mbps = Number(cols[1]);
    if (cols.length < 2 || !Number.isFinite(t) || !Number.isFinite(mbps)) throw new Error(`${name}: line ${i + 1} is not "seconds Mbit/s": ${JSON.stringify(line)}`);
    starts.push(t * 1000);
    rates.push(mbps * 1e6);
  }
  if (starts.length < 2) throw new Error(`${name}: need at least two samples`);
  const origin = starts[0] as number;
  const relative = starts.map((t) => t - origin);
  const n = relative.length;
  const lastSpacing = (relative[n - 1] as number) - (relative[n - 2] as number);
  return capacitySchedule(name, relative, rates, (relative[n - 1] as number) + lastSpacing);
}

export function summarizePacketTrace(trace: PacketTrace): PacketTraceSummary {
  const { lost, delayMs } = trace;
  let lostCount = 0;
  let bursts = 0;
  let run = 0;
  let maxBurst = 0;
  const delivered: number[] = [];
  for (let i = 0; i < lost.length; i++) {
    if (lost[i] === 1) {
      lostCount++;
      if (run === 0) bursts++;
      run++;
      maxBurst = Math.max(maxBurst, run);
    } else {
      run = 0;
      delivered.push(delayMs[i] as number);
    }
  }
  delivered.sort((x, y) => x - y);
  const mean = delivered.reduce((s, d) => s + d, 0) / Math.max(1, delivered.length);
  return {
    packets: lost.length,
    lost: lostCount,
    lossRate: lost.length === 0 ? 0 : lostCount / lost.length,
    bursts,
    meanBurst: bursts === 0 ? 0 : lostCount / bursts,
    maxBurst,
    delayMs: {
      min: delivered[0] ?? NaN,
      p50: percentile(delivered, 0.5),
      p90: percentile(delivered, 0.9),
      p99: percentile(delivered, 0.99),
      max: delivered[delivered.length - 1] ?? NaN,
      mean,
    },
  };
}

export function summarizeCapacity(schedule: CapacitySchedule): CapacitySummary {
  const { startMs, bitsPerSecond, periodMs } = schedule;
  let bits = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < startMs.length; i++) {
    const end = i + 1 < startMs.length ? (startMs[i + 1] as number) : periodMs;
    const rate = bitsPerSecond[i] as number;
    bits += (rate * (end - (startMs[i] as number))) / 1000;
    min = Math.min(min, rate);
    max = Math.max(max, rate);
  }
  return { periodMs, meanBitsPerSecond: (bits * 1000) / periodMs, minBitsPerSecond: min, maxBitsPerSecond: max };
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Whitespace-separated numbers; tolerates CRLF line ends (the irtt files use them). */
function parseNumbers(text: string, what: string): number[] {
  const out: number[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    const v = Number(token);
    if (!Number.isFinite(v)) throw new Error(`${what}: ${JSON.stringify(token)} is not a number`);
    out.push(v);
  }
  return out;
}
