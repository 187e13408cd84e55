import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_FEATURE_COUNT } from '../../src/predict/model-features.js';
import { Mlp } from '../../src/predict/model-forward.js';
import type { Encoded } from '../../src/train/encode.js';
import { standardisation } from '../../src/train/encode.js';
import { auc, thresholdForPrecision } from '../../src/train/metrics.js';
import { exportWeights, predictWithTfjs, trainModel, type EpochProgress } from '../../src/train/model.js';
import { epochProgressBar } from '../../src/train/progress.js';
import { Rng } from '../../src/transport/rng.js';

/** Synthetic rows: lost when a weighted sum of a few inputs crosses zero, with some noise. */
function synthetic(rows: number, seed: number): Encoded {
  const rng = new Rng(seed);
  const d = MODEL_FEATURE_COUNT;
  const x = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = rng.next() * (j + 1);
    const score = x[i * d + 1]! - 1 + 0.3 * x[i * d + 2]! - 0.5 * x[i * d]! + (rng.next() - 0.5);
    y[i] = score > 0 ? 1 : 0;
  }
  return { x, y, rows, columns: d };
}

describe('training with tfjs and the exported forward pass', () => {
  const train = synthetic(3000, 1);
  const validation = synthetic(600, 2);
  const s = standardisation(train);
  const progress: EpochProgress[] = [];
  let model: tf.Sequential;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await trainModel(train, validation, s, { hidden: [8], epochs: 3, batchSize: 128, learningRate: 0.01, seed: 7 }, (p) => progress.push(p));
  });

  it('reports every batch and closes each epoch with a validation loss', () => {
    const ends = progress.filter((p) => p.validationLoss !== undefined);
    expect(ends.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(progress.length).toBeGreaterThan(ends.length);
    let text = '';
    const bar = epochProgressBar((t) => (text += t));
    for (const p of progress) bar(p);
    expect(text.split('\n').filter((l) => l.includes('val_loss'))).toHaveLength(3);
  });

  it('learns the rule (AUC well above chance on held-out rows)', () => {
    const scores = predictWithTfjs(model, validation, s);
    expect(auc(scores, validation.y)).toBeGreaterThan(0.85);
  });

  it('exports weights whose forward pass equals tfjs within 1e-5', () => {
    const weights = exportWeights(model, s, 0.5, {});
    const reference = predictWithTfjs(model, validation, s);
    const mlp = new Mlp(JSON.parse(JSON.stringify(weights)));
    let worst = 0;
    for (let i = 0; i < validation.rows; i++) {
      const row = validation.x.subarray(i * validation.columns, (i + 1) * validation.columns);
      worst = Math.max(worst, Math.abs(mlp.predict(row) - reference[i]!));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('metrics', () => {
  it('AUC is 1 for a perfect ranking, 0.5 for ties, and counts ties as halves', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([0.2, 0.5, 0.5], [0, 0, 1])).toBe(0.75);
  });

  it('thresholdForPrecision keeps the most recall that still reaches the precision', () => {
    expect(thresholdForPrecision([0.9, 0.8, 0.7, 0.6, 0.1], [1, 1, 0, 1, 0], 0.75)).toBe(0.6);
    expect(thresholdForPrecision([0.9, 0.8, 0.7, 0.6, 0.1], [1, 1, 0, 1, 0], 1)).toBe(0.8);
  });
});
