import { describe, expect, it } from 'vitest';
import { duplicatesResends, SECOND_ROUND_SHARE } from '../../src/shard/redundancy-policy.js';

describe('duplicatesResends', () => {
  const calm = { totalFragments: 15, packetLoss: 0.05, queueingPressure: 0 };

  it('follows true and false whatever the path', () => {
    expect(duplicatesResends(true, 0.25, { ...calm, packetLoss: 0, queueingPressure: 1 })).toBe(true);
    expect(duplicatesResends(false, 0.25, calm)).toBe(false);
  });

  it("'auto': once fragments x loss^2 reaches the share of messages that sets the p99", () => {
    // 15 x 0.05^2 = 3.75%; 15 x 0.02^2 = 0.6%; one fragment needs 10% loss.
    expect(duplicatesResends('auto', 0.25, calm)).toBe(true);
    expect(duplicatesResends('auto', 0.25, { ...calm, packetLoss: 0.02 })).toBe(false);
    expect(duplicatesResends('auto', 0.25, { ...calm, totalFragments: 1 })).toBe(false);
    expect(duplicatesResends('auto', 0.25, { ...calm, totalFragments: 1, packetLoss: Math.sqrt(SECOND_ROUND_SHARE) })).toBe(true);
    expect(duplicatesResends('auto', 0.25, { ...calm, totalFragments: 230, packetLoss: 0.007 })).toBe(true);
  });

  it("'auto': not while the path queues, where extra bytes would lengthen every wait", () => {
    expect(duplicatesResends('auto', 0.25, { ...calm, queueingPressure: 0.24 })).toBe(true);
    expect(duplicatesResends('auto', 0.25, { ...calm, queueingPressure: 0.25 })).toBe(false);
    expect(duplicatesResends('auto', 0.25, { ...calm, queueingPressure: 0.7 })).toBe(false);
    // A bound of 1 turns the gate off, full pressure included.
    expect(duplicatesResends('auto', 1, { ...calm, queueingPressure: 1 })).toBe(true);
  });

  it("'auto': a loss figure out of range reads as its bound, and NaN as no loss", () => {
    expect(duplicatesResends('auto', 0.25, { ...calm, packetLoss: 2 })).toBe(true);
    expect(duplicatesResends('auto', 0.25, { ...calm, packetLoss: Number.NaN })).toBe(false);
  });
});
