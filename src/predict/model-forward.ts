/**
 * The forward pass of the loss model over its exported weights, without tfjs: a per-decision
 * cost of well under a microsecond instead of ~100 us for `model.predict` on one row, and no
 * tfjs in the runtime bundle (DESIGN.md, principle 6).
 */

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';

/** One dense layer as tfjs exports it: `kernel[input][output]`, then `bias[output]`. */
export interface DenseLayerJson {
  activation: Activation;
  kernel: number[][];
  bias: number[];
}

/** The weights file `pdu train` writes and the model predictor reads. */
export interface ModelWeightsJson {
  format: 'pdu-loss-mlp/1';
  /** Input names, in order (must equal MODEL_FEATURES: checked when loaded). */
  features: string[];
  /** Per-input standardisation learnt from the training split: x' = (x - mean) / std. */
  mean: number[];
  std: number[];
  layers: DenseLayerJson[];
  /** Loss probability at or above which a gap is requested (chosen on the validation split). */
  threshold: number;
  /**
   * Per kind of decision, overriding `threshold`: a first request for a hole (a later packet
   * arrived), a first request for a tail (silence while a message is incomplete), and a repeat.
   * Chosen together by replaying the LENS folds and validation scenarios (src/train/operating-point.ts).
   */
  thresholds?: { hole: number; tail: number; repeat: number };
  /** Free-form provenance: data, splits, metrics. Ignored by inference. */
  meta?: Record<string, unknown>;
}

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];

/** A compiled multilayer perceptron. Not re-entrant: it reuses its scratch buffers. */
export class Mlp {
  readonly inputs: number;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  /** Per layer: input and output widths, activation index, and weights row-major by output. */
  private readonly widths: Int32Array;
  private readonly activations: Uint8Array;
  private readonly weights: Float64Array[];
  private readonly biases: Float64Array[];
  private readonly a: Float64Array;
  private readonly b: Float64Array;

  constructor(json: ModelWeightsJson) {
    if (json.format !== 'pdu-loss-mlp/1') throw new RangeError(`model weights: unknown format ${JSON.stringify(json.format)}`);
    this.inputs = json.features.length;
    if (json.mean.length !== this.inputs || json.std.length !== this.inputs) throw new RangeError('model weights: mean/std length differs from the feature count');
    this.mean = Float64Array.from(json.mean);
    this.invStd = Float64Array.from(json.std, (s) => (s > 0 ? 1 / s : 1));
    this.widths = new Int32Array(json.layers.length + 1);
    this.activations = new Uint8Array(json.layers.length);
    this.weights = [];
    this.biases = [];
    let width = this.inputs;
    let widest = width;
    this.widths[0] = width;
    json.layers.forEach((l, i) => {
      const outputs = l.bias.length;
      if (l.kernel.length !== width || l.kernel.some((row) => row.length !== outputs)) {
        throw new RangeError(`model weights: layer ${i} kernel is not ${width} x ${outputs}`);
      }
      const activation = ACTIVATIONS.indexOf(l.activation);
      if (activation < 0) throw new RangeError(`model weights: layer ${i} has unknown activation ${JSON.stringify(l.activation)}`);
      const w = new Float64Array(width * outputs);
      for (let r = 0; r < width; r++) for (let c = 0; c < outputs; c++) w[c * width + r] = l.kernel[r]![c]!;
      this.weights.push(w);
      this.biases.push(Float64Array.from(l.bias));
      this.activations[i] = activation;
      width = outputs;
      widest = Math.max(widest, outputs);
      this.widths[i + 1] = width;
    });
    if (width !== 1) throw new RangeError(`model weights: the last layer has ${width} outputs, expected 1`);
    this.a = new Float64Array(widest);
    this.b = new Float64Array(widest);
  }

  /** The model's output (a loss probability for a sigmoid head) for raw, unstandardised inputs. */
  predict(x: ArrayLike<number>): number {
    let input = this.a;
    let output = this.b;
    const n = this.inputs;
    for (let i = 0; i < n; i++) input[i] = ((x[i] as number) - this.mean[i]!) * this.invStd[i]!;
    for (let l = 0; l < this.weights.length; l++) {
      const inputs = this.widths[l]!;
      const outputs = this.widths[l + 1]!;
      const w = this.weights[l]!;
      const b = this.biases[l]!;
      const activation = this.activations[l]!;
      for (let j = 0, base = 0; j < outputs; j++, base += inputs) {
        let sum = b[j]!;
        for (let i = 0; i < inputs; i++) sum += w[base + i]! * input[i]!;
        output[j] = activation === 0 ? (sum > 0 ? sum : 0) : activation === 2 ? 1 / (1 + Math.exp(-sum)) : activation === 1 ? Math.tanh(sum) : sum;
      }
      const swap = input;
      input = output;
      output = swap;
    }
    return input[0]!;
  }
}
