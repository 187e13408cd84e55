/**
 * The model's threshold, chosen where it matters: by replaying the validation scenarios with the
 * model predictor at a few thresholds. A row-level precision target would not do, because what
 * a threshold costs (spurious retransmissions) and buys (earlier recovery, a lower p99) only
 * shows end to end. The rule follows the aim: among the thresholds whose spurious share is no
 * worse than the heuristic's, the one with the lowest p99 (relative to timeout-only recovery);
 * if none qualifies, the one with the fewest spurious retransmissions.
 */
import { ModelPredictor } from '../predict/model-predictor.js';
import type { ModelWeightsJson } from '../predict/model-forward.js';
import { TimeoutPredictor } from '../predict/timeout-predictor.js';
import { defaultHeuristic } from './dataset.js';
import { replayPolicies, type ReplayRow } from './evaluate.js';
import type { Scenario, TraceLibrary } from './scenarios.js';

export const THRESHOLD_CANDIDATES: readonly number[] = [0.2, 0.35, 0.5, 0.7, 0.85];

export interface ThresholdTrial {
  threshold: number;
  /** Mean over the scenarios of p99 / timeout-only p99, and of the spurious share. */
  p99Ratio: number;
  spuriousShare: number;
  rows: ReplayRow[];
}

export interface OperatingPointOptions {
  weights: ModelWeightsJson;
  scenarios: readonly Scenario[];
  traces: TraceLibrary | undefined;
  maxRequests: number;
  candidates?: readonly number[];
  onTrial?: (trial: ThresholdTrial) => void;
}

export function chooseThreshold(o: OperatingPointOptions): { threshold: number; heuristic: ThresholdTrial; trials: ThresholdTrial[] } {
  const baseline = replayPolicies({ scenarios: o.scenarios, traces: o.traces, policies: { timeout: () => new TimeoutPredictor() } });
  // Scenarios where nothing was ever lost cannot tell thresholds apart.
  const informative = o.scenarios.filter((s) => baseline.some((r) => r.trace === s.name && r.retransmissions > 0));
  const timeoutP99 = new Map(baseline.map((r) => [r.trace, r.p99_ms]));
  const trial = (threshold: number, rows: ReplayRow[]): ThresholdTrial => ({
    threshold,
    p99Ratio: mean(rows.map((r) => r.p99_ms / (timeoutP99.get(r.trace) ?? r.p99_ms))),
    spuriousShare: mean(rows.map((r) => r.spurious_share)),
    rows,
  });
  const heuristic = trial(NaN, replayPolicies({ scenarios: informative, traces: o.traces, policies: { heuristic: defaultHeuristic } }));
  o.onTrial?.(heuristic);
  const trials = (o.candidates ?? THRESHOLD_CANDIDATES).map((threshold) => {
    const rows = replayPolicies({
      scenarios: informative,
      traces: o.traces,
      policies: { model: () => new ModelPredictor(o.weights, { maxRequests: o.maxRequests, threshold }) },
    });
    const t = trial(threshold, rows);
    o.onTrial?.(t);
    return t;
  });
  const eligible = trials.filter((t) => t.spuriousShare <= heuristic.spuriousShare);
  const best = eligible.length > 0 ? eligible.reduce((a, b) => (b.p99Ratio < a.p99Ratio ? b : a)) : trials.reduce((a, b) => (b.spuriousShare < a.spuriousShare ? b : a));
  return { threshold: best.threshold, heuristic, trials };
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}
