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

/** True when two segments of the same trace share entries. */
export function segmentsOverlap(a: TraceSegment, b: TraceSegment): boolean {
  return a.from < b.to && b.from < a.to;
}
