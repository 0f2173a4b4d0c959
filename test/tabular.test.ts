/**
 * ONNX-ML tabular models (scripts/tabular.ts: CART random forest, gradient boosting, boosted regression,
 * logistic regression, trained here and written as ai.onnx.ml) against onnxruntime-node: on every held-out
 * row the integer program (the witness's exact twin) gives the same label and scores within 2^-8 of the
 * largest score; one model is proven end to end. Hand-written ensembles cover every node mode, the
 * aggregate functions and the post-transforms, with rows exactly on the thresholds.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { synthetic, randomForest, gradientBoosting, boostedRegression, logisticRegression, forestOnnx, boostingOnnx, regressionOnnx, logisticOnnx, mlModel, binaryOnnx, GRID, GRID_MAX } from '../scripts/tabular.js';
import { parseOnnx } from '../src/import/onnx.js';
import { quantizeGraph, runFloat } from '../src/quantize/quantize.js';
import { evaluate } from '../src/quantize/program.js';
import { estimateModel } from '../src/estimate/estimate.js';
import { provePipeline, terminateCurve } from './helpers/pipeline.js';
import { UnsupportedOpError } from '../src/errors.js';
import { mulberry32 } from '../src/export/prng.js';

const F = 6;
const train = synthetic(240, F, 1);
const rows = synthetic(40, F, 7).x;
const BAR = 2 ** -8;

async function compare(bytes: Uint8Array, xs: number[][], nf = F, min = 0) {
  const session = await ort.InferenceSession.create(bytes);
  const g = parseOnnx(bytes, 'model.onnx');
  const prog = quantizeGraph(g, { scale: 12, paramBits: 16, inputs: [{ name: 'X', scale: 4, min, max: (GRID_MAX - 1) / GRID }] });
  let worst = 0;
  for (const row of xs) {
    const ref = await session.run({ X: new ort.Tensor('float32', Float32Array.from(row), [1, nf]) });
    const ints = evaluate(prog, [row.map((v) => BigInt(v * GRID))]).outputs;
    const fl = runFloat(g, [{ shape: [1, nf], data: Float64Array.from(row) }]);
    session.outputNames.forEach((n, i) => {
      const r = Array.from(ref[n]!.data as ArrayLike<number | bigint>, Number);
      const q = ints[i]!.map((v) => Number(v) / 2 ** prog.outputs[i]!.scale);
      if (n === 'label') {
        expect(q, `label of row ${row}`).toEqual(r);
        expect(Array.from(fl[i]!.data), `float label of row ${row}`).toEqual(r);
        return;
      }
      const big = Math.max(...r.map(Math.abs), 1e-9);
      r.forEach((v, j) => {
        expect(Math.abs(fl[i]!.data[j]! - v) / big, `float ${n}[${j}] of row ${row}`).toBeLessThan(1e-5);
        worst = Math.max(worst, Math.abs(q[j]! - v) / big);
      });
    });
  }
  expect(worst).toBeLessThanOrEqual(BAR);
  return { prog, worst };
}

describe('ONNX-ML models trained in TypeScript vs onnxruntime-node', () => {
  it('random forest (multi-class leaves: path indicators): labels equal, probabilities within 2^-8', async () => {
    await compare(forestOnnx(randomForest(train, 6, 4), F), rows);
  });

  it('gradient boosting (one tree per class and round, SOFTMAX, base values)', async () => {
    await compare(boostingOnnx(gradientBoosting(train, 4, 3), F), rows);
  });

  it('boosted regression, SUM and AVERAGE', async () => {
    const m = boostedRegression(train, 6, 3);
    await compare(regressionOnnx(m, F), rows);
    await compare(regressionOnnx(m, F, 'AVERAGE'), rows);
  });

  it('multinomial logistic regression (LinearClassifier, SOFTMAX)', async () => {
    await compare(logisticOnnx(logisticRegression(train, 150), F), rows);
  });
});

/** Two hand-written trees using every branch mode, thresholds on the input grid. */
function allModes(op: 'TreeEnsembleRegressor' | 'TreeEnsembleClassifier', extra: Record<string, unknown>): Uint8Array {
  const pre = op === 'TreeEnsembleClassifier' ? 'class' : 'target';
  // tree 0: 0:[x0 < 4.5] → 1:[x1 == 3] (3: 1.5 | 4: -2) ; 2:[x2 >= 7.25] (5: 0.75 | 6:[x3 != 2.5] (7: 3 | 8: -1))
  // tree 1: 0:[x0 > 10] (1: 2 | 2:[x1 <= 8.0625] (3: -0.5 | 4: 1))
  const nodes = {
    nodes_treeids: { ints: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1] },
    nodes_nodeids: { ints: [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4] },
    nodes_featureids: { ints: [0, 1, 2, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0] },
    nodes_modes: { strings: ['BRANCH_LT', 'BRANCH_EQ', 'BRANCH_GTE', 'LEAF', 'LEAF', 'LEAF', 'BRANCH_NEQ', 'LEAF', 'LEAF', 'BRANCH_GT', 'LEAF', 'BRANCH_LEQ', 'LEAF', 'LEAF'] },
    nodes_values: { floats: [4.5, 3, 7.25, 0, 0, 0, 2.5, 0, 0, 10, 0, 8.0625, 0, 0] },
    nodes_truenodeids: { ints: [1, 3, 5, 0, 0, 0, 7, 0, 0, 1, 0, 3, 0, 0] },
    nodes_falsenodeids: { ints: [2, 4, 6, 0, 0, 0, 8, 0, 0, 2, 0, 4, 0, 0] },
  };
  const leaves: [number, number, number][] = [[0, 3, 1.5], [0, 4, -2], [0, 5, 0.75], [0, 7, 3], [0, 8, -1], [1, 1, 2], [1, 3, -0.5], [1, 4, 1]];
  const cls = op === 'TreeEnsembleClassifier';
  // classifier: each leaf weighs class (leaf index mod 3) and, for tree 1, also class 2
  const w = cls ? [...leaves.map(([t, n, v], i) => [t, n, i % 3, v]), ...leaves.filter(([t]) => t === 1).map(([t, n, v]) => [t, n, 2, -v / 2])] : leaves.map(([t, n, v]) => [t, n, 0, v]);
  const attrs = {
    ...nodes,
    [`${pre}_treeids`]: { ints: w.map((x) => x[0]!) }, [`${pre}_nodeids`]: { ints: w.map((x) => x[1]!) },
    [`${pre}_ids`]: { ints: w.map((x) => x[2]!) }, [`${pre}_weights`]: { floats: w.map((x) => x[3]!) },
    ...(cls ? { classlabels_int64s: { ints: [10, 20, 30] } } : { n_targets: 1 }),
    ...extra,
  } as unknown as Record<string, never>;
  return mlModel('modes', 4, { opType: op, outputs: cls ? ['label', 'probabilities'] : ['variable'], attributes: attrs }, cls ? 3 : 1, cls);
}

