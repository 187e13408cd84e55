import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/transport/rng.js';

describe('Rng', () => {
  it('produces a pinned integer sequence for a seed (same on every platform)', () => {
    const rng = new Rng(42);
    expect([0, 1, 2, 3, 4].map(() => rng.nextUint32())).toEqual([2476999517, 2284424721, 914527439, 3398404915, 1005869237]);
    expect(new Rng(42).fork('a->b').nextUint32()).toBe(1997908606);
  });

  it('repeats for the same seed and differs across seeds and fork labels', () => {
    const draw = (rng: Rng) => Array.from({ length: 100 }, () => rng.next());
    expect(draw(new Rng(7))).toEqual(draw(new Rng(7)));
    expect(draw(new Rng(7))).not.toEqual(draw(new Rng(8)));
    expect(draw(new Rng(7).fork('x'))).not.toEqual(draw(new Rng(7).fork('y')));
    // Forks depend on the seed only, not on how far the parent has advanced.
    const parent = new Rng(7);
    draw(parent);
    expect(draw(parent.fork('x'))).toEqual(draw(new Rng(7).fork('x')));
  });

  it('keeps next() in [0, 1) and int(n) uniform over [0, n)', () => {
    const rng = new Rng(1);
    const counts = new Array<number>(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      const k = rng.int(10);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400); // ~4 sigma
    expect(() => rng.int(0)).toThrow(RangeError);
  });

  it('gives uniform, normal and exponential deviates with the requested moments', () => {
    const rng = new Rng(3);
    const n = 50_000;
    const normals = Array.from({ length: n }, () => rng.normal(10, 2));
    const mean = normals.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(normals.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
    const uniforms = Array.from({ length: n }, () => rng.uniform(100, 2048));
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...uniforms)).toBeLessThan(2048);
    expect(Math.abs(uniforms.reduce((s, x) => s + x, 0) / n - 1074)).toBeLessThan(15);
    const expMean = Array.from({ length: n }, () => rng.exponential(5)).reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(expMean - 5)).toBeLessThan(0.15);
  });
});
