/**
 * The model's operating point, chosen where it matters: by replaying scenarios outside the test
 * split (src/train/scenarios.ts, operatingPointScenarios) with the model predictor, end to end.
 * A row-level target (precision, recall, AUC) would not do: what a request costs (a spurious
 * retransmission) and buys (an earlier recovery, a lower p99) only shows in the message
 * latencies, and a late request costs a whole message's p99 while a needless one costs one
 * packet. So this is a policy search on replays, scored the way the aim is stated, with one
 * threshold per kind of decision (first request for a hole, for a tail, a repeat): their costs
 * differ (on a FIFO path a hole is never late, a tail often is; a repeat only helps if the
 * outage has ended by the time its answer is sent).
 *
 * Every scenario is replayed at several variants (src/train/phases.ts): per-packet trace
 * scenarios at CHOICE_PHASES (the replay starting elsewhere in the same segment), the others at
 * REPLAY_SEEDS. At a single phase a LENS p99 is decided by a handful of messages and moves by
 * 50-100 ms between phases, more than most differences between policies. A policy is scored per
 * scenario: the median over variants of its p99 relative to timeout-only recovery in the same
 * variant, and its spurious share pooled over the variants.
 *
 * Phases do not make one segment representative: the LENS validation segment (two long outages
 * and a short one) put a point at 5.0% spurious that had 8.5-16.7% on the training segments and
 * 11.1% on the test segment. So Starlink LENS is scored by cross-validation over time folds,
 * LENS 0-80% in four folds of 20% (the test 80-100% never), each at every phase, all 16 variants
 * pooled into one scenario. Pooled, not bounded fold by fold: with two or three outages per fold
 * the per-fold bounds were knife edges (11.1% against the heuristic's 11.0% on one fold, a p99
 * 0.753 against 0.747 of timeout on another), and the only policies within 5% spurious on every
 * fold were those that never asked early (p99 0.997-1.001 of timeout on every fold).
 *
 * The rule bounds each scenario separately (means across scenarios hid a tripled spurious share
 * on one path behind a lower one on another). A scenario's spurious budget is the larger of the
 * aim's 5% (or timeout-only recovery's own share, where that is higher) and the heuristic's share.
 * In order:
 *   0 `meets-aim`: on every scenario, p99 at most 0.75 of timeout-only and spurious within the
 *     aim's 5% (or the timeout's own share);
 *   1 `not-worse-than-heuristic`: on every scenario, p99 ratio no higher than the heuristic's and
 *     spurious within the budget;
 *   2 `not-worse-or-within-aim`: on every scenario, either of the two: not worse than the
 *     heuristic, or spurious within the aim's 5% (or the timeout's own share). The spurious half
 *     of the aim alone is no achievement: timeout-only recovery meets it, and on the LENS folds
 *     only policies that never ask early did; here it counts where the model cannot match the
 *     heuristic's p99 (GE wifi, where no threshold did);
 *   3 `spurious-within-heuristic`: on every scenario, spurious within the budget;
 *   4 `fewest-spurious`: the rest, fewest scenarios over budget, then the smallest excess.
 * Within tiers 0-3, the lowest mean (over scenarios) of the p99 ratios, then the lower mean
 * spurious share. The search is coordinate-wise over THRESHOLD_CANDIDATES.
 */
import { ModelPredictor, weightsThresholds, type DecisionKind, type ModelThresholds } from '../predict/model-predictor.js';
import type { ModelWeightsJson } from '../predict/model-forward.js';
import { TimeoutPredictor } from '../predict/timeout-predictor.js';
import { defaultHeuristic } from './dataset.js';
import { replayPolicies, type ReplayRow } from './evaluate.js';
import { baseScenario, CHOICE_PHASES, REPLAY_SEEDS, replayVariants, summarisePhases, type PhasedRow } from './phases.js';
import type { Scenario, TraceLibrary } from './scenarios.js';

export const THRESHOLD_CANDIDATES: Readonly<Record<DecisionKind, readonly number[]>> = {
  repeat: [0.1, 0.2, 0.3, 0.5, 0.7],
  tail: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
  hole: [0.2, 0.35, 0.5, 0.7],
};

