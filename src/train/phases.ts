/**
 * Scoring over several replay phases. A per-packet trace scenario replayed once is decided by a
 * handful of messages caught in one or two loss bursts: on the Starlink LENS segments the p99 of
 * one policy moves by 50-100 ms between phases (the replay starting elsewhere in the same segment),
 * more than most differences between policies. So every figure that chooses or judges a policy is
 * taken over REPLAY_PHASES: the median p99 with its spread across phases, the spurious share
 * pooled over all phases (spurious / all retransmissions, summed), and, between two policies,
 * paired per phase (same losses, same messages).
 *
 * Seeds do not help there: a trace replay is deterministic (the link draws nothing at random), so
 * other seeds give the same figures. Scenarios without phases (loss models, capacity traces) are
 * replayed at several seeds instead (REPLAY_SEEDS), which do draw other losses and jitter.
 */
import { round, type ReplayRow } from './evaluate.js';
import type { Scenario } from './scenarios.js';

/** Replay phases (fractions of the segment) of per-packet trace scenarios, for judging a policy. */
export const REPLAY_PHASES: readonly number[] = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875];

/**
 * Phases at which the operating point's search replays each LENS fold (src/train/scenarios.ts,
 * LENS_FOLDS): four folds at four phases are 16 replays per trial, twice the eight of the one
 * validation segment it was chosen on before, over four times the outages. At eight phases
 * (32 replays) the search alone took 16 minutes on two cores, and `pdu train` would pass 25.
 */
export const CHOICE_PHASES: readonly number[] = [0, 0.25, 0.5, 0.75];

/** Phases at which the training split's trace scenarios are replayed to build the dataset. */
export const TRAIN_PHASES: readonly number[] = REPLAY_PHASES;

/**
 * Simulation seeds of the scenarios without phases (loss models, capacity traces): there the
 * seed draws the losses and the jitter, so other seeds are other runs of the same conditions.
 */
export const REPLAY_SEEDS: readonly number[] = [1, 2, 3, 4];

/** Each scenario at every phase (only per-packet trace scenarios have phases). */
export function withPhases(scenarios: readonly Scenario[], phases: readonly number[] = REPLAY_PHASES): Scenario[] {
  return scenarios.flatMap((s) => atPhases(s, phases) ?? [s]);
}

/** A per-packet trace scenario at each phase (phase 0 is the scenario itself); undefined for others. */
function atPhases(s: Scenario, phases: readonly number[]): Scenario[] | undefined {
  const withPhase = s.withPhase;
  return withPhase && phases.map((p) => (p === 0 ? s : withPhase(p)));
}

/**
 * The runs a policy is judged on: per-packet trace scenarios at every phase, the others at
 * every seed. Variants are named `<scenario>@<phase>` and `<scenario>@s<seed>` (the first of
 * each keeps the plain name).
 */
export function replayVariants(scenarios: readonly Scenario[], phases: readonly number[] = REPLAY_PHASES, seeds: readonly number[] = REPLAY_SEEDS): Scenario[] {
  return scenarios.flatMap(
    (s) => atPhases(s, phases) ?? seeds.map((seed, i) => (i === 0 && seed === (s.seed ?? 1) ? s : { ...s, name: `${s.name}@s${seed}`, seed })),
  );
}

/**
 * `trace-x@0.25` -> `trace-x`, `ge-y@s2` -> `ge-y`; a time fold of a scenario scored over its
 * folds together (scenarios.ts, LENS_FOLDS) is a variant too: `trace-z@20-40@0.25` -> `trace-z`.
 */
export function baseScenario(trace: string): string {
  const at = trace.indexOf('@');
  return at < 0 ? trace : trace.slice(0, at);
}

/**
 * One policy on one scenario, over its phases. Field names follow ReplayRow where they mean the
 * same; the policy and the scenario's own figures are ReplayRow's.
 */
