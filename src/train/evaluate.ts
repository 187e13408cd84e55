/**
 * The report's two halves: each policy judged as a classifier on labelled decisions, and each
 * recovery policy replayed end to end through the simulator.
 */
import type { LossPredictor } from '../predict/loss-predictor.js';
import type { LabelledDecision } from './labels.js';
import { classifierFigures, percentileOf, type ClassifierFigures } from './metrics.js';
import { replay } from './replay.js';
import type { Scenario, TraceLibrary } from './scenarios.js';

/**
 * A policy's verdict at each labelled moment: its loss probability as the score, and "requests
 * the gap by then" as the decision (what a NACK at that moment would be).
 */
export function classify(predictor: LossPredictor, rows: readonly LabelledDecision[]): ClassifierFigures {
  const scores = new Float64Array(rows.length);
  const decisions: boolean[] = [];
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    const v = predictor.assess(r.features, r.t);
    scores[i] = v.lossProbability;
    decisions.push(v.requestAt !== undefined && v.requestAt <= r.t + 1e-9);
    labels[i] = r.lost;
  });
  return classifierFigures(scores, decisions, labels);
}

export type PolicyName = 'model' | 'heuristic' | 'timeout';

export interface ReplayRow {
  trace: string;
  policy: `pdu-${PolicyName}`;
  p99_ms: number;
  p50_ms: number;
  /** Spurious retransmissions / all retransmissions (0 when there were none). */
  spurious_share: number;
  /** Retransmissions acknowledged as received before (the sender's count). */
  spurious: number;
  /** Those by what declared the first copy lost (nack, threshold, lane, tail, pto). */
  spurious_by_cause: Record<string, number>;
  retransmissions: number;
  delivered: number;
  /** CONTRACTS.md numeric fields. */
  loss: number;
  rtt_ms: number;
  msg_bytes: number;
  offered_mbit_s: number;
}

export interface ReplayEvaluationOptions {
  scenarios: readonly Scenario[];
  policies: Partial<Record<PolicyName, () => LossPredictor>>;
  traces: TraceLibrary | undefined;
  seed?: number;
  messageScale?: number;
  onRow?: (row: ReplayRow) => void;
}

export function replayPolicies(o: ReplayEvaluationOptions): ReplayRow[] {
  const rows: ReplayRow[] = [];
  for (const scenario of o.scenarios) {
    for (const [name, predictor] of Object.entries(o.policies) as [PolicyName, () => LossPredictor][]) {
      const run = replay({ scenario, predictor, seed: scenario.seed ?? o.seed ?? 1, traces: o.traces, messageScale: o.messageScale ?? 1 });
      const r = run.retransmissions;
      const all = r.predictive + r.timeout;
      const w = scenario.workload;
      const path = pathFigures(run.log.sentAt, run.log.arrivedAt);
      const row: ReplayRow = {
        trace: scenario.name,
        policy: `pdu-${name}`,
        p99_ms: round(percentileOf(run.latencies, 0.99), 1),
        p50_ms: round(percentileOf(run.latencies, 0.5), 1),
        spurious_share: all === 0 ? 0 : round(r.spurious / all, 4),
        spurious: r.spurious,
        spurious_by_cause: run.spuriousByCause,
        retransmissions: all,
        delivered: round(run.latencies.length / run.messages, 4),
        loss: round(path.loss, 4),
        rtt_ms: round(2 * path.oneWayMs, 1),
        msg_bytes: w.messageBytes,
        offered_mbit_s: round((w.messageBytes * 8) / (w.intervalMs * 1000), 3),
      };
      rows.push(row);
      o.onRow?.(row);
    }
  }
  return rows;
}

/** Loss and median one-way delay of the data direction, as the link delivered it. */
function pathFigures(sent: ReadonlyMap<number, number>, arrived: ReadonlyMap<number, number>): { loss: number; oneWayMs: number } {
  const delays: number[] = [];
  let lost = 0;
  for (const [pn, at] of sent) {
    const got = arrived.get(pn);
    if (got === undefined) lost++;
    else delays.push(got - at);
  }
  return { loss: sent.size === 0 ? 0 : lost / sent.size, oneWayMs: percentileOf(delays, 0.5) };
}

export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
