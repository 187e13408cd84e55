import { describe, expect, it } from 'vitest';
import { ShardingPolicy } from '../../src/shard/sharding-policy.js';

const path = { maxPayload: 1120, overheadBytes: 30, packetLoss: 0.1, severity: 0.9 };

describe('ShardingPolicy', () => {
  it('sends a fitting message as one datagram when severity is at or below the threshold', () => {
    const p = new ShardingPolicy({ enabled: true, severityThreshold: 0.5, minFragmentSize: 256 });
    expect(p.decide(1000, { ...path, severity: 0.5 })).toEqual({ sharded: false, fragmentSize: 1120, totalFragments: 1 });
    expect(p.decide(5000, { ...path, severity: 0.2 })).toEqual({ sharded: false, fragmentSize: 1120, totalFragments: 5 });
  });

  it('never shards when disabled', () => {
    const p = new ShardingPolicy({ enabled: false, severityThreshold: 0.1, minFragmentSize: 256 });
    expect(p.decide(1000, path).sharded).toBe(false);
  });

  it('cuts smaller as congestive loss grows, within [minFragmentSize, maxPayload]', () => {
    const p = new ShardingPolicy({ enabled: true, severityThreshold: 0.5, minFragmentSize: 256 });
    const mild = p.optimalSize({ ...path, packetLoss: 0.02 });
    const heavy = p.optimalSize({ ...path, packetLoss: 0.3, severity: 1 });
    expect(heavy).toBeLessThan(mild);
    expect(p.optimalSize({ ...path, packetLoss: 0 })).toBe(1120);
    const d = p.decide(16_384, { ...path, packetLoss: 0.9, severity: 1 });
    expect(d.sharded).toBe(true);
    expect(d.fragmentSize).toBeGreaterThanOrEqual(256);
    expect(d.fragmentSize * d.totalFragments).toBeGreaterThanOrEqual(16_384);
  });

  it('gives a finite cut for a vanishing loss rate at full severity (it once gave NaN and stalled the sender)', () => {
    const p = new ShardingPolicy({ enabled: true, severityThreshold: 0.5, minFragmentSize: 256 });
    for (const packetLoss of [1.5e-17, 1e-300, Number.MIN_VALUE]) {
      const size = p.optimalSize({ ...path, overheadBytes: 122, packetLoss, severity: 1 });
      expect(Number.isFinite(size) && size >= 1120).toBe(true);
      const d = p.decide(35_158, { ...path, overheadBytes: 122, packetLoss, severity: 1 });
      expect(d).toEqual({ sharded: true, fragmentSize: Math.ceil(35_158 / 32), totalFragments: 32 });
    }
  });

  it('picks the size that minimises expected wire bytes per delivered byte', () => {
    const p = new ShardingPolicy({ enabled: true, severityThreshold: 0, minFragmentSize: 1 });
    const cond = { ...path, packetLoss: 0.2, severity: 1 };
    const h = cond.overheadBytes;
    const b = 1 - (1 - 0.2) ** (1 / (cond.maxPayload + h));
    const cost = (f: number) => (1 + h / f) / (1 - b) ** (f + h);
    const best = p.optimalSize(cond);
    for (const f of [best / 2, best * 0.8, best * 1.25, best * 2]) expect(cost(best)).toBeLessThanOrEqual(cost(f));
  });
});
