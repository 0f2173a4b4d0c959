/**
 * ONNX-ML tree ensembles: TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml), as onnxruntime
 * evaluates them (scikit-learn / XGBoost / LightGBM exports).
 *
 * - Comparisons. Every mode (BRANCH_LEQ, LT, GTE, GT, EQ, NEQ) is a test [X ≤ T] on the feature's integer X at
 *   its scale s, or its negation, with T = ⌊t·2^s⌋ (LEQ, GT) or ⌈t·2^s⌉ − 1 (LT, GTE): exact whenever the
 *   feature value is exactly X / 2^s (inputs on the grid of the input scale). EQ is [X ≤ T] − [X ≤ T − 1].
 *   All the thresholds of one feature, over every tree, share ONE Thermometer (circuits/thermometer.circom)
 *   on the feature's bound of width n: (k + 1) + 2n constraints for k distinct thresholds, i.e. about one
 *   per threshold (a feature with one or two thresholds takes a sign decomposition each, n + 2).
 *   Thresholds the proven bound already decides cost nothing. Missing-value tracks are ignored: a circuit
 *   input is never NaN.
 * - Leaf selection. A tree whose leaves all weigh one target is evaluated bottom-up with one `select` per
 *   internal node, v = c ? v_true : v_false (the bound of v is the hull of its leaves: tight); a node whose
 *   children are both leaves is free (c·(w_t − w_f) + w_f is linear), so a full depth-D tree costs
 *   2^(D−1) − 1 constraints. A tree whose
 *   leaves weigh several targets (a random forest classifier) propagates path indicators instead:
 *   ind(true child) = ind · c (one product; at the root, c itself) and ind(false child) = ind − that, and each
 *   target adds Σ ind(leaf)·w(leaf): internal − 1 constraints whatever the number of targets.
 *   Cost per tree: at most (internal nodes − 1) constraints, plus the shared thermometers.
 * - Aggregation: SUM / AVERAGE are linear (leaf weights quantized at one scale, AVERAGE folded in as 1/n);
 *   MIN / MAX a Max2 tree over the trees' values. base_values are added.
 * - Post-transforms NONE, LOGISTIC (Sigmoid), SOFTMAX (Softmax) use the exp gadget of ./exp.ts.
 * - The classifier's label is the argmax of the raw scores (first maximum, as onnxruntime) mapped to
 *   classlabels_int64s: one sign decomposition and two selects per class. Two classes with one score per row
 *   (skl2onnx's binary layout) follow onnxruntime's binary conventions (Ensemble.binary); two classes with
 *   class_ids 0 and 1 are refused (onnxruntime's label there is not the argmax).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst, linIsConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { postTransform, transformFloat } from './ml.js';
import { argmaxLabels, choose, leConst } from './compare.js';
import { UnsupportedOpError } from '../errors.js';

export type Mode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ' | 'BRANCH_MEMBER' | 'LEAF';
const MODES = new Set<string>(['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'LEAF']);

export interface TNode {
  mode: Mode;
  feature: number;
  value: number;
  /** BRANCH_MEMBER (TreeEnsemble of ai.onnx.ml opset 5): the values whose membership sends x to the true child. */
  members?: number[];
  t?: TNode;
  f?: TNode;
  /** (target, weight) pairs of a leaf. */
  w: [number, number][];
}

export interface Ensemble {
  trees: TNode[];
  nTargets: number;
  base: number[];
  agg: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';
  post: string;
  labels?: number[];
  /**
   * Two classes with one score s per row (class_ids all 0), onnxruntime's binary layout: label = [s > 0.5] when
   * every class weight is ≥ 0 (probability-like leaves), else [s > 0]; scores [1 − v, v] with v = σ(s)
   * (LOGISTIC) or s (NONE, non-negative weights), or [−s, s] (NONE, mixed signs). Measured on onnxruntime-node.
   */
  binary?: { allPositive: boolean };
}

export const err = (node: GraphNode, msg: string, hint?: string) => new UnsupportedOpError(`node '${node.name}' (${node.op}): ${msg}`, hint ? { hint } : undefined);

