/**
 * Tabular models as scikit-learn would export them with skl2onnx, trained here in TypeScript (scikit-learn is
 * not installable): a synthetic 3-class data set, CART trees, a random forest, gradient boosting (softmax
 * loss, one regression tree per class and round), gradient-boosted regression and a multinomial logistic
 * regression, written as ONNX-ML (ai.onnx.ml) with src/export/onnx-writer.ts. Deterministic (seeded).
 *
 * Features lie on the grid k / 16, k ∈ [0, 256): exact at input scale 4 (8-bit inputs), and every CART
 * threshold is a midpoint between grid values, so a comparison in the circuit decides exactly as
 * onnxruntime's float32 comparison does.
 */
import { mulberry32 } from '../src/export/prng.js';
import { writeOnnxModel, OnnxDataType } from '../src/export/onnx-writer.js';
import type { OnnxNode } from '../src/export/onnx-writer.js';

export const GRID = 16;
export const GRID_MAX = 256;

export interface DataSet {
  x: number[][];
  /** class labels 0..2 */
  y: number[];
  /** a regression target */
  r: number[];
}

/** n rows of f features on the grid; classes from a non-linear rule with 5% label noise. */
export function synthetic(n: number, f: number, seed = 1): DataSet {
  const rnd = mulberry32(seed);
  const x: number[][] = [];
  const y: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: f }, () => Math.floor(rnd() * GRID_MAX) / GRID);
    const a = row[0]! - 8 + 0.5 * (row[1 % f]! - 8);
    const b = row[2 % f]! * row[3 % f]! / 16 - 4;
    let c = a > 2 ? 0 : b > 0 ? 1 : 2;
    if (rnd() < 0.05) c = Math.floor(rnd() * 3);
    x.push(row);
    y.push(c);
    r.push(Math.sin(row[0]! / 3) * 4 + row[1 % f]! * 0.25 - (row[2 % f]! > 8 ? 2 : 0) + (rnd() - 0.5));
  }
  return { x, y, r };
}

/** A binary tree: a branch tests x[feature] ≤ threshold (BRANCH_LEQ, true → left). */
export type Tree = { leaf: number[] } | { feature: number; threshold: number; left: Tree; right: Tree };

interface Fit {
  /** Impurity reduction criterion and leaf value from the rows' targets (vectors). */
  leaf(rows: number[]): number[];
  /** Sum-of-squares-like impurity of a set given per-target sums, squared sums and count. */
  score(sum: number[], n: number): number;
  target(i: number): number[];
}

/**
 * CART to depth maxDepth: at each node the best split over (a random subset of) features among midpoints
 * of consecutive distinct values, by the largest gain of Σ_k sum_k² / n (variance or gini reduction).
 */
export function growTree(rows: number[], x: number[][], fit: Fit, maxDepth: number, minLeaf: number, rnd: () => number, maxFeatures?: number): Tree {
  const nT = fit.target(rows[0]!).length;
  const go = (rs: number[], depth: number): Tree => {
    if (depth === maxDepth || rs.length < 2 * minLeaf) return { leaf: fit.leaf(rs) };
    const total = new Array<number>(nT).fill(0);
    rs.forEach((i) => fit.target(i).forEach((v, k) => (total[k] += v)));
    const parent = fit.score(total, rs.length);
    let best: { gain: number; f: number; t: number } | undefined;
    const F = x[0]!.length;
    let feats = Array.from({ length: F }, (_, j) => j);
    if (maxFeatures && maxFeatures < F) feats = feats.sort(() => rnd() - 0.5).slice(0, maxFeatures);
    for (const f of feats) {
      const sorted = [...rs].sort((a, b) => x[a]![f]! - x[b]![f]!);
      const left = new Array<number>(nT).fill(0);
      for (let j = 0; j < sorted.length - 1; j++) {
        fit.target(sorted[j]!).forEach((v, k) => (left[k] += v));
        const a = x[sorted[j]!]![f]!;
        const b = x[sorted[j + 1]!]![f]!;
        if (a === b || j + 1 < minLeaf || sorted.length - j - 1 < minLeaf) continue;
        const right = total.map((v, k) => v - left[k]!);
        const gain = fit.score(left, j + 1) + fit.score(right, sorted.length - j - 1) - parent;
        if (gain > 1e-12 && (!best || gain > best.gain)) best = { gain, f, t: (a + b) / 2 };
      }
    }
    if (!best) return { leaf: fit.leaf(rs) };
    const l = rs.filter((i) => x[i]![best!.f]! <= best!.t);
    const r = rs.filter((i) => x[i]![best!.f]! > best!.t);
    return { feature: best.f, threshold: best.t, left: go(l, depth + 1), right: go(r, depth + 1) };
  };
  return go(rows, 0);
}

