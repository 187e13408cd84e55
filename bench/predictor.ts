/**
 * eval:predictor — the learned loss predictor against the heuristic and timeout-only recovery.
 *
 * 1. Inference cost: the tfjs-free forward pass (one row), a whole decision (the model asked at
 *    every wait of its grid, the worst case), and tfjs's `model.predict` on one row for comparison,
 *    with the largest difference between the two outputs.
 * 2. On the held-out scenarios (a Starlink LENS time segment, the Starlink irtt trace, capacity
 *    traces and a loss model never trained on): each policy as a classifier (AUC, precision and
 *    recall at its operating point), then each recovery policy replayed through the simulator
 *    at several variants (trace replays at 8 phases, the others at 4 seeds): median p99 message
 *    latency with its spread, spurious retransmissions as a share of all retransmissions pooled
 *    over the variants, and the model against the other policies variant by variant.
 *
 * Last line: {"bench":"predictor","classifier":{...},"replay":[{trace,policy,p99_ms,spurious_share,...}],
 *   "paired":[...],"replay_variants":[...],"inference":{...},"aims":[...]}
 * Usage: npm run eval:predictor [-- --weights FILE] [-- --quick]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_MODEL_WEIGHTS } from '../src/predict/model-default.js';
import { encodeFeatures, MODEL_FEATURE_COUNT } from '../src/predict/model-features.js';
import { Mlp, type ModelWeightsJson } from '../src/predict/model-forward.js';
import { ModelPredictor } from '../src/predict/model-predictor.js';
import type { GapFeatures } from '../src/predict/loss-predictor.js';
import { evaluateTestSplit } from '../src/train/cli.js';
import { round } from '../src/train/evaluate.js';
import type { PhasedRow } from '../src/train/phases.js';
import type { PredictorReport } from '../src/train/report.js';
import { Rng } from '../src/transport/rng.js';

const args = process.argv.slice(2);
const weightsPath = args.includes('--weights') ? args[args.indexOf('--weights') + 1] : undefined;
const quick = args.includes('--quick');
const weights: ModelWeightsJson = weightsPath ? JSON.parse(readFileSync(weightsPath, 'utf8')) : DEFAULT_MODEL_WEIGHTS;

/** The same network in tfjs, with the exported weights loaded back. */
function tfjsModel(w: ModelWeightsJson): tf.Sequential {
  const model = tf.sequential();
  w.layers.forEach((l, i) => {
    model.add(tf.layers.dense({ units: l.bias.length, activation: l.activation, ...(i === 0 ? { inputShape: [w.features.length] } : {}) }));
  });
  model.layers.forEach((layer, i) => layer.setWeights([tf.tensor2d(w.layers[i]!.kernel), tf.tensor1d(w.layers[i]!.bias)]));
  return model;
}

function randomGap(rng: Rng): GapFeatures {
  const srtt = 20 + rng.next() * 200;
  return {
    gapAgeMs: rng.next() * srtt,
    successors: Math.floor(rng.next() * 10),
    runLength: 1 + Math.floor(rng.next() * 5),
    tail: rng.next() < 0.3,
    sinceLastArrivalMs: rng.next() * 20,
    interArrivalMs: rng.next() * 5,
    interArrivalJitterMs: rng.next() * 3,
    srttMs: srtt,
    rttVarMs: rng.next() * 20,
    minRttMs: srtt * (0.7 + 0.3 * rng.next()),
    recentLossRate: rng.next() * 0.1,
    reorderRate: rng.next() * 0.2,
    reorderDelayMs: rng.next() * 10,
    tailPauseMs: rng.next() * 50,
    requestsSoFar: rng.next() < 0.8 ? 0 : 1,
    sinceLastRequestMs: 0,
    severity: rng.next(),
  };
}

/** Mean µs per call over enough calls to take ~0.3 s, after a warm-up long enough for the JIT. */
function microseconds(fn: (i: number) => void): number {
  for (let i = 0; i < 100_000; i++) fn(i);
  let n = 1000;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    const ms = performance.now() - t0;
    if (ms > 300) return (ms * 1000) / n;
    n *= 4;
  }
}

