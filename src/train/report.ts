/**
 * `pdu eval` / `npm run eval:predictor`: the model against the heuristic (and timeout-only
 * recovery) on the held-out scenarios, as classifiers and end to end.
 */
import { DEFAULT_CONFIG } from '../engine/config.js';
import { ModelPredictor } from '../predict/model-predictor.js';
import type { ModelWeightsJson } from '../predict/model-forward.js';
import { TimeoutPredictor } from '../predict/timeout-predictor.js';
import { buildDataset, defaultHeuristic, type ScenarioSummary } from './dataset.js';
import { classify, replayPolicies, round, type ReplayRow } from './evaluate.js';
import type { ClassifierFigures } from './metrics.js';
import { pairedP99, REPLAY_PHASES, REPLAY_SEEDS, replayVariants, summarisePhases, type PairedP99, type PhasedRow } from './phases.js';
import type { Scenario, TraceLibrary } from './scenarios.js';

export interface PredictorReport {
  classifier: { model: ClassifierFigures; heuristic: ClassifierFigures };
  /**
   * Per scenario and policy, over its replay variants (phases of a trace replay, seeds of the
   * others): the median p99 with its spread, the spurious share pooled over the variants.
   */
  replay: PhasedRow[];
  /** The model against the heuristic and against timeout-only recovery, variant by variant. */
  paired: PairedP99[];
  /** Every variant's own row. */
  replay_variants: ReplayRow[];
}

export interface ReportOptions {
  weights: ModelWeightsJson;
  /** The held-out scenarios (the test split). */
  scenarios: readonly Scenario[];
  traces: TraceLibrary | undefined;
  messageScale?: number;
  phases?: readonly number[];
  seeds?: readonly number[];
  onScenario?: (s: ScenarioSummary) => void;
  onRow?: (row: ReplayRow) => void;
}

export function evaluatePredictor(o: ReportOptions): PredictorReport {
  const maxRequests = DEFAULT_CONFIG.recovery.maxNackRequests;
  const model = () => new ModelPredictor(o.weights, { maxRequests });
  const rows = buildDataset(o.scenarios, { traces: o.traces, messageScale: o.messageScale ?? 1, ...(o.onScenario ? { onScenario: o.onScenario } : {}) });
  const m = model();
  const classifier = { model: { ...tidy(classify(m, rows)), threshold: m.threshold, thresholds: m.thresholds }, heuristic: tidy(classify(defaultHeuristic(), rows)) };
  const variants = replayPolicies({
    scenarios: replayVariants(o.scenarios, o.phases ?? REPLAY_PHASES, o.seeds ?? REPLAY_SEEDS),
    traces: o.traces,
    messageScale: o.messageScale ?? 1,
    policies: { model, heuristic: defaultHeuristic, timeout: () => new TimeoutPredictor() },
    ...(o.onRow ? { onRow: o.onRow } : {}),
  });
  const paired = o.scenarios.flatMap((s) =>
    (['pdu-heuristic', 'pdu-timeout'] as const).flatMap((b) => {
      const p = pairedP99(variants, s.name, 'pdu-model', b);
      return p ? [p] : [];
    }),
  );
  return { classifier, replay: summarisePhases(variants), paired, replay_variants: variants };
}

function tidy(f: ClassifierFigures): ClassifierFigures {
  return { ...f, auc: round(f.auc, 4), precision: round(f.precision, 4), recall: round(f.recall, 4) };
}
