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

/**
 * A repeat request is never scheduled before the answer to the previous one could have
 * arrived: one smoothed RTT after it, plus four RTT deviations (the heuristic's spacing). Asked
 * earlier, the model would fire all of a packet's requests within a few ms during an outage
 * (the answer is still on its way, so the gap looks as lost as before), and every copy they
 * elicit shares the outage's fate; the budget of requests is then spent before the outage ends.
 */
export const REPEAT_SPACING = { rtt: 1, rttVar: 4 } as const;

export type DecisionKind = 'hole' | 'tail' | 'repeat';

export interface ModelThresholds {
  hole: number;
  tail: number;
  repeat: number;
}

export interface ModelPredictorOptions {
  /** Requests per packet, after which recovery is left to the sender's timers (maxNackRequests). */
  maxRequests: number;
  /** Overrides the weights' own operating point, for every kind of decision. */
  threshold?: number;
  /** Overrides the weights' operating point per kind of decision (after `threshold`). */
  thresholds?: Partial<ModelThresholds>;
}

/** The operating point the weights carry: per-kind thresholds, or the single one of older files. */
export function weightsThresholds(weights: ModelWeightsJson): ModelThresholds {
  const t = weights.threshold;
  return { hole: t, tail: t, repeat: t, ...weights.thresholds };
}

/**
 * The learned predictor. For each missing packet it finds the earliest wait after which the
 * model, assuming nothing arrives meanwhile, puts the loss probability at or above the threshold
 * for that kind of decision (first request for a hole, for a tail, or a repeat), and schedules
 * the request then. A repeat waits at least REPEAT_SPACING after the previous request. The
 * engine consults it again whenever new evidence arrives, so a packet that turns up late is
 * never requested.
 */
export class ModelPredictor implements LossPredictor {
  readonly name = 'model' as const;
  readonly thresholds: ModelThresholds;
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
    const t = options.threshold;
    this.thresholds = { ...weightsThresholds(weights), ...(t === undefined ? {} : { hole: t, tail: t, repeat: t }), ...options.thresholds };
  }

  /** The first-request threshold for holes (the one operating point of older weights). */
  get threshold(): number {
    return this.thresholds.hole;
  }

  /** Loss probability if `waitMs` more pass with no arrival. */
  lossProbability(f: GapFeatures, waitMs = 0): number {
    return this.mlp.predict(encodeFeatures(f, this.x, waitMs));
  }

  static kindOf(f: GapFeatures): DecisionKind {
    return f.requestsSoFar > 0 ? 'repeat' : f.tail ? 'tail' : 'hole';
  }

  assess(f: GapFeatures, now: number): GapVerdict {
    if (f.requestsSoFar >= this.options.maxRequests) return { lossProbability: 1, requestAt: undefined };
    const rtt = Math.max(f.srttMs, 1);
    const kind = ModelPredictor.kindOf(f);
    const threshold = this.thresholds[kind];
    const p0 = this.lossProbability(f);
    // Waits before the previous request's answer could be back are not candidates; the first
    // one that is takes their place, so a repeat's grid starts exactly at the spacing.
    const earliest = kind === 'repeat' ? Math.max(0, REPEAT_SPACING.rtt * f.srttMs + REPEAT_SPACING.rttVar * f.rttVarMs - f.sinceLastRequestMs) : 0;
    const last = WAIT_STEPS_RTT[WAIT_STEPS_RTT.length - 1]! * rtt;
    if (earliest > last) return { lossProbability: p0, requestAt: undefined };
    let first = true;
    for (const step of WAIT_STEPS_RTT) {
      let wait = step * rtt;
      if (wait < earliest) continue;
      if (first && earliest > 0) wait = earliest;
      first = false;
      const p = wait === 0 ? p0 : this.lossProbability(f, wait);
      if (p >= threshold) return { lossProbability: p0, requestAt: now + wait };
    }
    return { lossProbability: p0, requestAt: undefined };
  }
}
