import type { GapFeatures, GapVerdict, LossPredictor } from './loss-predictor.js';

/**
 * Never requests anything: recovery is left to the sender's RFC 9002 loss detection (ACK
 * ranges with packet and time thresholds) and its probe timeout. The baseline the predictors
 * are measured against.
 */
export class TimeoutPredictor implements LossPredictor {
  readonly name = 'timeout' as const;

  assess(f: GapFeatures): GapVerdict {
    return { lossProbability: f.successors > 0 ? 1 : 0.5, requestAt: undefined };
  }
}
