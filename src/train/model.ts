/**
 * The loss model in tfjs: a small multilayer perceptron over the standardised gap features,
 * trained with binary cross-entropy, and its export to the JSON the tfjs-free forward pass
 * reads. Browser-safe: tfjs only, no `node:` (the demo can train in a page).
 */
import * as tf from '@tensorflow/tfjs';
import { MODEL_FEATURES } from '../predict/model-features.js';
import type { Activation, ModelWeightsJson } from '../predict/model-forward.js';
import type { Encoded } from './encode.js';
import { Rng } from '../transport/rng.js';

export interface TrainConfig {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = { hidden: [16, 8], epochs: 4, batchSize: 256, learningRate: 0.005, seed: 1 };

export interface EpochProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  /** Set at the end of an epoch. */
  validationLoss?: number;
}

export interface Standardisation {
  mean: number[];
  std: number[];
}

/** Inputs after standardisation, as tfjs sees them (the forward pass standardises itself). */
export function standardise(e: Encoded, s: Standardisation): Float32Array {
  const out = new Float32Array(e.x.length);
  for (let i = 0; i < e.rows; i++) {
    for (let j = 0; j < e.columns; j++) {
      const k = i * e.columns + j;
      out[k] = (e.x[k]! - s.mean[j]!) / s.std[j]!;
    }
  }
  return out;
}

export function buildModel(config: TrainConfig, inputs: number): tf.Sequential {
  const model = tf.sequential();
  config.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + i }),
        ...(i === 0 ? { inputShape: [inputs] } : {}),
      }),
    );
  });
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + 99 }) }));
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'binaryCrossentropy' });
  return model;
}

/**
 * Trains on `train`, reporting after every batch and epoch. Rows are shuffled once with a
 * seeded generator (tfjs's own shuffle is not seedable), so a run is reproducible.
 */
export async function trainModel(
  train: Encoded,
  validation: Encoded,
  s: Standardisation,
  config: TrainConfig,
  onProgress: (p: EpochProgress) => void,
): Promise<tf.Sequential> {
  const model = buildModel(config, train.columns);
  const order = shuffledOrder(train.rows, config.seed);
  const xs = standardise(train, s);
  const shuffledX = new Float32Array(xs.length);
  const shuffledY = new Float32Array(train.rows);
  order.forEach((from, to) => {
    shuffledX.set(xs.subarray(from * train.columns, (from + 1) * train.columns), to * train.columns);
    shuffledY[to] = train.y[from]!;
  });
  const x = tf.tensor2d(shuffledX, [train.rows, train.columns]);
  const y = tf.tensor2d(shuffledY, [train.rows, 1]);
  const vx = tf.tensor2d(standardise(validation, s), [validation.rows, validation.columns]);
  const vy = tf.tensor2d(validation.y, [validation.rows, 1]);
  const batches = Math.ceil(train.rows / config.batchSize);
  let epoch = 0;
  try {
    await model.fit(x, y, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      shuffle: false,
      validationData: [vx, vy],
      verbose: 0,
      callbacks: {
        onEpochBegin: async (e) => {
          epoch = e;
        },
        onBatchEnd: async (batch, logs) => {
          onProgress({ epoch: epoch + 1, epochs: config.epochs, batch: batch + 1, batches, loss: logs?.['loss'] ?? NaN });
        },
        onEpochEnd: async (e, logs) => {
          onProgress({ epoch: e + 1, epochs: config.epochs, batch: batches, batches, loss: logs?.['loss'] ?? NaN, validationLoss: logs?.['val_loss'] ?? NaN });
        },
      },
    });
  } finally {
    tf.dispose([x, y, vx, vy]);
  }
  return model;
}

/** tfjs's own output for raw (unstandardised) encoded rows: the reference the forward pass must match. */
export function predictWithTfjs(model: tf.LayersModel, e: Encoded, s: Standardisation): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(standardise(e, s), [e.rows, e.columns])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

export function exportWeights(model: tf.LayersModel, s: Standardisation, threshold: number, meta: Record<string, unknown>): ModelWeightsJson {
  const layers = model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) throw new Error(`layer ${layer.name} has no kernel/bias`);
    const [rows, cols] = kernel.shape as [number, number];
    const k = kernel.dataSync();
    const activation = (layer.getConfig()['activation'] as string) ?? 'linear';
    return {
      activation: activation as Activation,
      kernel: Array.from({ length: rows }, (_, r) => Array.from(k.subarray(r * cols, (r + 1) * cols))),
      bias: Array.from(bias.dataSync()),
    };
  });
  return { format: 'pdu-loss-mlp/1', features: [...MODEL_FEATURES], mean: s.mean, std: s.std, layers, threshold, meta };
}

function shuffledOrder(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
