import { describe, expect, it } from 'vitest';
import type { GapFeatures } from '../../src/predict/loss-predictor.js';
import { DEFAULT_MODEL_WEIGHTS, defaultModelPredictor } from '../../src/predict/model-default.js';
import { advanceFeatures, encodeFeatures, MODEL_FEATURE_COUNT, MODEL_FEATURES } from '../../src/predict/model-features.js';
import { Mlp, type ModelWeightsJson } from '../../src/predict/model-forward.js';
import { ModelPredictor, REPEAT_SPACING, WAIT_STEPS_RTT, weightsThresholds } from '../../src/predict/model-predictor.js';

/** A path with a 100 ms RTT, no reordering, 2% loss; a fresh hole with one later arrival. */
function gap(overrides: Partial<GapFeatures> = {}): GapFeatures {
  return {
    gapAgeMs: 0,
    successors: 1,
    runLength: 1,
    tail: false,
    sinceLastArrivalMs: 0,
    interArrivalMs: 1,
    interArrivalJitterMs: 0.5,
    srttMs: 100,
    rttVarMs: 5,
    minRttMs: 95,
    recentLossRate: 0.02,
    reorderRate: 0,
    reorderDelayMs: 0,
    tailPauseMs: 0,
    requestsSoFar: 0,
    sinceLastRequestMs: 0,
    severity: 0.1,
    ...overrides,
  };
}

describe('Mlp forward pass', () => {
  it('computes standardise -> dense relu -> dense sigmoid by hand', () => {
    const weights: ModelWeightsJson = {
      format: 'pdu-loss-mlp/1',
      features: ['a', 'b'],
      mean: [1, 0],
      std: [2, 1],
      layers: [
        { activation: 'relu', kernel: [[1, -1], [0.5, 2]], bias: [0, 0.1] },
        { activation: 'sigmoid', kernel: [[1], [-0.5]], bias: [0.2] },
      ],
      threshold: 0.5,
    };
    const x = [3, -1];
    const s = [(3 - 1) / 2, -1];
    const h = [Math.max(0, s[0]! * 1 + s[1]! * 0.5), Math.max(0, s[0]! * -1 + s[1]! * 2 + 0.1)];
    const expected = 1 / (1 + Math.exp(-(h[0]! - 0.5 * h[1]! + 0.2)));
    expect(new Mlp(weights).predict(x)).toBeCloseTo(expected, 12);
  });

  it('rejects weights whose shapes do not chain', () => {
    const bad: ModelWeightsJson = { format: 'pdu-loss-mlp/1', features: ['a'], mean: [0], std: [1], layers: [{ activation: 'relu', kernel: [[1, 2]], bias: [0] }], threshold: 0.5 };
    expect(() => new Mlp(bad)).toThrow(RangeError);
  });
});