export function nums(node: GraphNode, name: string, required = true): number[] {
  const v = node.attrs[name] ?? node.attrs[`${name}_as_tensor`];
  if (v === undefined) {
    if (required) throw err(node, `attribute '${name}' is missing`);
    return [];
  }
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === 'number') return [v];
  if (typeof v === 'object') return Array.from(v.data);
  throw err(node, `attribute '${name}' must be numbers`);
}

/** Parse the ensemble attributes (shared by the classifier and the regressor). */
export function parseEnsemble(node: GraphNode): Ensemble {
  const cls = node.op === 'TreeEnsembleClassifier';
  const pre = cls ? 'class' : 'target';
  const treeIds = nums(node, 'nodes_treeids');
  const nodeIds = nums(node, 'nodes_nodeids');
  const feats = nums(node, 'nodes_featureids');
  const vals = nums(node, 'nodes_values');
  const tIds = nums(node, 'nodes_truenodeids');
  const fIds = nums(node, 'nodes_falsenodeids');
  const modes = node.attrs.nodes_modes;
  if (!Array.isArray(modes) || modes.length !== treeIds.length) throw err(node, `nodes_modes must list one mode per node (${treeIds.length})`);
  const byKey = new Map<string, TNode>();
  const key = (t: number, n: number) => `${t}:${n}`;
  treeIds.forEach((t, i) => {
    const mode = String(modes[i]);
    if (!MODES.has(mode)) throw err(node, `node mode '${mode}' is not a tree node mode`, `one of ${[...MODES].join(', ')}`);
    byKey.set(key(t, nodeIds[i]!), { mode: mode as Mode, feature: feats[i]!, value: vals[i]!, w: [] });
  });
  const children = new Set<TNode>();
  treeIds.forEach((t, i) => {
    const n = byKey.get(key(t, nodeIds[i]!))!;
    if (n.mode === 'LEAF') return;
    const tn = byKey.get(key(t, tIds[i]!));
    const fn = byKey.get(key(t, fIds[i]!));
    if (!tn || !fn) throw err(node, `tree ${t} node ${nodeIds[i]}: a child node id is not in the tree`);
    n.t = tn;
    n.f = fn;
    children.add(tn).add(fn);
  });
  const wTree = nums(node, `${pre}_treeids`);
  const wNode = nums(node, `${pre}_nodeids`);
  const wId = nums(node, `${pre}_ids`);
  const wVal = nums(node, `${pre}_weights`);
  wTree.forEach((t, i) => {
    const n = byKey.get(key(t, wNode[i]!));
    if (!n) throw err(node, `${pre}_nodeids: tree ${t} has no node ${wNode[i]}`);
    n.w.push([wId[i]!, wVal[i]!]);
  });
  const seen = new Set<number>();
  const trees: TNode[] = [];
  treeIds.forEach((t, i) => {
    const n = byKey.get(key(t, nodeIds[i]!))!;
    if (!seen.has(t) && !children.has(n)) {
      seen.add(t);
      trees.push(n);
    }
  });
  const labels = cls ? nums(node, 'classlabels_int64s', false) : undefined;
  if (cls && !labels!.length) throw err(node, 'only integer class labels (classlabels_int64s) are supported', 'export with integer labels (skl2onnx: options={"zipmap": False}, labels as int64)');
  const nTargets = cls ? labels!.length : Number(node.attrs.n_targets ?? 1);
  const agg = String(node.attrs.aggregate_function ?? 'SUM');
  if (!['SUM', 'AVERAGE', 'MIN', 'MAX'].includes(agg)) throw err(node, `aggregate_function '${agg}' is not supported`, 'use SUM, AVERAGE, MIN or MAX');
  const post = String(node.attrs.post_transform ?? 'NONE');
  if (!['NONE', 'LOGISTIC', 'SOFTMAX'].includes(post)) throw err(node, `post_transform '${post}' is not supported`, 'use NONE, LOGISTIC or SOFTMAX');
  let base = nums(node, 'base_values', false);
  const binary = cls && nTargets === 2 ? { allPositive: wVal.every((w) => w >= 0) } : undefined;
  if (binary) {
    if (wId.some((c) => c !== 0)) throw err(node, 'two classes with class_ids 0 and 1: onnxruntime answers label 0/1 from the second score alone, not the argmax (not reproduced)', 'export one score per row (class_ids all 0), as skl2onnx does');
    if (base.length > 1 || post === 'SOFTMAX') throw err(node, 'a binary classifier with two base_values or SOFTMAX follows no documented onnxruntime convention', 'use one base value and NONE or LOGISTIC');
    base = [base[0] ?? 0, 0];
  }
  if (base.length && base.length !== nTargets) throw err(node, `base_values has ${base.length} values for ${nTargets} ${cls ? 'classes' : 'targets'}`);
  return { trees, nTargets, base, agg: agg as Ensemble['agg'], post, labels, binary };
}

