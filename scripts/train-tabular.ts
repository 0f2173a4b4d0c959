/**
 * Train the tabular reference models (scripts/tabular.ts) and write them as ONNX-ML with onnxruntime-node's
 * outputs on held-out rows, then (unless --no-prove) compile, dev-setup and prove one row of each and report
 * constraints and seconds. The target model is a 102-tree (34 rounds × 3 classes) depth-6 gradient-boosted
 * classifier on 32 features.
 *
 *   node --import tsx scripts/train-tabular.ts [--out DIR] [--only NAME] [--no-prove] [--reuse]
 * --reuse reads a model written before instead of training it again; the circuit is always compiled afresh.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { synthetic, randomForest, gradientBoosting, boostedRegression, logisticRegression, forestOnnx, boostingOnnx, regressionOnnx, logisticOnnx } from './tabular.js';
import { estimateModel } from '../src/estimate/estimate.js';
import { parseOnnx } from '../src/import/onnx.js';
import { quantizeGraph } from '../src/quantize/quantize.js';
import { parseEnsemble } from '../src/ops/tree.js';
import { compileModel } from '../src/compile.js';
import { setupKeys } from '../src/setup.js';
import { proveInference } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';

const arg = (k: string) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const out = arg('--out') ?? '.zkinfer/tabular';
const only = arg('--only');
const prove = !process.argv.includes('--no-prove');

const models: Record<string, () => { bytes: Uint8Array; F: number }> = {
  'random-forest': () => {
    const d = synthetic(400, 8, 1);
    return { bytes: forestOnnx(randomForest(d, 10, 5), 8), F: 8 };
  },
  'gbt-small': () => {
    const d = synthetic(400, 8, 1);
    return { bytes: boostingOnnx(gradientBoosting(d, 5, 3), 8), F: 8 };
  },
  regression: () => {
    const d = synthetic(400, 8, 1);
    return { bytes: regressionOnnx(boostedRegression(d, 20, 4), 8), F: 8 };
  },
  logistic: () => {
    const d = synthetic(400, 8, 1);
    return { bytes: logisticOnnx(logisticRegression(d), 8), F: 8 };
  },
  'gbt-100x6': () => {
    const d = synthetic(2000, 32, 1);
    return { bytes: boostingOnnx(gradientBoosting(d, 34, 6, 0.2), 32), F: 32 };
  },
};

mkdirSync(out, { recursive: true });
for (const [name, make] of Object.entries(models)) {
  if (only && only !== name) continue;
  const t0 = performance.now();
  const dir = path.join(out, name);
  mkdirSync(dir, { recursive: true });
  const modelPath = path.join(dir, 'model.onnx');
  const reuse = process.argv.includes('--reuse') && existsSync(modelPath);
  const { bytes, F } = reuse ? { bytes: new Uint8Array(readFileSync(modelPath)), F: name === 'gbt-100x6' ? 32 : 8 } : make();
  writeFileSync(modelPath, bytes);
  rmSync(path.join(dir, 'circuit'), { recursive: true, force: true });
  const test = synthetic(50, F, 99);
  const session = await ort.InferenceSession.create(bytes);
  const reference: Record<string, number[]>[] = [];
  for (const row of test.x) {
    const r = await session.run({ X: new ort.Tensor('float32', Float32Array.from(row), [1, F]) });
    reference.push(Object.fromEntries(session.outputNames.map((n) => [n, Array.from(r[n]!.data as ArrayLike<number | bigint>, Number)])));
  }
  writeFileSync(path.join(dir, 'test.json'), JSON.stringify({ rows: test.x, reference }));
  writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ input: [test.x[0]] }));
  const est = estimateModel({ modelPath });
  const g = parseOnnx(bytes, modelPath);
  const tree = g.nodes.find((n) => n.op.startsWith('TreeEnsemble'));
  if (tree) {
    const e = parseEnsemble(tree);
    const count = (n: (typeof e.trees)[number]): number => (n.mode === 'LEAF' ? 0 : 1 + count(n.t!) + count(n.f!));
    const internal = e.trees.reduce((a, t) => a + count(t), 0);
    const prog = quantizeGraph(g, { scale: 12, paramBits: 16, inputs: [{ name: 'X', scale: 4, min: 0, max: 255 / 16 }] });
    const by = (k: string) => prog.steps.filter((st) => st.kind === k && 'node' in st && st.node === tree.name);
    const thermo = by('thermo').reduce((a, st) => a + (st.kind === 'thermo' ? st.outs.length + 1 + 2 * st.n + 2 : 0), 0);
    const thresholds = by('thermo').reduce((a, st) => a + (st.kind === 'thermo' ? st.outs.length : 0), 0);
    console.log(`${name}: ${e.trees.length} trees, ${internal} internal nodes, ${thresholds} distinct thresholds in ${by('thermo').length} thermometers (${thermo} constraints), ${by('select').length} selects + ${by('mul').length} products for leaf selection (${((by('select').length + by('mul').length) / e.trees.length).toFixed(1)} per tree)`);
  }
  console.log(`${name}: trained + written in ${((performance.now() - t0) / 1000).toFixed(1)} s; estimate ${est.constraints.total} constraints (${JSON.stringify(est.constraints.byOp)})`);
  if (!prove) continue;
  const c0 = performance.now();
  await compileModel({ modelPath, outDir: path.join(dir, 'circuit') });
  const c1 = performance.now();
  await setupKeys({ dir: path.join(dir, 'circuit'), cacheDir: path.join(out, 'ptau-cache') });
  const c2 = performance.now();
  const proved = await proveInference({ dir: path.join(dir, 'circuit'), inputPath: path.join(dir, 'input.json') });
  const c3 = performance.now();
  const verified = await verifyReceipt({ receipt: proved.receipt });
  console.log(`${name}: compile ${((c1 - c0) / 1000).toFixed(1)} s, setup ${((c2 - c1) / 1000).toFixed(1)} s, prove ${((c3 - c2) / 1000).toFixed(2)} s, verified ${JSON.stringify(verified).slice(0, 60)}; outputs ${JSON.stringify(proved.receipt.outputs ?? '').slice(0, 200)} vs onnxruntime ${JSON.stringify(reference[0])}`);
}
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
