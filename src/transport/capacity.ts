/**
 * Link capacity over time: a piecewise-constant rate that repeats with a period
 * (trace replay loops, as mm-link does). A constant rate cap is the one-segment case.
 */
export interface CapacitySchedule {
  readonly name: string;
  /** Segment start times in ms from the schedule origin, ascending, the first one 0. */
  readonly startMs: Float64Array;
  /** Rate of each segment in bits/s, from its start until the next one (the last until periodMs). */
  readonly bitsPerSecond: Float64Array;
  /** The schedule repeats after this many ms. */
  readonly periodMs: number;
}

export function constantCapacity(bitsPerSecond: number): CapacitySchedule {
  if (!(bitsPerSecond > 0) || !Number.isFinite(bitsPerSecond)) throw new RangeError(`capacity must be a positive finite rate, got ${bitsPerSecond}`);
  // The period only matters for float precision: one second keeps cycle counts small.
  return { name: `${bitsPerSecond}bps`, startMs: Float64Array.of(0), bitsPerSecond: Float64Array.of(bitsPerSecond), periodMs: 1000 };
}

/** Builds a schedule from (start, rate) steps, merging equal neighbours; throws on a malformed one. */
export function capacitySchedule(name: string, startMs: ArrayLike<number>, bitsPerSecond: ArrayLike<number>, periodMs: number): CapacitySchedule {
  const n = startMs.length;
  if (n === 0 || n !== bitsPerSecond.length) throw new RangeError(`${name}: need as many rates as start times, and at least one`);
  if (startMs[0] !== 0) throw new RangeError(`${name}: the first segment must start at 0`);
  const starts: number[] = [];
  const rates: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = startMs[i] as number;
    const r = bitsPerSecond[i] as number;
    if (!(r >= 0) || !Number.isFinite(r)) throw new RangeError(`${name}: rate ${r} at ${t} ms is not a finite rate >= 0`);
    if (i > 0 && !(t > (startMs[i - 1] as number))) throw new RangeError(`${name}: start times must increase (${t} ms at index ${i})`);
    if (rates.length > 0 && rates[rates.length - 1] === r) continue;
    starts.push(t);
    rates.push(r);
  }
  if (!(periodMs > (startMs[n - 1] as number))) throw new RangeError(`${name}: period ${periodMs} ms must end after the last segment start`);
  return { name, startMs: Float64Array.from(starts), bitsPerSecond: Float64Array.from(rates), periodMs };
}

/**
 * Answers "when does serializing `bits` that start at time t finish" for a looping schedule,
 * by inverting the cumulative-capacity function with a binary search (fluid model).
 */
export class CapacityTimeline {
  /** Bits the schedule can carry from the period start to each segment start. */
  private readonly cumulativeBits: Float64Array;
  private readonly bitsPerPeriod: number;

  constructor(readonly schedule: CapacitySchedule) {
    const { startMs, bitsPerSecond, periodMs } = schedule;
    this.cumulativeBits = new Float64Array(startMs.length);
    let total = 0;
    for (let i = 0; i < startMs.length; i++) {
      this.cumulativeBits[i] = total;
      const end = i + 1 < startMs.length ? (startMs[i + 1] as number) : periodMs;
      total += ((bitsPerSecond[i] as number) * (end - (startMs[i] as number))) / 1000;
    }
    if (!(total > 0)) throw new RangeError(`${schedule.name}: the schedule carries no data at all`);
    this.bitsPerPeriod = total;
  }

  /** Rate in bits/s at time t (ms since the origin). */
  rateAt(tMs: number): number {
    const within = tMs - Math.floor(tMs / this.schedule.periodMs) * this.schedule.periodMs;
    return this.schedule.bitsPerSecond[this.segmentAt(within)] as number;
  }

  /** Earliest time at which `bits` that start serializing at `startMs` have all gone out. */
  finishTime(startMs: number, bits: number): number {
    const { periodMs, startMs: starts, bitsPerSecond } = this.schedule;
    const target = this.capacityUntil(startMs) + bits;
    let cycle = Math.floor(target / this.bitsPerPeriod);
    let remainder = target - cycle * this.bitsPerPeriod;
    if (remainder <= 0) {
      // Exactly on a cycle boundary: the bits finish at the end of the previous cycle's last busy segment.
      cycle -= 1;
      remainder = this.bitsPerPeriod;
    }
    // Last segment that starts with less than `remainder` carried: the bits finish inside it.
    let lo = 0;
    let hi = this.cumulativeBits.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.cumulativeBits[mid] as number) < remainder) lo = mid;
      else hi = mid - 1;
    }
    const within = (starts[lo] as number) + ((remainder - (this.cumulativeBits[lo] as number)) * 1000) / (bitsPerSecond[lo] as number);
    // Snap to a 1 ns grid: back-to-back packets chain start = previous finish, and float error
    // would otherwise let a packet that ends exactly on a segment boundary spill into the next
    // busy segment (a whole Mahimahi opportunity late). Never finish before the start, either.
    return Math.max(startMs, Math.round((cycle * periodMs + within) * 1e6) / 1e6);
  }

  /** Bits carried from time 0 until t. */
  private capacityUntil(tMs: number): number {
    const { periodMs, startMs, bitsPerSecond } = this.schedule;
    const cycle = Math.floor(tMs / periodMs);
    const within = tMs - cycle * periodMs;
    const i = this.segmentAt(within);
    return cycle * this.bitsPerPeriod + (this.cumulativeBits[i] as number) + ((bitsPerSecond[i] as number) * (within - (startMs[i] as number))) / 1000;
  }

  private segmentAt(withinMs: number): number {
    const starts = this.schedule.startMs;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= withinMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