export function predictTree(t: Tree, row: number[]): number[] {
  let n = t;
  while (!('leaf' in n)) n = row[n.feature]! <= n.threshold ? n.left : n.right;
  return n.leaf;
}

const sqScore = (sum: number[], n: number) => sum.reduce((a, v) => a + (v * v) / n, 0);

/** Random forest classifier: bootstrap rows, √F features per split; leaves hold class frequencies. */
export function randomForest(d: DataSet, nTrees: number, depth: number, seed = 2): Tree[] {
  const rnd = mulberry32(seed);
  const onehot = (i: number) => [0, 1, 2].map((c) => (d.y[i] === c ? 1 : 0));
  const fit: Fit = { target: onehot, score: sqScore, leaf: (rs) => [0, 1, 2].map((c) => rs.filter((i) => d.y[i] === c).length / rs.length) };
  return Array.from({ length: nTrees }, () => {
    const rows = Array.from({ length: d.x.length }, () => Math.floor(rnd() * d.x.length));
    return growTree(rows, d.x, fit, depth, 2, rnd, Math.max(1, Math.round(Math.sqrt(d.x[0]!.length))));
  });
}

/**
 * Gradient boosting, softmax loss (as scikit-learn's GradientBoostingClassifier): per round one regression
 * tree per class on the residuals y_k − p_k, leaf value (K−1)/K · Σr / Σ|r|(1−|r|), times the learning rate.
 * Returns the trees of round-major order with their class and the initial scores (log priors).
 */