async function inference() {
  await tf.setBackend('cpu');
  const rng = new Rng(42);
  const gaps = Array.from({ length: 1024 }, () => randomGap(rng));
  const rows = gaps.map((g) => encodeFeatures(g, new Float64Array(MODEL_FEATURE_COUNT)));
  const mlp = new Mlp(weights);
  const model = tfjsModel(weights);
  // The forward pass standardises itself; tfjs gets the standardised rows.
  const standardised = rows.map((r) => Float32Array.from(r, (v, j) => (v - weights.mean[j]!) / weights.std[j]!));
  const reference = tf.tidy(() => (model.predict(tf.tensor2d(standardised.map((r) => Array.from(r)))) as tf.Tensor).dataSync());
  let maxDiff = 0;
  rows.forEach((r, i) => (maxDiff = Math.max(maxDiff, Math.abs(mlp.predict(r) - reference[i]!))));
  // The worst decision asks the model at every wait: a gap it never finds lost.
  const never = new ModelPredictor(weights, { maxRequests: 3, threshold: 2 });
  const predictor = new ModelPredictor(weights, { maxRequests: 3 });
  let sink = 0;
  const forward = microseconds((i) => (sink += mlp.predict(rows[i & 1023]!)));
  const decision = microseconds((i) => (sink += predictor.assess(gaps[i & 1023]!, 1000).lossProbability));
  const worst = microseconds((i) => (sink += never.assess(gaps[i & 1023]!, 1000).lossProbability));
  const one = tf.tensor2d([Array.from(standardised[0]!)]);
  const tfjsPredict = microseconds(() => {
    const out = model.predict(one) as tf.Tensor;
    sink += out.dataSync()[0]!;
    out.dispose();
  });
  one.dispose();
  if (!Number.isFinite(sink)) throw new Error('unreachable: keeps the loops from being optimised away');
  return {
    forward_us: round(forward, 3),
    decision_us: round(decision, 3),
    decision_worst_us: round(worst, 3),
    tfjs_predict_us: round(tfjsPredict, 1),
    max_abs_diff_vs_tfjs: maxDiff,
  };
}

/**
 * Each held-out scenario against the aims, on the figures over replay variants (median
 * p99 over phases or seeds, spurious share pooled over them), with the paired per-variant
 * comparison that says whether a difference is more than the spread between phases.
 */
function aims(report: PredictorReport) {
  const replay = report.replay;
  const traces = [...new Set(replay.map((r) => r.trace))];
  return traces.map((trace) => {
    const get = (policy: PhasedRow['policy']) => replay.find((r) => r.trace === trace && r.policy === policy) as PhasedRow;
    const m = get('pdu-model');
    const h = get('pdu-heuristic');
    const t = get('pdu-timeout');
    const ratio = m.p99_vs_timeout ?? m.p99_ms / t.p99_ms;
    const p99VsTimeout = 1 - ratio;
    const vsHeuristic = report.paired.find((p) => p.trace === trace && p.b === 'pdu-heuristic');
    return {
      trace,
      p99_reduction_vs_timeout: round(p99VsTimeout, 4),
      vs_timeout_met: p99VsTimeout >= 0.25 && m.spurious_share <= 0.05,
      vs_heuristic_met: (m.p99_ms < h.p99_ms && m.spurious_share <= h.spurious_share) || (m.spurious_share < h.spurious_share && m.p99_ms <= h.p99_ms),
      ...(vsHeuristic ? { p99_minus_heuristic_ms: vsHeuristic.diff_ms, model_lower_in: `${vsHeuristic.a_lower}/${vsHeuristic.phases}` } : {}),
    };
  });
}

const info = await inference();
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}, tfjs ${tf.version.tfjs} (${tf.getBackend()} backend)`);
console.log(`weights: ${weightsPath ?? 'shipped default'}, ${weights.layers.map((l) => l.bias.length).join('-')} units, thresholds ${JSON.stringify(weights.thresholds ?? weights.threshold)}`);
console.log(
  `inference: forward pass ${info.forward_us} us, decision ${info.decision_us} us (worst ${info.decision_worst_us} us), tfjs model.predict ${info.tfjs_predict_us} us; max |forward - tfjs| ${info.max_abs_diff_vs_tfjs.toExponential(2)}`,
);
const report = evaluateTestSplit(weights, undefined, quick ? 0.25 : 1);
const verdicts = aims(report);
for (const a of verdicts) {
  const paired = a.p99_minus_heuristic_ms === undefined ? '' : `; model - heuristic p99 ${a.p99_minus_heuristic_ms} ms (median of paired variants), model lower in ${a.model_lower_in}`;
  console.log(`aim ${a.trace}: p99 ${(100 * a.p99_reduction_vs_timeout).toFixed(1)}% below timeout-only, vs-timeout aim ${a.vs_timeout_met ? 'met' : 'missed'}, vs-heuristic aim ${a.vs_heuristic_met ? 'met' : 'missed'}${paired}`);
}
console.log(JSON.stringify({ bench: 'predictor', ...report, inference: info, aims: verdicts }));
