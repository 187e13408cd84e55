export type { GapFeatures, GapVerdict, LossPredictor } from './loss-predictor.js';
export { HeuristicPredictor, type HeuristicPredictorOptions } from './heuristic-predictor.js';
export { TimeoutPredictor } from './timeout-predictor.js';
