import { describe, expect, it } from 'vitest';
import type { ReplayRow } from '../../src/train/evaluate.js';
import { baseScenario, pairedP99, quantile, replayVariants, summarisePhases } from '../../src/train/phases.js';
import { SCENARIOS } from '../../src/train/scenarios.js';

function row(trace: string, policy: ReplayRow['policy'], p99: number, spurious: number, retransmissions: number): ReplayRow {
  return {
    trace,
    policy,
    p99_ms: p99,
    p50_ms: 80,
    spurious_share: retransmissions ? spurious / retransmissions : 0,
    spurious,
    // Spurious ones split between two causes, to check they are summed per cause.
    spurious_by_cause: spurious === 0 ? {} : { nack: spurious - 1, pto: 1 },
    retransmissions,
    delivered: 1,
    loss: 0.03,
    rtt_ms: 150,
    msg_bytes: 16384,
    offered_mbit_s: 0.655,
  };
}

describe('scoring over replay variants', () => {
  it('names phase and seed variants after their scenario and keeps them in its split', () => {
    const lens = SCENARIOS.find((s) => s.name === 'trace-starlink_lens-validation')!;
    const ge = SCENARIOS.find((s) => s.name === 'ge-wifi_lossy-j1-rtt30')!;
    const v = replayVariants([lens, ge], [0, 0.5], [1, 3]);
    expect(v.map((s) => s.name)).toEqual([lens.name, `${lens.name}@0.5`, ge.name, `${ge.name}@s3`]);
    expect(v.map((s) => baseScenario(s.name))).toEqual([lens.name, lens.name, ge.name, ge.name]);
    expect(v[3]!.seed).toBe(3);
    expect(v.every((s) => s.split === 'validation')).toBe(true);
  });

  it('takes the median p99 with its spread, the spurious share pooled, and the ratio to timeout paired by variant', () => {
    const rows = [
      row('x', 'pdu-timeout', 700, 1, 100),
      row('x@0.5', 'pdu-timeout', 800, 0, 100),
      row('x@0.75', 'pdu-timeout', 750, 0, 100),
      row('x', 'pdu-model', 560, 10, 100),
      row('x@0.5', 'pdu-model', 600, 0, 50),
      row('x@0.75', 'pdu-model', 700, 5, 50),
    ];
    const m = summarisePhases(rows).find((r) => r.policy === 'pdu-model')!;
    expect(m.trace).toBe('x');
    expect(m.phases).toBe(3);
    expect(m.p99_ms).toBe(600);
    expect([m.p99_ms_min, m.p99_ms_max]).toEqual([560, 700]);
    expect(m.spurious_share).toBeCloseTo(15 / 200, 6);
    expect(m.spurious_share_max).toBeCloseTo(0.1, 6);
    expect(m.spurious_by_cause).toEqual({ nack: 13, pto: 2 });
    // Ratios 0.8, 0.75, 0.933: median 0.8.
    expect(m.p99_vs_timeout).toBeCloseTo(0.8, 4);
    const p = pairedP99(rows, 'x', 'pdu-model', 'pdu-timeout')!;
    expect(p.diff_ms).toBe(-140);
    expect([p.a_lower, p.a_higher]).toEqual([3, 0]);
  });

  it('interpolates quantiles between order statistics', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([5], 0.9)).toBe(5);
  });
});