describe('encodeFeatures', () => {
  it('gives one finite value per model input, even for a path with no measurements yet', () => {
    const out = encodeFeatures(gap({ srttMs: 0, interArrivalMs: NaN, minRttMs: Infinity }), new Float64Array(MODEL_FEATURE_COUNT));
    expect(out.length).toBe(MODEL_FEATURES.length);
    for (const v of out) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('ModelPredictor with the shipped weights', () => {
  const predictor = defaultModelPredictor({ maxRequests: 3 });

  it('matches this build of the features', () => {
    expect(DEFAULT_MODEL_WEIGHTS.features).toEqual([...MODEL_FEATURES]);
    expect(DEFAULT_MODEL_WEIGHTS.threshold).toBeGreaterThan(0);
    expect(DEFAULT_MODEL_WEIGHTS.threshold).toBeLessThan(1);
  });

  it('returns a probability and a request time no earlier than now, within the wait grid', () => {
    const now = 10_000;
    for (const f of [gap(), gap({ tail: true, successors: 0 }), gap({ successors: 8, gapAgeMs: 30 }), gap({ reorderRate: 0.5, reorderDelayMs: 10 }), gap({ requestsSoFar: 1, sinceLastRequestMs: 0 })]) {
      const v = predictor.assess(f, now);
      expect(v.lossProbability).toBeGreaterThanOrEqual(0);
      expect(v.lossProbability).toBeLessThanOrEqual(1);
      if (v.requestAt !== undefined) {
        expect(v.requestAt).toBeGreaterThanOrEqual(now);
        expect(v.requestAt).toBeLessThanOrEqual(now + WAIT_STEPS_RTT.at(-1)! * f.srttMs + 1e-9);
      }
    }
  });

  it('asks at the first wait whose loss probability reaches the threshold, and never asks later with a lower threshold', () => {
    const f = gap({ tail: true, successors: 0, runLength: 2 });
    expect(new ModelPredictor(DEFAULT_MODEL_WEIGHTS, { maxRequests: 3, threshold: 0 }).assess(f, 5000).requestAt).toBe(5000);
    expect(new ModelPredictor(DEFAULT_MODEL_WEIGHTS, { maxRequests: 3, threshold: 1.01 }).assess(f, 5000).requestAt).toBeUndefined();
    let previous = 5000;
    for (const threshold of [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]) {
      const p = new ModelPredictor(DEFAULT_MODEL_WEIGHTS, { maxRequests: 3, threshold });
      const at = p.assess(f, 5000).requestAt ?? Infinity;
      expect(at).toBeGreaterThanOrEqual(previous);
      if (at !== Infinity) expect(p.lossProbability(f, at - 5000)).toBeGreaterThanOrEqual(threshold);
      previous = at;
    }
  });

  it('never repeats a request before the answer to the previous one could be back', () => {
    const eager = new ModelPredictor(DEFAULT_MODEL_WEIGHTS, { maxRequests: 3, threshold: 0 });
    for (const f of [gap({ requestsSoFar: 1, sinceLastRequestMs: 0 }), gap({ tail: true, successors: 0, requestsSoFar: 2, sinceLastRequestMs: 30, rttVarMs: 10 })]) {
      const lastRequest = 5000 - f.sinceLastRequestMs;
      expect(eager.assess(f, 5000).requestAt).toBeCloseTo(lastRequest + REPEAT_SPACING.rtt * f.srttMs + REPEAT_SPACING.rttVar * f.rttVarMs, 9);
    }
    // Past the spacing, a repeat may go at once.
    expect(eager.assess(gap({ requestsSoFar: 1, sinceLastRequestMs: 400 }), 5000).requestAt).toBe(5000);
  });

  it('uses the threshold of the kind of decision: first request for a hole or a tail, or a repeat', () => {
    const onlyTails = new ModelPredictor(DEFAULT_MODEL_WEIGHTS, { maxRequests: 3, thresholds: { hole: 1.01, tail: 0, repeat: 1.01 } });
    expect(onlyTails.assess(gap({ tail: true, successors: 0 }), 5000).requestAt).toBe(5000);
    expect(onlyTails.assess(gap(), 5000).requestAt).toBeUndefined();
    expect(onlyTails.assess(gap({ tail: true, successors: 0, requestsSoFar: 1, sinceLastRequestMs: 400 }), 5000).requestAt).toBeUndefined();
    expect(ModelPredictor.kindOf(gap({ requestsSoFar: 1 }))).toBe('repeat');
    // Weights from before per-kind thresholds use their one threshold for every kind.
    const { thresholds: _, ...single } = DEFAULT_MODEL_WEIGHTS;
    expect(weightsThresholds({ ...single, threshold: 0.6 })).toEqual({ hole: 0.6, tail: 0.6, repeat: 0.6 });
  });

  it('leaves a packet to the sender once maxRequests requests went unanswered', () => {
    expect(predictor.assess(gap({ requestsSoFar: 3, sinceLastRequestMs: 500 }), 5000).requestAt).toBeUndefined();
  });

  it('rejects weights trained on other features', () => {
    expect(() => new ModelPredictor({ ...DEFAULT_MODEL_WEIGHTS, features: ['x'] }, { maxRequests: 3 })).toThrow(/features/);
  });
});

describe('waiting without copying the features', () => {
  it('encodes a gap read later exactly as the advanced record the dataset stores', () => {
    for (const f of [gap(), gap({ tail: true, successors: 0 }), gap({ requestsSoFar: 2, sinceLastRequestMs: 40 })]) {
      const direct = encodeFeatures(f, new Float64Array(MODEL_FEATURE_COUNT), 37.5);
      const viaRecord = encodeFeatures(advanceFeatures(f, 37.5), new Float64Array(MODEL_FEATURE_COUNT));
      expect([...direct]).toEqual([...viaRecord]);
    }
  });
});