/** Whether a branch goes to its true child for value x (float semantics). */
function goesTrue(n: TNode, x: number): boolean {
  switch (n.mode) {
    case 'BRANCH_LEQ': return x <= n.value;
    case 'BRANCH_LT': return x < n.value;
    case 'BRANCH_GTE': return x >= n.value;
    case 'BRANCH_GT': return x > n.value;
    case 'BRANCH_EQ': return x === n.value;
    case 'BRANCH_MEMBER': return n.members!.includes(x);
    default: return x !== n.value;
  }
}

function rowsOf(node: GraphNode, shape: number[]): [number, number] {
  const F = shape[shape.length - 1] ?? 1;
  return [sizeOf(shape) / F, F];
}

/** Raw scores of one row (float). */
function scoresFloat(e: Ensemble, x: (f: number) => number): number[] {
  const acc = new Array<number>(e.nTargets).fill(e.agg === 'MIN' ? Infinity : e.agg === 'MAX' ? -Infinity : 0);
  for (const root of e.trees) {
    let n = root;
    while (n.mode !== 'LEAF') n = goesTrue(n, x(n.feature)) ? n.t! : n.f!;
    for (const [k, w] of n.w) acc[k] = e.agg === 'MIN' ? Math.min(acc[k]!, w) : e.agg === 'MAX' ? Math.max(acc[k]!, w) : acc[k]! + w;
  }
  return acc.map((v, k) => (Number.isFinite(v) ? v : 0) / (e.agg === 'AVERAGE' ? e.trees.length : 1) + (e.base[k] ?? 0));
}

export function ensembleFloat(node: GraphNode, [x0]: (Tensor | undefined)[], e: Ensemble): Tensor[] {
  const x = requireInput(x0, 0, node);
  const [N, F] = rowsOf(node, x.shape);
  const raw = Array.from({ length: N }, (_, r) => scoresFloat(e, (f) => x.data[r * F + f]!));
  if (e.binary) {
    const half = e.binary.allPositive ? 0.5 : 0;
    const label = raw.map(([s]) => e.labels![s! > half ? 1 : 0]!);
    const z = raw.flatMap(([s]) => (e.post === 'LOGISTIC' ? [1 - 1 / (1 + Math.exp(-s!)), 1 / (1 + Math.exp(-s!))] : e.binary!.allPositive ? [1 - s!, s!] : [-s!, s!]));
    return [{ shape: [N], data: Float64Array.from(label), dtype: 'int64' }, { shape: [N, 2], data: Float64Array.from(z) }];
  }
  const z: Tensor = { shape: [N, e.nTargets], data: Float64Array.from(raw.flatMap((s) => transformFloat(e.post, s))) };
  if (!e.labels) return [z];
  const label = raw.map((s) => e.labels![s.reduce((best, v, k) => (v > s[best]! ? k : best), 0)]!);
  return [{ shape: [N], data: Float64Array.from(label), dtype: 'int64' }, z];
}

/** [X ≤ T] for one feature, as a linear combination of bits, sharing one thermometer per feature. */
class FeatureComparisons {
  private readonly wanted = new Map<number, Set<bigint>>();
  private readonly bits = new Map<string, Lin>();
  constructor(private readonly ctx: LowerCtx, private readonly xs: Lin[], private readonly scale: number) {}

  /** Integer thresholds of a branch: [X ≤ T] tests it needs. */
  private tests(n: TNode): bigint[] {
    if (n.mode === 'BRANCH_MEMBER') return n.members!.flatMap((v) => this.tests({ ...n, mode: 'BRANCH_EQ', value: v }));
    const t = n.value * 2 ** this.scale;
    const fl = BigInt(Math.floor(t));
    const ce = BigInt(Math.ceil(t));
    switch (n.mode) {
      case 'BRANCH_LEQ': case 'BRANCH_GT': return [fl];
      case 'BRANCH_LT': case 'BRANCH_GTE': return [ce - 1n];
      default: return Number.isInteger(t) ? [fl, fl - 1n] : [];
    }
  }

