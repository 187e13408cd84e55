import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../src/recovery/rtt-estimator.js';

describe('RttEstimator (RFC 6298 / RFC 9002)', () => {
  it('starts from the initial RTT, then takes the first sample whole', () => {
    const r = new RttEstimator(333);
    expect(r.srtt).toBe(333);
    r.update(100, 0);
    expect(r.srtt).toBe(100);
    expect(r.rttvar).toBe(50);
    expect(r.minRtt).toBe(100);
  });

  it('smooths with gains 1/8 and 1/4', () => {
    const r = new RttEstimator(333);
    r.update(100, 0);
    r.update(200, 0);
    expect(r.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 100);
    expect(r.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 200);
  });

  it('subtracts ACK delay only when that stays above min RTT', () => {
    const r = new RttEstimator(333);
    r.update(50, 0);
    r.update(60, 5);
    expect(r.latest).toBe(55);
    r.update(52, 10);
    expect(r.latest).toBe(52);
  });

  it('computes a PTO with backoff and clamps', () => {
    const r = new RttEstimator(333);
    r.update(50, 0);
    const base = r.pto(25, 0, 1, 5, 60_000);
    expect(base).toBeCloseTo(50 + 4 * 25 + 25);
    expect(r.pto(25, 2, 1, 5, 60_000)).toBeCloseTo(4 * base);
    expect(r.pto(25, 30, 1, 5, 1000)).toBe(1000);
  });

  it('ignores nonsense samples', () => {
    const r = new RttEstimator(100);
    r.update(-5, 0);
    r.update(Number.NaN, 0);
    expect(r.hasSample()).toBe(false);
  });
});