export function gradientBoosting(d: DataSet, rounds: number, depth: number, lr = 0.3, nClasses = 3): { trees: { tree: Tree; cls: number }[]; base: number[] } {
  const n = d.x.length;
  const prior = Array.from({ length: nClasses }, (_, c) => Math.max(1, d.y.filter((v) => v === c).length) / n);
  const base = prior.map((p) => Math.log(p));
  const F = d.x.map(() => [...base]);
  const trees: { tree: Tree; cls: number }[] = [];
  const rnd = mulberry32(3);
  const all = Array.from({ length: n }, (_, i) => i);
  for (let m = 0; m < rounds; m++) {
    const P = F.map((f) => {
      const mx = Math.max(...f);
      const e = f.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    for (let c = 0; c < nClasses; c++) {
      const res = all.map((i) => (d.y[i] === c ? 1 : 0) - P[i]![c]!);
      const fit: Fit = {
        target: (i) => [res[i]!],
        score: sqScore,
        leaf: (rs) => {
          const num = rs.reduce((a, i) => a + res[i]!, 0);
          const den = rs.reduce((a, i) => a + Math.abs(res[i]!) * (1 - Math.abs(res[i]!)), 0);
          return [lr * (den < 1e-12 ? 0 : ((nClasses - 1) / nClasses) * (num / den))];
        },
      };
      const tree = growTree(all, d.x, fit, depth, 3, rnd);
      trees.push({ tree, cls: c });
      all.forEach((i) => (F[i]![c] += predictTree(tree, d.x[i]!)[0]!));
    }
  }
  return { trees, base };
}

/** Least-squares gradient-boosted regression (GradientBoostingRegressor): base = mean, leaves lr · mean residual. */
export function boostedRegression(d: DataSet, rounds: number, depth: number, lr = 0.2): { trees: Tree[]; base: number } {
  const all = d.x.map((_, i) => i);
  const base = d.r.reduce((a, b) => a + b, 0) / d.r.length;
  const F = d.r.map(() => base);
  const rnd = mulberry32(4);
  const trees: Tree[] = [];
  for (let m = 0; m < rounds; m++) {
    const res = all.map((i) => d.r[i]! - F[i]!);
    const tree = growTree(all, d.x, { target: (i) => [res[i]!], score: sqScore, leaf: (rs) => [(lr * rs.reduce((a, i) => a + res[i]!, 0)) / rs.length] }, depth, 3, rnd);
    trees.push(tree);
    all.forEach((i) => (F[i] += predictTree(tree, d.x[i]!)[0]!));
  }
  return { trees, base };
}

/** Multinomial logistic regression by full-batch gradient descent: W [K×F], b [K]. */
export function logisticRegression(d: DataSet, epochs = 300, lr = 0.05, nClasses = 3): { W: number[][]; b: number[] } {
  const F = d.x[0]!.length;
  const W = Array.from({ length: nClasses }, () => new Array<number>(F).fill(0));
  const b = new Array<number>(nClasses).fill(0);
  const xs = d.x.map((r) => r.map((v) => v / GRID - 8)); // standardized inside the loop only
  for (let e = 0; e < epochs; e++) {
    const gW = W.map((r) => r.map(() => 0));
    const gb = b.map(() => 0);
    xs.forEach((row, i) => {
      const z = W.map((w, k) => w.reduce((a, v, j) => a + v * row[j]!, b[k]!));
      const mx = Math.max(...z);
      const ez = z.map((v) => Math.exp(v - mx));
      const s = ez.reduce((a, v) => a + v, 0);
      ez.forEach((v, k) => {
        const g = v / s - (d.y[i] === k ? 1 : 0);
        gb[k] += g;
        row.forEach((xv, j) => (gW[k]![j] += g * xv));
      });
    });
    W.forEach((r, k) => r.forEach((_, j) => (r[j] -= (lr * gW[k]![j]!) / xs.length)));
    b.forEach((_, k) => (b[k] -= (lr * gb[k]!) / xs.length));
  }
  // fold the standardization x / 16 − 8 back in, so the model reads raw features
  const Wr = W.map((r) => r.map((v) => v / GRID));
  const br = b.map((bk, k) => bk - 8 * W[k]!.reduce((a, v) => a + v, 0));
  return { W: Wr, b: br };
}

const f32 = (xs: number[]) => ({ floats: xs.map((v) => Math.fround(v)) });

/** The ai.onnx.ml tree attributes of a list of trees (node ids in preorder, leaf weights per target). */
export function treeAttributes(trees: { tree: Tree; target: (k: number) => number }[], prefix: 'class' | 'target') {
  const a = { treeids: [] as number[], nodeids: [] as number[], featureids: [] as number[], modes: [] as string[], values: [] as number[], trueids: [] as number[], falseids: [] as number[] };
  const w = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  trees.forEach(({ tree, target }, t) => {
    let next = 0;
    const visit = (n: Tree): number => {
      const id = next++;
      const at = a.treeids.length;
      a.treeids.push(t);
      a.nodeids.push(id);
      if ('leaf' in n) {
        a.featureids.push(0), a.modes.push('LEAF'), a.values.push(0), a.trueids.push(0), a.falseids.push(0);
        n.leaf.forEach((v, k) => (w.treeids.push(t), w.nodeids.push(id), w.ids.push(target(k)), w.weights.push(v)));
        return id;
      }
      a.featureids.push(n.feature), a.modes.push('BRANCH_LEQ'), a.values.push(n.threshold), a.trueids.push(0), a.falseids.push(0);
      a.trueids[at] = visit(n.left);
      a.falseids[at] = visit(n.right);
      return id;
    };
    visit(tree);
  });
  return {
    nodes_treeids: { ints: a.treeids }, nodes_nodeids: { ints: a.nodeids }, nodes_featureids: { ints: a.featureids },
    nodes_modes: { strings: a.modes }, nodes_values: f32(a.values), nodes_truenodeids: { ints: a.trueids }, nodes_falsenodeids: { ints: a.falseids },
    nodes_hitrates: f32(a.values.map(() => 1)), nodes_missing_value_tracks_true: { ints: a.values.map(() => 0) },
    [`${prefix}_treeids`]: { ints: w.treeids }, [`${prefix}_nodeids`]: { ints: w.nodeids }, [`${prefix}_ids`]: { ints: w.ids }, [`${prefix}_weights`]: f32(w.weights),
  };
}

/** One ai.onnx.ml node as a model: input X [N, F], the node's outputs (label int64 [N] first for classifiers). */
export function mlModel(name: string, F: number, node: Omit<OnnxNode, 'name' | 'inputs' | 'domain'>, nOut: number, classifier: boolean): Uint8Array {
  const outputs = classifier
    ? [{ name: node.outputs[0]!, shape: ['N'], elemType: OnnxDataType.INT64 }, { name: node.outputs[1]!, shape: ['N', nOut] }]
    : [{ name: node.outputs[0]!, shape: ['N', nOut] }];
  return writeOnnxModel({
    graphName: name,
    inputs: [{ name: 'X', shape: ['N', F] }],
    outputs,
    initializers: [],
    nodes: [{ ...node, name, inputs: ['X'], domain: 'ai.onnx.ml' }],
    domains: { 'ai.onnx.ml': 3 },
    opset: 17,
    metadata: { 'zkinfer.input_range': `0,${(GRID_MAX - 1) / GRID}`, 'zkinfer.input_scale': '4' },
  });
}

const labels = { classlabels_int64s: { ints: [0, 1, 2] } };

/** As skl2onnx writes a RandomForestClassifier: the classifier sums, so each leaf holds its class frequencies / n_trees. */
export const forestOnnx = (trees: Tree[], F: number): Uint8Array => {
  const scaled = (t: Tree): Tree => ('leaf' in t ? { leaf: t.leaf.map((v) => v / trees.length) } : { ...t, left: scaled(t.left), right: scaled(t.right) });
  return mlModel('random_forest', F, { opType: 'TreeEnsembleClassifier', outputs: ['label', 'probabilities'], attributes: { ...treeAttributes(trees.map((tree) => ({ tree: scaled(tree), target: (k) => k })), 'class'), ...labels, post_transform: 'NONE' } }, 3, true);
};

export const boostingOnnx = (g: ReturnType<typeof gradientBoosting>, F: number): Uint8Array =>
  mlModel('gradient_boosting', F, { opType: 'TreeEnsembleClassifier', outputs: ['label', 'probabilities'], attributes: { ...treeAttributes(g.trees.map(({ tree, cls }) => ({ tree, target: () => cls })), 'class'), ...labels, base_values: f32(g.base), post_transform: 'SOFTMAX' } }, 3, true);

export const regressionOnnx = (g: ReturnType<typeof boostedRegression>, F: number, aggregate = 'SUM'): Uint8Array =>
  mlModel('boosted_regression', F, { opType: 'TreeEnsembleRegressor', outputs: ['variable'], attributes: { ...treeAttributes(g.trees.map((tree) => ({ tree, target: () => 0 })), 'target'), n_targets: 1, base_values: f32([g.base]), aggregate_function: aggregate, post_transform: 'NONE' } }, 1, false);

export const logisticOnnx = (m: ReturnType<typeof logisticRegression>, F: number): Uint8Array =>
  mlModel('logistic_regression', F, { opType: 'LinearClassifier', outputs: ['label', 'probabilities'], attributes: { coefficients: f32(m.W.flat()), intercepts: f32(m.b), classlabels_ints: { ints: [0, 1, 2] }, multi_class: 1, post_transform: 'SOFTMAX' } }, 3, true);

/**
 * skl2onnx's binary layout: one score per row (class_ids all 0), labels [0, 1]. A forest of class-1
 * frequencies / n_trees (non-negative: label = [s > 0.5]), or boosted trees on the log-odds with a base value
 * and LOGISTIC (mixed signs: label = [s > 0]).
 */
export function binaryOnnx(trees: Tree[], leaf: (v: number[]) => number, extra: Record<string, unknown>, F: number): Uint8Array {
  const map = (t: Tree): Tree => ('leaf' in t ? { leaf: [leaf(t.leaf)] } : { ...t, left: map(t.left), right: map(t.right) });
  return mlModel('binary', F, { opType: 'TreeEnsembleClassifier', outputs: ['label', 'probabilities'], attributes: { ...treeAttributes(trees.map((t) => ({ tree: map(t), target: () => 0 })), 'class'), classlabels_int64s: { ints: [0, 1] }, ...extra } as never }, 2, true);
}
