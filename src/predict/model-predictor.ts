import type { GapFeatures, GapVerdict, LossPredictor } from './loss-predictor.js';
import { encodeFeatures, MODEL_FEATURE_COUNT, MODEL_FEATURES } from './model-features.js';
import { Mlp, type ModelWeightsJson } from './model-forward.js';

/**
 * Waits (in smoothed RTTs) after which the model is asked "lost, if nothing changes until
 * then?". The dataset builder labels exactly these moments, so the model is only asked about
 * situations it was trained on. They reach three RTTs because a repeated request only makes
 * sense once the resent copy has had a round trip to arrive.
 */
export const WAIT_STEPS_RTT: readonly number[] = [0, 1 / 64, 1 / 32, 1 / 16, 1 / 8, 3 / 16, 1 / 4, 3 / 8, 1 / 2, 3 / 4, 1, 5 / 4, 3 / 2, 2, 5 / 2, 3];

export interface ModelPredictorOptions {
  /** Requests per packet, after which recovery is left to the sender's timers (maxNackRequests). */
  maxRequests: number;
  /** Overrides the weights' own operating point. */
  threshold?: number;
}

/**
 * The learned predictor. For each missing packet (a first or a repeated request alike) it finds
 * the earliest wait after which the model, assuming nothing arrives meanwhile, puts the loss
 * probability at or above its threshold, and schedules the request then. The engine consults
 * it again whenever new evidence arrives, so a packet that turns up late is never requested.
 */
export class ModelPredictor implements LossPredictor {
  readonly name = 'model' as const;
  readonly threshold: number;
  private readonly mlp: Mlp;
  private readonly x = new Float64Array(MODEL_FEATURE_COUNT);

  constructor(
    weights: ModelWeightsJson,
    private readonly options: ModelPredictorOptions,
  ) {
    if (weights.features.join() !== MODEL_FEATURES.join()) {
      throw new RangeError(`model weights expect features [${weights.features.join(', ')}], this build computes [${MODEL_FEATURES.join(', ')}]`);
    }
    this.mlp = new Mlp(weights);
    this.threshold = options.threshold ?? weights.threshold;
  }

  /** Loss probability if `waitMs` more pass with no arrival. */
  lossProbability(f: GapFeatures, waitMs = 0): number {
    return this.mlp.predict(encodeFeatures(f, this.x, waitMs));
  }

  assess(f: GapFeatures, now: number): GapVerdict {
    if (f.requestsSoFar >= this.options.maxRequests) return { lossProbability: 1, requestAt: undefined };
    const rtt = Math.max(f.srttMs, 1);
    const p0 = this.lossProbability(f);
    for (const step of WAIT_STEPS_RTT) {
      const p = step === 0 ? p0 : this.lossProbability(f, step * rtt);
      if (p >= this.threshold) return { lossProbability: p0, requestAt: now + step * rtt };
    }
    return { lossProbability: p0, requestAt: undefined };
  }
}
