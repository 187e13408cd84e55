import type { GapFeatures } from './loss-predictor.js';

/**
 * The model's inputs, derived from GapFeatures. Times are expressed in round trips or in units of
 * the arrival rhythm rather than in ms, so that what is learnt on a 40 ms path carries over to a
 * 150 ms one; long-tailed ratios are log-compressed and clipped so that no input dominates.
 * Training (src/train) and inference share this one function: the model sees the same numbers.
 */
export const MODEL_FEATURES = [
  'tail',
  'gapAgeRtt',
  'successors',
  'runLength',
  'silenceRtt',
  'silenceRhythm',
  'gapAgeRhythm',
  'interArrivalRtt',
  'jitterRtt',
  'rttVarRtt',
  'minRttRatio',
  'recentLossRate',
  'reorderRate',
  'reorderDelayRtt',
  'gapAgeReorder',
  'severity',
  'requests',
  'sinceRequestRtt',
  'tailPauseRtt',
  'silencePause',
] as const;

export const MODEL_FEATURE_COUNT = MODEL_FEATURES.length;

/**
 * Writes the model inputs for `f` into `out` (length MODEL_FEATURE_COUNT) and returns `out`.
 * `waitMs` reads the gap as it would be that much later with nothing arriving meanwhile (only
 * its clocks move; see advanceFeatures), without copying the record on the hot path.
 */
export function encodeFeatures(f: GapFeatures, out: Float64Array, waitMs = 0): Float64Array {
  const rtt = Math.max(f.srttMs, 1);
  const gapAge = f.gapAgeMs + waitMs;
  const silence = f.sinceLastArrivalMs + waitMs;
  const sinceRequest = f.requestsSoFar > 0 ? f.sinceLastRequestMs + waitMs : f.sinceLastRequestMs;
  // The silence a gap-free stream explains: its rhythm plus four deviations (cf. the heuristic).
  const rhythm = f.interArrivalMs + 4 * f.interArrivalJitterMs + 1;
  const reorderWait = 2 * f.reorderDelayMs + f.interArrivalJitterMs + 1;
  out[0] = f.tail ? 1 : 0;
  out[1] = clip(gapAge / rtt, 4);
  out[2] = Math.min(f.successors, 8) / 8;
  out[3] = clip(Math.log2(1 + f.runLength) / 5, 2);
  out[4] = clip(silence / rtt, 4);
  out[5] = clip(Math.log2(1 + silence / rhythm) / 4, 3);
  out[6] = clip(Math.log2(1 + gapAge / rhythm) / 4, 3);
  out[7] = clip(f.interArrivalMs / rtt, 2);
  out[8] = clip(f.interArrivalJitterMs / rtt, 2);
  out[9] = clip(f.rttVarMs / rtt, 2);
  out[10] = clip(f.minRttMs / rtt, 1);
  out[11] = clip(f.recentLossRate, 1);
  out[12] = clip(f.reorderRate, 1);
  out[13] = clip(f.reorderDelayMs / rtt, 2);
  out[14] = clip(Math.log2(1 + gapAge / reorderWait) / 4, 3);
  out[15] = clip(f.severity, 1);
  out[16] = Math.min(f.requestsSoFar, 3) / 3;
  out[17] = clip(sinceRequest / rtt, 4);
  // How long tails recently stayed silent before their packets came after all (a sender held
  // by its window sends in flights), and this silence against it. 0 when never seen.
  const pause = f.tailPauseMs > 0 ? f.tailPauseMs : 0;
  out[18] = clip(pause / rtt, 4);
  out[19] = clip(Math.log2(1 + silence / (pause + rhythm)) / 4, 3);
  return out;
}

/** `f` as it would read `waitMs` later with nothing arriving meanwhile: only its clocks move. */
export function advanceFeatures(f: GapFeatures, waitMs: number): GapFeatures {
  return {
    ...f,
    gapAgeMs: f.gapAgeMs + waitMs,
    sinceLastArrivalMs: f.sinceLastArrivalMs + waitMs,
    sinceLastRequestMs: f.requestsSoFar > 0 ? f.sinceLastRequestMs + waitMs : f.sinceLastRequestMs,
  };
}

/** Clamps to [0, max]; NaN (a feature the engine could not compute yet) becomes 0. */
function clip(x: number, max: number): number {
  return x > 0 ? (x < max ? x : max) : 0;
}
