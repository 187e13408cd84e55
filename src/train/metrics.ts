/** Classifier and replay figures for the predictor report. */

export interface ClassifierFigures {
  /** Area under the ROC curve of the loss score. */
  auc: number;
  /** Of the gaps the policy would request at that moment, the share really lost. */
  precision: number;
  /** Of the lost gaps, the share the policy would request at that moment. */
  recall: number;
  /** Score at or above which a gap is requested (undefined for a rule-based policy). */
  threshold?: number;
  /** The model's thresholds per kind of decision (first request for a hole or a tail, repeat). */
  thresholds?: { hole: number; tail: number; repeat: number };
  rows: number;
  lost: number;
}

/** ROC AUC by the rank-sum statistic; tied scores count one half. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function classifierFigures(scores: ArrayLike<number>, decisions: ArrayLike<boolean>, labels: ArrayLike<number>): ClassifierFigures {
  let tp = 0;
  let fp = 0;
  let lost = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) lost++;
    if (decisions[i]) {
      if (labels[i]) tp++;
      else fp++;
    }
  }
  return {
    auc: auc(scores, labels),
    precision: tp + fp === 0 ? NaN : tp / (tp + fp),
    recall: lost === 0 ? NaN : tp / lost,
    rows: labels.length,
    lost,
  };
}

/**
 * The lowest threshold whose precision reaches `minPrecision` (highest recall at that
 * precision); the highest score seen when none does.
 */
export function thresholdForPrecision(scores: ArrayLike<number>, labels: ArrayLike<number>, minPrecision: number): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let fp = 0;
  let best = order.length > 0 ? scores[order[0]!]! : 0.5;
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    if (labels[k]) tp++;
    else fp++;
    const next = order[i + 1];
    // Only cut between distinct scores: a threshold cannot split ties.
    if (next !== undefined && scores[next] === scores[k]) continue;
    if (tp / (tp + fp) >= minPrecision) best = scores[k]!;
  }
  return best;
}

/** Nearest-rank percentile of unsorted values (NaN when empty). */
export function percentileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}