/** Grid rows, half of them with features exactly on the thresholds. */
function gridRows(n: number): number[][] {
  const rnd = mulberry32(5);
  const special = [[4.5, 3, 7.25, 2.5], [4.4375, 3, 7.25, 2.5], [10, 8.0625, 7.1875, 2.5625], [10.0625, 3.0625, 0, 2.5]];
  return [...special, ...Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, (_, j) => (i % 2 ? special[i % 4]![j]! : Math.floor(rnd() * GRID_MAX) / GRID)))];
}

describe('tree ensembles: node modes, aggregates, post-transforms, labels', () => {
  it.each([
    ['SUM', 'NONE'], ['AVERAGE', 'NONE'], ['MIN', 'NONE'], ['MAX', 'NONE'],
  ])('regressor with every node mode, aggregate %s', async (agg) => {
    await compare(allModes('TreeEnsembleRegressor', { aggregate_function: agg, base_values: { floats: [0.25] } }), gridRows(24), 4);
  });

  it.each(['NONE', 'LOGISTIC', 'SOFTMAX'])('classifier with non-trivial labels, post-transform %s', async (post) => {
    await compare(allModes('TreeEnsembleClassifier', { post_transform: post, base_values: { floats: [0.1, -0.2, 0.3] } }), gridRows(24), 4);
  });

  it('binary layout (one score per row): forest of probabilities (label [s > 0.5]) and boosted log-odds with LOGISTIC (label [s > 0])', async () => {
    const forest = randomForest(train, 4, 3);
    await compare(binaryOnnx(forest, (v) => v[1]! / forest.length, { post_transform: 'NONE' }, F), rows);
    const reg = boostedRegression(train, 5, 3);
    await compare(binaryOnnx(reg.trees, (v) => v[0]!, { post_transform: 'LOGISTIC', base_values: { floats: [reg.base - 3] } }, F), rows);
    await compare(binaryOnnx(reg.trees, (v) => v[0]! - 0.1, { post_transform: 'NONE' }, F), rows);
  });

  it('binary LinearClassifier (one coefficient row, two labels): label [s > 0], scores [1 − v, v]', async () => {
    const m = logisticRegression(train, 100);
    for (const post of ['LOGISTIC', 'NONE']) {
      const bytes = mlModel('binary_lr', F, { opType: 'LinearClassifier', outputs: ['label', 'probabilities'], attributes: { coefficients: { floats: m.W[1]!.map((w, j) => w - m.W[0]![j]!) }, intercepts: { floats: [m.b[1]! - m.b[0]!] }, classlabels_ints: { ints: [4, 9] }, post_transform: post } }, 2, true);
      await compare(bytes, rows);
    }
  });

  it.each(['MAX', 'L1', 'L2'])('Normalizer %s (rows of features on the grid)', async (norm) => {
    await compare(mlModel('norm', F, { opType: 'Normalizer', outputs: ['Y'], attributes: { norm } }, F, false), rows.map((r) => r.map((v) => Math.max(v, 1 / GRID))), F, 1 / GRID);
  });

  it('two classes with class_ids 0 and 1 are refused with a hint (onnxruntime does not take the argmax there)', () => {
    const bytes = mlModel('binary2', 1, {
      opType: 'TreeEnsembleClassifier', outputs: ['label', 'probabilities'],
      attributes: { nodes_treeids: { ints: [0] }, nodes_nodeids: { ints: [0] }, nodes_featureids: { ints: [0] }, nodes_modes: { strings: ['LEAF'] }, nodes_values: { floats: [0] }, nodes_truenodeids: { ints: [0] }, nodes_falsenodeids: { ints: [0] }, class_treeids: { ints: [0, 0] }, class_nodeids: { ints: [0, 0] }, class_ids: { ints: [0, 1] }, class_weights: { floats: [0.5, 0.5] }, classlabels_int64s: { ints: [0, 1] } },
    }, 2, true);
    const g = parseOnnx(bytes, 'binary.onnx');
    expect(() => quantizeGraph(g, { scale: 12, paramBits: 16, inputs: [{ name: 'X', scale: 4, min: 0, max: 15 }] })).toThrow(UnsupportedOpError);
  });
});

describe('ONNX-ML end to end', () => {
  afterAll(terminateCurve);
  it('gradient boosting: proven and verified, outputs as the integer program, constraints as estimated', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-tabular-'));
    const modelPath = path.join(dir, 'gbt.onnx');
    const bytes = boostingOnnx(gradientBoosting(train, 3, 3), F);
    writeFileSync(modelPath, bytes);
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ input: [rows[3]] }));
    const { prog } = await compare(bytes, [rows[3]!]);
    const r = await provePipeline({ modelPath, input });
    expect(r.verified.ok).toBe(true);
    const want = evaluate(prog, [rows[3]!.map((v) => BigInt(v * GRID))]).outputs;
    expect(r.receipt.outputs!.map((o) => o.integers)).toEqual(want.map((o) => o.map(String))); // the receipt's exact integers
    expect(r.compiled.info.constraints.total).toBe(estimateModel({ modelPath }).constraints.total);
  }, 180_000);
});