  want(n: TNode): void {
    const s = this.wanted.get(n.feature) ?? new Set();
    this.tests(n).forEach((t) => s.add(t));
    this.wanted.set(n.feature, s);
  }

  /** Emit the comparisons (call once, after every want). */
  build(): void {
    const b = this.ctx.b;
    for (const [f, set] of this.wanted) {
      const x = this.xs[f];
      if (!x) throw err(this.ctx.node, `a branch reads feature ${f}, but the input has ${this.xs.length} features`);
      const ts = [...set];
      const [lo, hi] = b.bounds(x);
      const inside = ts.filter((t) => t >= lo && t < hi).length;
      const bits = inside >= 3 ? b.thermometer(x, ts, this.ctx.node.name) : ts.map((t) => leConst(this.ctx, x, t));
      ts.forEach((t, i) => this.bits.set(`${f}:${t}`, bits[i]!));
    }
  }

  /** The branch's condition as a bit (linear combination of comparison bits). */
  cond(n: TNode): Lin {
    const ts = this.tests(n);
    const le = (t: bigint) => this.bits.get(`${n.feature}:${t}`)!;
    const not = (e: Lin) => linAddScaled(linConst(1n), e, -1n);
    switch (n.mode) {
      case 'BRANCH_LEQ': case 'BRANCH_LT': return le(ts[0]!);
      case 'BRANCH_GT': case 'BRANCH_GTE': return not(le(ts[0]!));
      case 'BRANCH_EQ': return ts.length ? linAddScaled(linAddScaled(linConst(0n), le(ts[0]!), 1n), le(ts[1]!), -1n) : linConst(0n);
      // distinct members: at most one [X = V] holds, so their sum is the bit
      case 'BRANCH_MEMBER': return ts.reduce((acc, t, i) => linAddScaled(acc, le(t), i % 2 ? -1n : 1n), linConst(0n));
      default: return ts.length ? not(linAddScaled(linAddScaled(linConst(0n), le(ts[0]!), 1n), le(ts[1]!), -1n)) : linConst(1n);
    }
  }
}

const isConst = (e: Lin, c: bigint) => linIsConst(e) && e.c === c;


