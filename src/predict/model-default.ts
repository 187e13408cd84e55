import { ModelPredictor, type ModelPredictorOptions } from './model-predictor.js';
import type { ModelWeightsJson } from './model-forward.js';
import weights from './weights/default.json' with { type: 'json' };

/**
 * The weights shipped with the package, trained by `pdu train` on the shared real traces and
 * simulated links (docs/PREDICTOR.md says on what, and how they score on held-out traces).
 */
export const DEFAULT_MODEL_WEIGHTS = weights as ModelWeightsJson;

/** The predictor behind `recovery.predictor: 'model'`. */
export function defaultModelPredictor(options: ModelPredictorOptions): ModelPredictor {
  return new ModelPredictor(DEFAULT_MODEL_WEIGHTS, options);
}
