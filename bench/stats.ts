// Small statistics shared by the benchmarks.

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Distribution-free confidence interval of the q-quantile from sorted samples: the order
 * statistics whose ranks bracket q*n with the given binomial coverage. The upper end is null
 * when the sample is too small to bound it (a p99 from 150 samples has no upper bound at 95%).
 */
export function quantileInterval(sorted: readonly number[], q: number, confidence = 0.95): [number, number | null] | null {
  const n = sorted.length;
  if (n === 0) return null;
  const tail = (1 - confidence) / 2;
  // cdf[k] = P(Binomial(n, q) <= k), from the pmf in log space (n can be thousands).
  const cdf: number[] = [];
  let logPmf = n * Math.log1p(-q);
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logPmf += Math.log(n - k + 1) - Math.log(k) + Math.log(q) - Math.log1p(-q);
    sum += Math.exp(logPmf);
    cdf.push(Math.min(1, sum));
  }
  // Lower: the largest rank l (1-based) with P(B <= l - 1) <= tail; upper: the smallest u with P(B >= u) <= tail.
  let lower = 1;
  for (let l = 1; l <= n; l++) if (cdf[l - 1]! <= tail) lower = l;
  let upper: number | null = null;
  for (let u = 1; u <= n; u++) {
    if (1 - cdf[u - 1]! <= tail) {
      upper = u;
      break;
    }
  }
  return [sorted[lower - 1]!, upper === null ? null : sorted[upper - 1]!];
}