/** Aim against timeout-only recovery (issue 7). */
export const AIM = { p99Ratio: 0.75, spuriousShare: 0.05 } as const;

/** One policy on one scenario (a LENS fold, a validation scenario), over its variants. */
export interface ScenarioScore {
  trace: string;
  /** Median over variants of p99 / timeout-only p99 in the same variant. */
  p99Ratio: number;
  /** Spurious share pooled over the variants. */
  spuriousShare: number;
  /** The scenario's spurious budget (see the rule) and the median p99 itself. */
  spuriousBudget: number;
  p99_ms: number;
  p99_ms_min: number;
  p99_ms_max: number;
}

export interface PolicyTrial {
  /** 'heuristic' for the reference row. */
  thresholds: ModelThresholds | 'heuristic';
  /** Means over the scenarios of their p99 ratio and spurious share (for ordering within a tier, and display). */
  p99Ratio: number;
  spuriousShare: number;
  scenarios: ScenarioScore[];
  /** Tier under the rule (0 best); the heuristic's own row has none. */
  tier?: number;
  rows: ReplayRow[];
}

export interface OperatingPointOptions {
  weights: ModelWeightsJson;
  scenarios: readonly Scenario[];
  traces: TraceLibrary | undefined;
  maxRequests: number;
  candidates?: Readonly<Record<DecisionKind, readonly number[]>>;
  phases?: readonly number[];
  seeds?: readonly number[];
  /** Scales the scenarios' message counts (quick runs in tests). */
  messageScale?: number;
  onTrial?: (trial: PolicyTrial) => void;
}

export const TIERS = ['meets-aim', 'not-worse-than-heuristic', 'not-worse-or-within-aim', 'spurious-within-heuristic', 'fewest-spurious'] as const;

export interface OperatingPoint {
  thresholds: ModelThresholds;
  tier: (typeof TIERS)[number];
  /** Timeout-only recovery per scenario: its pooled spurious share (its p99 ratio is 1). */
  timeout: { trace: string; spuriousShare: number }[];
  heuristic: PolicyTrial;
  trials: PolicyTrial[];
}

