import { describe, expect, it } from 'vitest';
import { median, quantileInterval } from '../../bench/stats.js';

describe('benchmark statistics', () => {
  const ranks = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('brackets a quantile with order statistics at binomial coverage', () => {
    // Median of 1..1000: the textbook interval is 500 +- 1.96 * sqrt(250), ranks 469..532.
    expect(quantileInterval(ranks(1000), 0.5)).toEqual([469, 532]);
    expect(quantileInterval(ranks(1000), 0.99)).toEqual([983, 997]);
  });

  it('leaves the upper end of a p99 open when the sample cannot bound it', () => {
    // 0.99^n > 2.5% until n reaches 368: before that even the maximum may sit below the true p99.
    expect(quantileInterval(ranks(150), 0.99)![1]).toBeNull();
    expect(quantileInterval(ranks(367), 0.99)![1]).toBeNull();
    expect(quantileInterval(ranks(368), 0.99)![1]).toBe(368);
    expect(quantileInterval([], 0.99)).toBeNull();
  });
});
