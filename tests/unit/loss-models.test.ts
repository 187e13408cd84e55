import { describe, expect, it } from 'vitest';
import { BernoulliLoss, GE_PRESETS, GilbertElliottLoss, NoLoss, parseLossSpec, TraceReplayLoss, type LossModel } from '../../src/transport/loss-models.js';
import { Rng } from '../../src/transport/rng.js';
import type { PacketTrace } from '../../src/transport/traces.js';

/** Loss rate and mean burst length over n packets. */
function measure(model: LossModel, n: number, seed = 1): { loss: number; meanBurst: number } {
  const rng = new Rng(seed);
  let lost = 0;
  let bursts = 0;
  let previous = false;
  for (let i = 0; i < n; i++) {
    const isLost = model.next(rng).lost;
    if (isLost) {
      lost++;
      if (!previous) bursts++;
    }
    previous = isLost;
  }
  return { loss: lost / n, meanBurst: bursts === 0 ? 0 : lost / bursts };
}

describe('Bernoulli loss', () => {
  it('loses each packet with probability p', () => {
    const { loss, meanBurst } = measure(new BernoulliLoss(0.05), 200_000);
    // sd of the rate is sqrt(p(1-p)/n) ~ 0.00049; allow 4 sigma.
    expect(Math.abs(loss - 0.05)).toBeLessThan(0.002);
    expect(meanBurst).toBeCloseTo(1 / 0.95, 1);
  });

  it('changes rate mid-run when p is changed', () => {
    const model = new BernoulliLoss(0);
    expect(measure(model, 10_000).loss).toBe(0);
    model.p = 0.5;
    expect(Math.abs(measure(model, 10_000).loss - 0.5)).toBeLessThan(0.03);
  });
});

describe('Gilbert-Elliott loss', () => {
  const cases = Object.entries(GE_PRESETS).map(([name, runs]) => ({ name, ...runs }));

  it.each(cases)('$name ($good/$bad): steady-state loss p/(p+r) and mean burst 1/r over 200k packets', ({ good, bad }) => {
    const model = GilbertElliottLoss.fromRuns(good, bad);
    const expectedLoss = 1 / good / (1 / good + 1 / bad);
    expect(model.meanLoss()).toBeCloseTo(expectedLoss, 10);
    const { loss, meanBurst } = measure(model, 200_000);
    // Bursty losses vary more than Bernoulli ones: allow 12% relative on the rate, 6% on the burst.
    expect(Math.abs(loss - expectedLoss) / expectedLoss).toBeLessThan(0.12);
    expect(Math.abs(meanBurst - bad) / bad).toBeLessThan(0.06);
  });

  it('defines "10% GE" as 18/2', () => {
    expect(GilbertElliottLoss.fromRuns(GE_PRESETS.ge10.good, GE_PRESETS.ge10.bad).meanLoss()).toBeCloseTo(0.1, 10);
  });

  it('honours lossGood and lossBad', () => {
    const model = new GilbertElliottLoss(0.1, 0.1, 0.2, 0.6);
    expect(model.meanLoss()).toBeCloseTo(0.4, 10);
    expect(Math.abs(measure(model, 100_000).loss - 0.4)).toBeLessThan(0.02);
  });

  it('rejects out-of-range parameters', () => {
    expect(() => new GilbertElliottLoss(1.5, 0.5)).toThrow(/\[0, 1\]/);
    expect(() => new GilbertElliottLoss(0, 0)).toThrow(/never mix/);
  });
});

describe('trace replay loss', () => {
  const trace: PacketTrace = { name: 'tiny', lost: Uint8Array.of(0, 1, 0), delayMs: Float64Array.of(10, 10, 30) };

  it('takes entries in order and loops', () => {
    const model: LossModel = new TraceReplayLoss(trace);
    const rng = new Rng(1);
    const fates = Array.from({ length: 7 }, () => model.next(rng));
    expect(fates.map((f) => f.lost)).toEqual([false, true, false, false, true, false, false]);
    expect(fates.map((f) => f.delayMs)).toEqual([10, 10, 30, 10, 10, 30, 10]);
    expect(model.meanLoss()).toBeCloseTo(1 / 3, 10);
  });
});

describe('parseLossSpec', () => {
  it('names every model kind', () => {
    expect(parseLossSpec('none')).toBeInstanceOf(NoLoss);
    expect(parseLossSpec('bern:0.05').meanLoss()).toBe(0.05);
    expect(parseLossSpec('ge:wifi_lossy').meanLoss()).toBeCloseTo(0.025 / 0.525, 10);
    expect(parseLossSpec('ge:18/2').meanLoss()).toBeCloseTo(0.1, 10);
    expect(parseLossSpec('ge:10/2/0.01/0.5').meanLoss()).toBeCloseTo((0.1 / 0.6) * 0.5 + (0.5 / 0.6) * 0.01, 10);
    const resolved: string[] = [];
    const model = parseLossSpec('trace:tiny', {
      resolveTrace: (name) => {
        resolved.push(name);
        return { name, lost: Uint8Array.of(1), delayMs: Float64Array.of(5) };
      },
    });
    expect(resolved).toEqual(['tiny']);
    expect(model.meanLoss()).toBe(1);
  });

  it('round-trips spec() strings', () => {
    for (const spec of ['none', 'bern:0.05', 'ge:18/2', 'ge:40/2', 'ge:10/2/0.01/0.5']) expect(parseLossSpec(spec).spec()).toBe(spec);
  });

  it('explains bad specs', () => {
    expect(() => parseLossSpec('bern:5')).toThrow(/write 0.05 for 5%/);
    expect(() => parseLossSpec('bern:x')).toThrow(/not a number/);
    expect(() => parseLossSpec('ge:nope')).toThrow(/preset/);
    expect(() => parseLossSpec('trace:starlink_lens')).toThrow(/no trace resolver/);
    expect(() => parseLossSpec('drop:3')).toThrow(/unknown kind/);
  });
});
