/**
 * The predictor's dataset: labelled decisions from replays of the scenarios (and, optionally,
 * from engine traces), each row tagged with its scenario and split so that no trace or time
 * segment ever feeds two splits.
 */
import { DEFAULT_CONFIG } from '../engine/config.js';
import { HeuristicPredictor } from '../predict/heuristic-predictor.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import { TimeoutPredictor } from '../predict/timeout-predictor.js';
import { labelDecisions, type LabelledDecision } from './labels.js';
import { replay } from './replay.js';
import type { Scenario, Split, TraceLibrary } from './scenarios.js';

export interface DatasetRow extends LabelledDecision {
  scenario: string;
  split: Split;
}

export interface ScenarioSummary {
  scenario: string;
  split: Split;
  rows: number;
  lost: number;
  unmatched: number;
}

/** The heuristic with the engine's default settings: the policy the data is collected under. */
export function defaultHeuristic(): HeuristicPredictor {
  const r = DEFAULT_CONFIG.recovery;
  return new HeuristicPredictor({ packetThreshold: r.packetThreshold, maxRequests: r.maxNackRequests, granularityMs: r.granularityMs });
}

/** A policy to collect data under, and which of its labelled decisions to keep. */
export interface Collector {
  predictor: () => LossPredictor;
  keep: (row: LabelledDecision) => boolean;
}

/**
 * First requests are labelled from runs that never ask (timeout-only recovery), where every
 * wait can be followed to its end; repeated requests from runs under the heuristic, the only
 * ones that make them. (A label about a gap's content is cut short where the running policy
 * requested it: past that, the replay no longer shows what would have happened without.)
 */
export const DEFAULT_COLLECTORS: readonly Collector[] = [
  { predictor: () => new TimeoutPredictor(), keep: (r) => r.features.requestsSoFar === 0 },
  { predictor: defaultHeuristic, keep: (r) => r.features.requestsSoFar > 0 },
];

export interface BuildOptions {
  traces: TraceLibrary | undefined;
  collectors?: readonly Collector[];
  seed?: number;
  messageScale?: number;
  /** Called after each scenario, e.g. to show progress. */
  onScenario?: (summary: ScenarioSummary) => void;
}

export function buildDataset(scenarios: readonly Scenario[], o: BuildOptions): DatasetRow[] {
  const rows: DatasetRow[] = [];
  const maxRequests = DEFAULT_CONFIG.recovery.maxNackRequests;
  for (const scenario of scenarios) {
    const summary: ScenarioSummary = { scenario: scenario.name, split: scenario.split, rows: 0, lost: 0, unmatched: 0 };
    for (const collector of o.collectors ?? DEFAULT_COLLECTORS) {
      const run = replay({ scenario, seed: o.seed ?? 1, traces: o.traces, predictor: collector.predictor, messageScale: o.messageScale ?? 1 });
      const { rows: labelled, stats } = labelDecisions(run.log, { endMs: run.endMs, maxRequests });
      summary.unmatched += stats.unmatched;
      for (const r of labelled) {
        if (!collector.keep(r)) continue;
        rows.push({ ...r, scenario: scenario.name, split: scenario.split });
        summary.rows++;
        summary.lost += r.lost;
      }
    }
    o.onScenario?.(summary);
  }
  return rows;
}