export interface PhasedRow extends Pick<ReplayRow, 'policy' | 'loss' | 'rtt_ms' | 'msg_bytes' | 'offered_mbit_s'> {
  /** The scenario, without its variant suffix. */
  trace: string;
  phases: number;
  /** Median over phases of the p99 message latency, and its spread. */
  p99_ms: number;
  p99_ms_q1: number;
  p99_ms_q3: number;
  p99_ms_min: number;
  p99_ms_max: number;
  /** Median over phases of the p99 relative to timeout-only recovery at the same phase (when replayed). */
  p99_vs_timeout?: number;
  p50_ms: number;
  /** Spurious retransmissions / all retransmissions, summed over phases; and the per-phase range. */
  spurious_share: number;
  spurious_share_min: number;
  spurious_share_max: number;
  spurious: number;
  /** Spurious retransmissions by cause, summed over phases. */
  spurious_by_cause: Record<string, number>;
  retransmissions: number;
  /** Lowest share of messages delivered in any phase. */
  delivered: number;
}

function sumCauses(all: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const causes of all) for (const [cause, n] of Object.entries(causes)) sum[cause] = (sum[cause] ?? 0) + n;
  return sum;
}

export function summarisePhases(rows: readonly ReplayRow[]): PhasedRow[] {
  const groups = new Map<string, ReplayRow[]>();
  for (const r of rows) {
    const key = `${baseScenario(r.trace)}|${r.policy}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: PhasedRow[] = [];
  for (const g of groups.values()) {
    const first = g[0]!;
    const trace = baseScenario(first.trace);
    const p99 = g.map((r) => r.p99_ms).sort((a, b) => a - b);
    const shares = g.map((r) => r.spurious_share);
    const spurious = g.reduce((s, r) => s + r.spurious, 0);
    const retransmissions = g.reduce((s, r) => s + r.retransmissions, 0);
    const timeout = rows.filter((r) => r.policy === 'pdu-timeout' && baseScenario(r.trace) === trace);
    const ratios = g.flatMap((r) => {
      const t = timeout.find((x) => x.trace === r.trace);
      return t && t.p99_ms > 0 ? [r.p99_ms / t.p99_ms] : [];
    });
    out.push({
      trace,
      policy: first.policy,
      phases: g.length,
      p99_ms: round(quantile(p99, 0.5), 1),
      p99_ms_q1: round(quantile(p99, 0.25), 1),
      p99_ms_q3: round(quantile(p99, 0.75), 1),
      p99_ms_min: p99[0]!,
      p99_ms_max: p99[p99.length - 1]!,
      ...(ratios.length === g.length ? { p99_vs_timeout: round(median(ratios), 4) } : {}),
      p50_ms: round(median(g.map((r) => r.p50_ms)), 1),
      spurious_share: retransmissions === 0 ? 0 : round(spurious / retransmissions, 4),
      spurious_share_min: Math.min(...shares),
      spurious_share_max: Math.max(...shares),
      spurious,
      spurious_by_cause: sumCauses(g.map((r) => r.spurious_by_cause)),
      retransmissions,
      delivered: Math.min(...g.map((r) => r.delivered)),
      loss: round(mean(g.map((r) => r.loss)), 4),
      rtt_ms: round(median(g.map((r) => r.rtt_ms)), 1),
      msg_bytes: first.msg_bytes,
      offered_mbit_s: first.offered_mbit_s,
    });
  }
  return out;
}

/** Policy `a` against policy `b` on one scenario, phase by phase. */
export interface PairedP99 {
  trace: string;
  a: string;
  b: string;
  phases: number;
  /** Median, lowest and highest over phases of p99(a) - p99(b). */
  diff_ms: number;
  diff_ms_min: number;
  diff_ms_max: number;
  /** Phases where a's p99 is lower, higher, equal (within 0.5 ms). */
  a_lower: number;
  a_higher: number;
}

export function pairedP99(rows: readonly ReplayRow[], trace: string, a: ReplayRow['policy'], b: ReplayRow['policy']): PairedP99 | undefined {
  const mine = rows.filter((r) => r.policy === a && baseScenario(r.trace) === trace);
  const diffs = mine.flatMap((r) => {
    const o = rows.find((x) => x.policy === b && x.trace === r.trace);
    return o ? [r.p99_ms - o.p99_ms] : [];
  });
  if (diffs.length === 0) return undefined;
  return {
    trace,
    a,
    b,
    phases: diffs.length,
    diff_ms: round(median(diffs), 1),
    diff_ms_min: round(Math.min(...diffs), 1),
    diff_ms_max: round(Math.max(...diffs), 1),
    a_lower: diffs.filter((d) => d < -0.5).length,
    a_higher: diffs.filter((d) => d > 0.5).length,
  };
}

/** Linear interpolation between order statistics of a sorted array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}
