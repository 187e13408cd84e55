import { encodeFeatures, MODEL_FEATURE_COUNT } from '../predict/model-features.js';
import type { LabelledDecision } from './labels.js';

/** Rows as a dense row-major matrix of model inputs, plus labels. */
export interface Encoded {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  columns: number;
}

export function encodeRows(rows: readonly LabelledDecision[]): Encoded {
  const d = MODEL_FEATURE_COUNT;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length);
  const scratch = new Float64Array(d);
  rows.forEach((r, i) => {
    x.set(encodeFeatures(r.features, scratch), i * d);
    y[i] = r.lost;
  });
  return { x, y, rows: rows.length, columns: d };
}

/** Per-column mean and standard deviation (1 where a column is constant, so it passes unscaled). */
export function standardisation(e: Encoded): { mean: number[]; std: number[] } {
  const mean = new Array<number>(e.columns).fill(0);
  const sq = new Array<number>(e.columns).fill(0);
  for (let i = 0; i < e.rows; i++) {
    for (let j = 0; j < e.columns; j++) {
      const v = e.x[i * e.columns + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const n = Math.max(1, e.rows);
  const std = mean.map((s, j) => {
    const m = s / n;
    const variance = sq[j]! / n - m * m;
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map((s) => s / n), std };
}