export function lowerEnsemble(ctx: LowerCtx, ins: (Value | undefined)[], e: Ensemble): QTensor[] {
  const node = ctx.node;
  const v = requireInput(ins[0], 0, node);
  if (v.kind !== 'q') throw new Error('unreachable: constant tree ensemble is folded');
  const x = v.t;
  const [N, F] = rowsOf(node, x.shape);
  const nT = e.trees.length;
  // every leaf weight and base value at one scale (AVERAGE folded into the weights)
  const leaves: TNode[] = [];
  const walk = (n: TNode): void => (n.mode === 'LEAF' ? void leaves.push(n) : (walk(n.t!), walk(n.f!)));
  e.trees.forEach(walk);
  const div = e.agg === 'AVERAGE' ? nT : 1;
  const allW = [...leaves.flatMap((l) => l.w.map(([, w]) => w / div)), ...e.base];
  const q = ctx.quantizeConst({ shape: [allW.length], data: Float64Array.from(allW) });
  const W = new Map<TNode, Map<number, bigint>>();
  let i = 0;
  for (const l of leaves) {
    const m = new Map<number, bigint>();
    for (const [k] of l.w) m.set(k, (m.get(k) ?? 0n) + q.ints[i++]!);
    W.set(l, m);
  }
  const base = e.base.map(() => q.ints[i++]!);
  const scores: Lin[] = [];
  for (let r = 0; r < N; r++) {
    const cmp = new FeatureComparisons(ctx, x.exprs.slice(r * F, (r + 1) * F), x.scale);
    const branches = (n: TNode): void => {
      if (n.mode === 'LEAF') return;
      cmp.want(n);
      branches(n.t!);
      branches(n.f!);
    };
    e.trees.forEach(branches);
    cmp.build();
    const acc: Lin[] = Array.from({ length: e.nTargets }, (_, k) => linConst(base[k] ?? 0n));
    const perTree: Lin[][] = Array.from({ length: e.nTargets }, () => []);
    for (const root of e.trees) {
      const targets = new Set<number>();
      const collect = (n: TNode): void => (n.mode === 'LEAF' ? n.w.forEach(([k]) => targets.add(k)) : (collect(n.t!), collect(n.f!)));
      collect(root);
      if (targets.size <= 1 || e.agg === 'MIN' || e.agg === 'MAX') {
        for (const k of targets) {
          const value = (n: TNode): Lin => {
            if (n.mode === 'LEAF') {
              const w = W.get(n)!.get(k);
              if (w === undefined && (e.agg === 'MIN' || e.agg === 'MAX')) throw err(node, `aggregate ${e.agg}: a leaf of a tree weighing target ${k} has no weight for it`);
              return linConst(w ?? 0n);
            }
            return choose(ctx, cmp.cond(n), value(n.t!), value(n.f!));
          };
          perTree[k]!.push(value(root));
        }
        continue;
      }
      const visit = (n: TNode, ind: Lin): void => {
        if (n.mode === 'LEAF') {
          for (const [k, w] of W.get(n)!) linAddScaled(acc[k]!, ind, w);
          return;
        }
        const c = cmp.cond(n);
        const t = isConst(ind, 1n) ? c : linIsConst(c) ? linScale(ind, c.c) : ctx.b.mul(ind, c, node.name);
        visit(n.t!, t);
        visit(n.f!, linAddScaled(linAddScaled(linConst(0n), ind, 1n), t, -1n));
      };
      visit(root, linConst(1n));
    }
    perTree.forEach((vals, k) => {
      if (!vals.length) return;
      if (e.agg === 'MAX') linAddScaled(acc[k]!, ctx.b.maxOf(vals, node.name), 1n);
      else if (e.agg === 'MIN') linAddScaled(acc[k]!, ctx.b.maxOf(vals.map((s) => linScale(s, -1n)), node.name), -1n);
      else vals.forEach((s) => linAddScaled(acc[k]!, s, 1n));
    });
    scores.push(...acc);
  }
  if (e.binary) return binaryOutputs(ctx, e, { shape: [N, 1], scale: q.scale, exprs: scores.filter((_, i) => i % 2 === 0) });
  const raw: QTensor = { shape: [N, e.nTargets], scale: q.scale, exprs: scores };
  const z = postTransform(ctx, e.post, raw);
  if (!e.labels) return [z];
  const labels = Array.from({ length: N }, (_, r) => argmaxLabels(ctx, scores.slice(r * e.nTargets, (r + 1) * e.nTargets), e.labels!));
  return [{ shape: [N], scale: 0, exprs: labels }, z];
}

/** onnxruntime's binary layout (see Ensemble.binary): the label from one comparison, the scores linear in v. */
function binaryOutputs(ctx: LowerCtx, e: Ensemble, s: QTensor): QTensor[] {
  const [l0, l1] = e.labels!.map(BigInt) as [bigint, bigint];
  const T = e.binary!.allPositive ? 1n << BigInt(Math.max(0, s.scale - 1)) : 0n; // 0.5 or 0 at the scores' scale
  const labels = s.exprs.map((x) => linAddScaled(linConst(l1), leConst(ctx, x, s.scale >= 1 ? T : 0n), l0 - l1));
  const v = e.post === 'LOGISTIC' ? postTransform(ctx, 'LOGISTIC', s) : s;
  const one = e.post === 'LOGISTIC' || e.binary!.allPositive ? 1n << BigInt(v.scale) : 0n;
  const z = v.exprs.flatMap((x) => [linAddScaled(linConst(one), x, -1n), x]);
  return [{ shape: [s.shape[0]!], scale: 0, exprs: labels }, { shape: [s.shape[0]!, 2], scale: v.scale, exprs: z }];
}

export const TreeEnsemble: OpDef = {
  onnx: ['TreeEnsembleClassifier', 'TreeEnsembleRegressor'],
  float: (node, ins) => ensembleFloat(node, ins, parseEnsemble(node)),
  lower: (ctx, ins) => lowerEnsemble(ctx, ins, parseEnsemble(ctx.node)),
};
