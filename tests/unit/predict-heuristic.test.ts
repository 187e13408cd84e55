import { describe, expect, it } from 'vitest';
import type { GapFeatures } from '../../src/predict/loss-predictor.js';
import { HeuristicPredictor } from '../../src/predict/heuristic-predictor.js';
import { TimeoutPredictor } from '../../src/predict/timeout-predictor.js';

const base: GapFeatures = {
  gapAgeMs: 0,
  successors: 1,
  runLength: 1,
  tail: false,
  sinceLastArrivalMs: 0,
  interArrivalMs: 1,
  interArrivalJitterMs: 0.2,
  srttMs: 50,
  rttVarMs: 2,
  minRttMs: 50,
  recentLossRate: 0.05,
  reorderRate: 0,
  reorderDelayMs: 0,
  tailPauseMs: 0,
  requestsSoFar: 0,
  sinceLastRequestMs: 0,
  severity: 0.2,
};
const predictor = new HeuristicPredictor({ packetThreshold: 3, maxRequests: 3, granularityMs: 1 });

describe('HeuristicPredictor', () => {
  it('requests a hole at once on a path that does not reorder', () => {
    expect(predictor.assess(base, 100)).toEqual({ lossProbability: 1, requestAt: 100 });
  });

  it('waits out the recent reordering delay on a path that reorders', () => {
    const v = predictor.assess({ ...base, reorderRate: 0.2, reorderDelayMs: 3 }, 100);
    expect(v.requestAt).toBeGreaterThan(100);
    expect(v.requestAt).toBeLessThanOrEqual(100 + 50 / 4);
    expect(v.lossProbability).toBeLessThan(1);
    expect(predictor.assess({ ...base, reorderRate: 0.2, reorderDelayMs: 3, successors: 3 }, 100).requestAt).toBe(100);
  });

  it('requests a tail hole once the silence outlasts the arrival rhythm and a quarter RTT', () => {
    const v = predictor.assess({ ...base, tail: true, successors: 0, sinceLastArrivalMs: 1 }, 100);
    expect(v.requestAt).toBeCloseTo(100 - 1 + 50 / 4);
    const jittery = predictor.assess({ ...base, tail: true, successors: 0, sinceLastArrivalMs: 1, interArrivalMs: 5, interArrivalJitterMs: 3 }, 100);
    expect(jittery.requestAt).toBeCloseTo(100 - 1 + 2 * 5 + 4 * 3);
  });

  it('lets a tail stay silent through the pauses of a window-limited sender', () => {
    // Flights 40 ms apart were seen: a 20 ms silence is a pause, not a loss.
    const v = predictor.assess({ ...base, tail: true, successors: 0, sinceLastArrivalMs: 20, tailPauseMs: 40 }, 100);
    expect(v.requestAt).toBeCloseTo(100 - 20 + 1.25 * 40);
    expect(v.lossProbability).toBeLessThan(0.9);
  });

  it('repeats a request a round trip later, then gives up to the sender timers', () => {
    const v = predictor.assess({ ...base, requestsSoFar: 1, sinceLastRequestMs: 10 }, 100);
    expect(v.requestAt).toBeCloseTo(100 - 10 + 50 + 8 + 2);
    expect(predictor.assess({ ...base, requestsSoFar: 3 }, 100).requestAt).toBeUndefined();
  });

  it('the timeout predictor never requests', () => {
    expect(new TimeoutPredictor().assess(base).requestAt).toBeUndefined();
  });
});