export function chooseOperatingPoint(o: OperatingPointOptions): OperatingPoint {
  const heldOut = o.scenarios.find((s) => s.split === 'test');
  if (heldOut) throw new Error(`the operating point is never chosen on the test split: ${heldOut.name}`);
  const all = replayVariants(o.scenarios, o.phases ?? CHOICE_PHASES, o.seeds ?? REPLAY_SEEDS);
  const messageScale = o.messageScale ?? 1;
  const baseline = replayPolicies({ scenarios: all, traces: o.traces, messageScale, policies: { timeout: () => new TimeoutPredictor() } });
  const timeoutSummary = summarisePhases(baseline);
  // Scenarios where nothing was ever lost cannot tell policies apart.
  const informativeNames = new Set(timeoutSummary.filter((r) => r.retransmissions > 0).map((r) => r.trace));
  const informative = all.filter((s) => informativeNames.has(baseScenario(s.name)));
  const timeoutRows = baseline.filter((r) => informative.some((s) => s.name === r.trace));
  const timeoutShare = new Map(timeoutSummary.filter((r) => informativeNames.has(r.trace)).map((r) => [r.trace, r.spurious_share]));
  const aimCap = (trace: string) => Math.max(AIM.spuriousShare, timeoutShare.get(trace) ?? 0);
  const score = (rows: ReplayRow[], budget: (trace: string) => number): ScenarioScore[] =>
    summarisePhases([...rows, ...timeoutRows])
      .filter((r: PhasedRow) => r.policy !== 'pdu-timeout')
      .map((r) => ({
        trace: r.trace,
        p99Ratio: r.p99_vs_timeout ?? 1,
        spuriousShare: r.spurious_share,
        spuriousBudget: budget(r.trace),
        p99_ms: r.p99_ms,
        p99_ms_min: r.p99_ms_min,
        p99_ms_max: r.p99_ms_max,
      }));
  const trial = (thresholds: PolicyTrial['thresholds'], rows: ReplayRow[], scenarios: ScenarioScore[]): PolicyTrial => ({
    thresholds,
    p99Ratio: mean(scenarios.map((s) => s.p99Ratio)),
    spuriousShare: mean(scenarios.map((s) => s.spuriousShare)),
    scenarios,
    rows,
  });
  const heuristicRows = replayPolicies({ scenarios: informative, traces: o.traces, messageScale, policies: { heuristic: defaultHeuristic } });
  const heuristicScores = score(heuristicRows, aimCap);
  const heuristicOf = new Map(heuristicScores.map((s) => [s.trace, s]));
  const budget = (trace: string) => Math.max(aimCap(trace), heuristicOf.get(trace)?.spuriousShare ?? 0);
  const heuristic = trial('heuristic', heuristicRows, heuristicScores.map((s) => ({ ...s, spuriousBudget: budget(s.trace) })));
  o.onTrial?.(heuristic);

  const tierOf = (t: PolicyTrial): number => policyTier(t.scenarios, heuristicOf, aimCap);
  const overBudget = (t: PolicyTrial) => t.scenarios.filter((s) => s.spuriousShare > s.spuriousBudget).length;
  const excess = (t: PolicyTrial) => t.scenarios.reduce((sum, s) => sum + Math.max(0, s.spuriousShare - s.spuriousBudget), 0);
  const better = (a: PolicyTrial, b: PolicyTrial): boolean => {
    const ta = a.tier!;
    const tb = b.tier!;
    if (ta !== tb) return ta < tb;
    if (ta === TIERS.length - 1) return overBudget(a) < overBudget(b) || (overBudget(a) === overBudget(b) && excess(a) < excess(b));
    return a.p99Ratio < b.p99Ratio || (a.p99Ratio === b.p99Ratio && a.spuriousShare < b.spuriousShare);
  };

  const trials: PolicyTrial[] = [];
  const cache = new Map<string, PolicyTrial>();
  const run = (thresholds: ModelThresholds): PolicyTrial => {
    const key = `${thresholds.hole}/${thresholds.tail}/${thresholds.repeat}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const rows = replayPolicies({
      scenarios: informative,
      traces: o.traces,
      messageScale,
      policies: { model: () => new ModelPredictor(o.weights, { maxRequests: o.maxRequests, thresholds }) },
    });
    const t = trial(thresholds, rows, score(rows, budget));
    t.tier = tierOf(t);
    cache.set(key, t);
    trials.push(t);
    o.onTrial?.(t);
    return t;
  };
  const candidates = o.candidates ?? THRESHOLD_CANDIDATES;
  let best = run(weightsThresholds(o.weights));
  // Repeats first: they decide whether requests outlast an outage; then tails, then holes.
  for (const kind of ['repeat', 'tail', 'hole'] as const) {
    for (const value of candidates[kind]) {
      const t = run({ ...(best.thresholds as ModelThresholds), [kind]: value });
      if (better(t, best)) best = t;
    }
  }
  return {
    thresholds: best.thresholds as ModelThresholds,
    tier: TIERS[best.tier!]!,
    timeout: [...timeoutShare].map(([trace, spuriousShare]) => ({ trace, spuriousShare })),
    heuristic,
    trials,
  };
}

/** The policy's tier under the rule (index into TIERS), from its per-scenario scores. */
export function policyTier(scores: readonly ScenarioScore[], heuristic: ReadonlyMap<string, ScenarioScore>, aimCap: (trace: string) => number): number {
  const withinBudget = (s: ScenarioScore) => s.spuriousShare <= s.spuriousBudget;
  const withinAim = (s: ScenarioScore) => s.spuriousShare <= aimCap(s.trace);
  const notWorse = (s: ScenarioScore) => withinBudget(s) && s.p99Ratio <= (heuristic.get(s.trace)?.p99Ratio ?? Infinity);
  if (scores.every((s) => s.p99Ratio <= AIM.p99Ratio && withinAim(s))) return 0;
  if (scores.every(notWorse)) return 1;
  if (scores.every((s) => notWorse(s) || withinAim(s))) return 2;
  if (scores.every(withinBudget)) return 3;
  return 4;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}
