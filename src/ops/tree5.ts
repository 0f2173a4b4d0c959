/**
 * TreeEnsemble of ai.onnx.ml opset 5, the unified tree op: its attributes are converted to the internal form of
 * ./tree.ts (the same trees as TreeEnsembleClassifier / TreeEnsembleRegressor), so comparisons, leaf selection,
 * aggregation and costs are those of ./tree.ts.
 *
 * - Nodes are indexed by position: nodes_truenodeids[i] / nodes_falsenodeids[i] name a node, or a leaf
 *   (an index into leaf_targetids / leaf_weights) where nodes_trueleafs[i] / nodes_falseleafs[i] is 1; a tree
 *   starts at tree_roots[t] (a root whose two children are the same leaf is that leaf alone, as the reference does).
 * - nodes_modes is a uint8 tensor: 0 LEQ, 1 LT, 2 GTE, 3 GT, 4 EQ, 5 NEQ, 6 MEMBER. BRANCH_MEMBER's sets come from
 *   membership_values, listed in the order the MEMBER nodes appear in nodes_modes, each set ended by a NaN.
 *   Membership is a sum of equalities [X = V] (V = v·2^s on the input grid; values off the grid are never equal
 *   to an input on it): each costs two thresholds of the feature's shared thermometer, the sum is linear.
 * - aggregate_function: 0 AVERAGE, 1 SUM (default), 2 MIN, 3 MAX; post_transform: 0 NONE (default), 1 SOFTMAX,
 *   2 LOGISTIC as the ONNX spec numbers them (3 SOFTMAX_ZERO and 4 PROBIT are refused). Others disagree:
 *   onnxruntime 1.30 reads 1 as LOGISTIC and 2 as SOFTMAX, and skips LOGISTIC on a single target (measured;
 *   onnxruntime issue #26596); the ONNX Python reference (onnx/reference/ops/aionnxml/op_tree_ensemble.py)
 *   ignores post_transform. zkinfer follows the spec.
 * - nodes_missing_value_tracks_true is ignored (a circuit input is never NaN); nodes_hitrates are hints.
 */
import type { GraphNode } from '../ir/graph.js';
import type { OpDef } from './types.js';
import { ensembleFloat, err, lowerEnsemble, nums } from './tree.js';
import type { Ensemble, Mode, TNode } from './tree.js';

const MODES5: Mode[] = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'BRANCH_MEMBER'];
const AGGREGATES: Ensemble['agg'][] = ['AVERAGE', 'SUM', 'MIN', 'MAX'];
const POSTS = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'];

const intAttr = (node: GraphNode, name: string, dflt: number): number => {
  const v = node.attrs[name];
  return v === undefined ? dflt : Number(v);
};

/** The opset-5 attributes as the ensemble of ./tree.ts. */
export function parseEnsemble5(node: GraphNode): Ensemble {
  const splits = nums(node, 'nodes_splits');
  const feats = nums(node, 'nodes_featureids');
  const modes = nums(node, 'nodes_modes');
  const tIds = nums(node, 'nodes_truenodeids');
  const fIds = nums(node, 'nodes_falsenodeids');
  const tLeaf = nums(node, 'nodes_trueleafs');
  const fLeaf = nums(node, 'nodes_falseleafs');
  const targets = nums(node, 'leaf_targetids');
  const weights = nums(node, 'leaf_weights');
  const roots = nums(node, 'tree_roots');
  const n = modes.length;
  for (const [name, xs] of [['nodes_splits', splits], ['nodes_featureids', feats], ['nodes_truenodeids', tIds], ['nodes_falsenodeids', fIds], ['nodes_trueleafs', tLeaf], ['nodes_falseleafs', fLeaf]] as const) {
    if (xs.length !== n) throw err(node, `${name} has ${xs.length} entries for ${n} nodes (nodes_modes)`, 'every nodes_* attribute lists one value per node');
  }
  if (targets.length !== weights.length) throw err(node, `leaf_targetids has ${targets.length} entries, leaf_weights ${weights.length}`);
  const nTargets = intAttr(node, 'n_targets', 0);
  if (!(nTargets >= 1)) throw err(node, 'n_targets is missing or not positive');
  const bad = targets.find((k) => !(k >= 0 && k < nTargets));
  if (bad !== undefined) throw err(node, `leaf target ${bad} is outside 0..${nTargets - 1} (n_targets ${nTargets})`);
  // membership sets, in the order the MEMBER nodes appear, each ended by NaN
  const mv = nums(node, 'membership_values', false);
  const sets = new Map<number, number[]>();
  let at = 0;
  modes.forEach((m, i) => {
    if (m !== 6) return;
    if (!mv.length) throw err(node, `node ${i} is BRANCH_MEMBER but membership_values is missing`, 'list the members of every MEMBER node, each set ended by NaN');
    const set = new Set<number>();
    for (; at < mv.length && !Number.isNaN(mv[at]!); at++) set.add(mv[at]!);
    at++;
    sets.set(i, [...set]);
  });
  const leaves = weights.map((w, j): TNode => ({ mode: 'LEAF', feature: 0, value: 0, w: [[targets[j]!, w]] }));
  const leaf = (j: number, from: number): TNode => {
    const l = leaves[j];
    if (!l) throw err(node, `node ${from} names leaf ${j}, but there are ${leaves.length} leaves`);
    return l;
  };
  const built = new Map<number, TNode>();
  const build = (i: number, depth: number): TNode => {
    if (!(i >= 0 && i < n)) throw err(node, `node index ${i} is outside 0..${n - 1}`);
    if (depth > n) throw err(node, `node ${i} is on a cycle of nodes_truenodeids / nodes_falsenodeids`, 'a tree must not revisit a node');
    const done = built.get(i);
    if (done) return done;
    const mode = MODES5[modes[i]!];
    if (!mode) throw err(node, `node ${i} has mode ${modes[i]}, not a TreeEnsemble mode (0..6)`);
    const t: TNode = { mode, feature: feats[i]!, value: splits[i]!, w: [], ...(mode === 'BRANCH_MEMBER' ? { members: sets.get(i)! } : {}) };
    t.t = tLeaf[i] ? leaf(tIds[i]!, i) : build(tIds[i]!, depth + 1);
    t.f = fLeaf[i] ? leaf(fIds[i]!, i) : build(fIds[i]!, depth + 1);
    built.set(i, t);
    return t;
  };
  const trees = roots.map((r) => (tLeaf[r] && fLeaf[r] && tIds[r] === fIds[r] ? leaf(tIds[r]!, r) : build(r, 0)));
  if (!trees.length) throw err(node, 'tree_roots is empty');
  const agg = AGGREGATES[intAttr(node, 'aggregate_function', 1)];
  if (!agg) throw err(node, `aggregate_function ${String(node.attrs.aggregate_function)} is not one of 0 AVERAGE, 1 SUM, 2 MIN, 3 MAX`);
  const post = POSTS[intAttr(node, 'post_transform', 0)];
  if (post !== 'NONE' && post !== 'SOFTMAX' && post !== 'LOGISTIC') throw err(node, `post_transform ${String(node.attrs.post_transform)} (${post ?? 'unknown'}) is not supported`, 'use 0 NONE, 1 SOFTMAX or 2 LOGISTIC');
  return { trees, nTargets, base: [], agg, post };
}

export const TreeEnsemble5: OpDef = {
  onnx: ['TreeEnsemble'],
  float: (node, ins) => ensembleFloat(node, ins, parseEnsemble5(node)),
  lower: (ctx, ins) => lowerEnsemble(ctx, ins, parseEnsemble5(ctx.node)),
};
