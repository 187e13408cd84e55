import type { PacketTrace } from '../transport/traces.js';

/** A half-open share [from, to) of a per-packet trace, as fractions of its length. */
export interface TraceSegment {
  from: number;
  to: number;
}

/**
 * The entries of `trace` inside `segment`, as a trace of its own (replay loops within it). Time
 * segments, not random rows, are what keep training and test data apart: consecutive packets
 * share a loss burst and a delay regime, so a random split would leak them across.
 */
export function sliceTrace(trace: PacketTrace, segment: TraceSegment): PacketTrace {
  if (!(segment.from >= 0 && segment.from < segment.to && segment.to <= 1)) {
    throw new RangeError(`trace segment [${segment.from}, ${segment.to}) must lie within [0, 1)`);
  }
  const n = trace.lost.length;
  const start = Math.floor(segment.from * n);
  const end = Math.max(start + 1, Math.floor(segment.to * n));
  return {
    name: `${trace.name}[${segment.from}-${segment.to}]`,
    lost: trace.lost.slice(start, end),
    delayMs: trace.delayMs.slice(start, end),
  };
}

/**
 * `segment` cut into `count` consecutive segments of equal length (cross-validation folds by
 * time): together they cover it exactly and no two overlap. Boundaries are rounded to 1e-9 so
 * that they meet other segments' round bounds exactly (0.6 and not 0.6000000000000001, which
 * would overlap a segment starting at 0.6).
 */
export function timeFolds(segment: TraceSegment, count: number): TraceSegment[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`fold count ${count} must be a positive integer`);
  const bound = (i: number) => Math.round((segment.from + ((segment.to - segment.from) * i) / count) * 1e9) / 1e9;
  return Array.from({ length: count }, (_, i) => ({ from: bound(i), to: bound(i + 1) }));
}

/** True when two segments of the same trace share entries. */
export function segmentsOverlap(a: TraceSegment, b: TraceSegment): boolean {
  return a.from < b.to && b.from < a.to;
}
