/**
 * The linear and preprocessing ops of ONNX-ML (ai.onnx.ml), as onnxruntime evaluates them:
 * - LinearClassifier / LinearRegressor: x·Wᵀ + b, a linear combination (zero constraints); post-transforms
 *   NONE / LOGISTIC / SOFTMAX through ./exp.ts. The classifier's label is the argmax of the raw scores
 *   mapped to classlabels_ints (one sign decomposition + two selects per class); with one score and two
 *   labels (binary), label = [s > 0] (one sign decomposition) and the scores [1 − v, v] (v = s or σ(s)).
 * - Scaler: (x − offset)·scale, linear. ArrayFeatureExtractor (constant indices): an index remap. ZipMap:
 *   dropped, the scores tensor is the output (a circuit has no maps). Imputer: replaces NaN, which a circuit
 *   input never is (only NaN replacement is accepted). Binarizer: [x > threshold], one comparison.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { Sigmoid, Softmax } from './exp.js';
import { argmaxLabels, leConst } from './compare.js';
import { UnsupportedOpError } from '../errors.js';

const err = (node: GraphNode, msg: string, hint?: string) => new UnsupportedOpError(`node '${node.name}' (${node.op}): ${msg}`, hint ? { hint } : undefined);
const floats = (node: GraphNode, name: string): number[] => {
  const v = node.attrs[name];
  return Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v] : [];
};
const signalIn = (node: GraphNode, v: Value | undefined): QTensor => {
  const x = requireInput(v, 0, node);
  if (x.kind !== 'q') throw new Error(`unreachable: constant ${node.op} is folded`);
  return x.t;
};
/** [N, F] rows of an input of rank 1 or 2. */
const rows = (shape: number[]): [number, number] => {
  const F = shape[shape.length - 1] ?? 1;
  return [sizeOf(shape) / F, F];
};

interface Linear {
  W: number[];
  b: number[];
  K: number;
  post: string;
  labels?: number[];
}

function parseLinear(node: GraphNode): Linear {
  const W = floats(node, 'coefficients');
  const cls = node.op === 'LinearClassifier';
  const b = floats(node, 'intercepts');
  const K = cls ? b.length : Number(node.attrs.targets ?? 1);
  const post = String(node.attrs.post_transform ?? 'NONE');
  if (!['NONE', 'LOGISTIC', 'SOFTMAX'].includes(post)) throw err(node, `post_transform '${post}' is not supported`, 'use NONE, LOGISTIC or SOFTMAX');
  if (!cls) return { W, b: b.length ? b : new Array<number>(K).fill(0), K, post };
  const labels = floats(node, 'classlabels_ints');
  if (!labels.length) throw err(node, 'only integer class labels (classlabels_ints) are supported', 'export with integer labels');
  if (K === 0 || (K !== labels.length && !(K === 1 && labels.length === 2))) throw err(node, `${K} intercepts for ${labels.length} class labels`);
  return { W, b, K, post, labels };
}

export function transformFloat(post: string, s: number[]): number[] {
  if (post === 'LOGISTIC') return s.map((v) => 1 / (1 + Math.exp(-v)));
  if (post !== 'SOFTMAX') return s;
  const m = Math.max(...s);
  const e = s.map((v) => Math.exp(v - m));
  const z = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / z);
}

function linearFloat(node: GraphNode, [x0]: (Tensor | undefined)[]): Tensor[] {
  const x = requireInput(x0, 0, node);
  const m = parseLinear(node);
  const [N, F] = rows(x.shape);
  if (m.W.length !== m.K * F) throw err(node, `${m.W.length} coefficients for ${m.K} targets × ${F} features`);
  const raw = Array.from({ length: N }, (_, r) => Array.from({ length: m.K }, (_, k) => m.W.slice(k * F, (k + 1) * F).reduce((a, w, j) => a + w * x.data[r * F + j]!, m.b[k]!)));
  if (!m.labels) return [{ shape: [N, m.K], data: Float64Array.from(raw.flatMap((s) => transformFloat(m.post, s))) }];
  if (m.K === 1) {
    const label = raw.map(([s]) => m.labels![s! > 0 ? 1 : 0]!);
    const z = raw.flatMap(([s]) => {
      const v = transformFloat(m.post, [s!])[0]!;
      return [1 - v, v];
    });
    return [{ shape: [N], data: Float64Array.from(label), dtype: 'int64' }, { shape: [N, 2], data: Float64Array.from(z) }];
  }
  const label = raw.map((s) => m.labels![s.reduce((best, v, k) => (v > s[best]! ? k : best), 0)]!);
  return [{ shape: [N], data: Float64Array.from(label), dtype: 'int64' }, { shape: [N, m.K], data: Float64Array.from(raw.flatMap((s) => transformFloat(m.post, s))) }];
}

/** A post-transform through the existing ops' lowering (Sigmoid / Softmax over the last axis). */
export function postTransform(ctx: LowerCtx, post: string, raw: QTensor): QTensor {
  const sub = (op: OpDef, attrs: GraphNode['attrs']) => op.lower({ ...ctx, node: { ...ctx.node, attrs } }, [{ kind: 'q', t: raw }])[0]!;
  return post === 'LOGISTIC' ? sub(Sigmoid, {}) : post === 'SOFTMAX' ? sub(Softmax, { axis: -1 }) : raw;
}

function linearLower(ctx: LowerCtx, [x0]: (Value | undefined)[]): QTensor[] {
  const node = ctx.node;
  const x = signalIn(node, x0);
  const m = parseLinear(node);
  const [N, F] = rows(x.shape);
  if (m.W.length !== m.K * F) throw err(node, `${m.W.length} coefficients for ${m.K} targets × ${F} features`);
  const w = ctx.quantizeConst({ shape: [m.W.length], data: Float64Array.from(m.W) });
  const s = x.scale + w.scale;
  const b = ctx.quantizeConst({ shape: [m.K], data: Float64Array.from(m.b) }, s).ints;
  const exprs: Lin[] = [];
  for (let r = 0; r < N; r++)
    for (let k = 0; k < m.K; k++) {
      const acc = linConst(b[k]!);
      for (let j = 0; j < F; j++) linAddScaled(acc, x.exprs[r * F + j]!, w.ints[k * F + j]!);
      exprs.push(acc);
    }
  const raw: QTensor = { shape: [N, m.K], scale: s, exprs };
  if (!m.labels) return [postTransform(ctx, m.post, raw)];
  if (m.K === 1) {
    const labels = exprs.map((e) => {
      const pos = linAddScaled(linConst(1n), leConst(ctx, e, 0n), -1n); // [s > 0]
      const [l0, l1] = m.labels!.map(BigInt) as [bigint, bigint];
      return linAddScaled(linConst(l0), pos, l1 - l0);
    });
    const v = postTransform(ctx, m.post, raw);
    const one = 1n << BigInt(v.scale);
    const z = v.exprs.flatMap((e) => [linAddScaled(linConst(one), e, -1n), e]);
    return [{ shape: [N], scale: 0, exprs: labels }, { shape: [N, 2], scale: v.scale, exprs: z }];
  }
  const labels = Array.from({ length: N }, (_, r) => argmaxLabels(ctx, exprs.slice(r * m.K, (r + 1) * m.K), m.labels!));
  return [{ shape: [N], scale: 0, exprs: labels }, postTransform(ctx, m.post, raw)];
}

export const LinearModel: OpDef = {
  onnx: ['LinearClassifier', 'LinearRegressor'],
  float: linearFloat,
  lower: linearLower,
};

/** Per-feature attribute values broadcast over the last axis (one value = all features). */
const perFeature = (node: GraphNode, name: string, F: number, dflt: number): number[] => {
  const v = floats(node, name);
  if (v.length > 1 && v.length !== F) throw err(node, `'${name}' has ${v.length} values for ${F} features`);
  return Array.from({ length: F }, (_, j) => (v.length === 0 ? dflt : v.length === 1 ? v[0]! : v[j]!));
};

export const Scaler: OpDef = {
  onnx: ['Scaler'],
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    const F = x.shape[x.shape.length - 1] ?? 1;
    const off = perFeature(node, 'offset', F, 0);
    const sc = perFeature(node, 'scale', F, 1);
    return [{ shape: x.shape, data: x.data.map((v, i) => (v - off[i % F]!) * sc[i % F]!) }];
  },
  lower(ctx, [x0]) {
    const x = signalIn(ctx.node, x0);
    const F = x.shape[x.shape.length - 1] ?? 1;
    const off = perFeature(ctx.node, 'offset', F, 0);
    const k = ctx.quantizeConst({ shape: [F], data: Float64Array.from(perFeature(ctx.node, 'scale', F, 1)) });
    const o = ctx.quantizeConst({ shape: [F], data: Float64Array.from(off) }, x.scale).ints;
    // (x − offset)·scale: the offset at the input's scale (exact when it lies on the input grid)
    const exprs = x.exprs.map((e, i) => linAddScaled(linConst(0n), linAddScaled(linConst(-o[i % F]!), e, 1n), k.ints[i % F]!));
    return [{ shape: x.shape, scale: x.scale + k.scale, exprs }];
  },
};

export const Binarizer: OpDef = {
  onnx: ['Binarizer'],
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    const t = Number(node.attrs.threshold ?? 0);
    return [{ shape: x.shape, data: x.data.map((v) => (v > t ? 1 : 0)) }];
  },
  lower(ctx, [x0]) {
    const x = signalIn(ctx.node, x0);
    const T = BigInt(Math.floor(Number(ctx.node.attrs.threshold ?? 0) * 2 ** x.scale));
    // x > t ⇔ X > ⌊t·2^s⌋ (X integer), one comparison per element
    return [{ shape: x.shape, scale: 0, exprs: x.exprs.map((e) => linAddScaled(linConst(1n), leConst(ctx, e, T), -1n)) }];
  },
};

function extractPlan(node: GraphNode, shape: number[], idx: Value | undefined) {
  const v = requireInput(idx, 1, node);
  if (v.kind !== 'const') throw err(node, 'the indices must be a constant');
  const ids = Array.from(v.t.data);
  const F = shape[shape.length - 1]!;
  ids.forEach((i) => {
    if (i < 0 || i >= F || !Number.isInteger(i)) throw err(node, `index ${i} is outside the last axis (${F})`);
  });
  const outer = sizeOf(shape) / F;
  const src = Array.from({ length: outer * ids.length }, (_, o) => Math.floor(o / ids.length) * F + ids[o % ids.length]!);
  return { shape: [...shape.slice(0, -1), ids.length], src };
}

export const ArrayFeatureExtractor: OpDef = {
  onnx: ['ArrayFeatureExtractor'],
  float(node, [x0, i0]) {
    const x = requireInput(x0, 0, node);
    const p = extractPlan(node, x.shape, i0 && { kind: 'const', t: i0 });
    return [{ shape: p.shape, data: Float64Array.from(p.src, (j) => x.data[j]!) }];
  },
  lower(ctx, [x0, i0]) {
    const x = signalIn(ctx.node, x0);
    const p = extractPlan(ctx.node, x.shape, i0);
    return [{ shape: p.shape, scale: x.scale, exprs: p.src.map((j) => x.exprs[j]!) }];
  },
};

/** ZipMap (dropped: the scores pass through) and Imputer (NaN replacement only: a circuit input is never NaN). */
export const PassThrough: OpDef = {
  onnx: ['ZipMap', 'Imputer'],
  float(node, [x0]) {
    checkImputer(node);
    return [requireInput(x0, 0, node)];
  },
  lower(ctx, [x0]) {
    checkImputer(ctx.node);
    return [signalIn(ctx.node, x0)];
  },
};

function checkImputer(node: GraphNode): void {
  if (node.op !== 'Imputer') return;
  const r = node.attrs.replaced_value_float ?? 0; // ONNX's default replaces 0
  if (!Number.isNaN(Number(r))) throw err(node, `replacing the value ${r} is not supported (only NaN, which a circuit input never is)`, 'impute before proving, or replace NaN only');
}

/**
 * Normalizer (per row of the last axis), as onnxruntime: MAX x / max(x), L1 x / Σ|x|, L2 x / sqrt(Σx²); a zero
 * norm leaves the row as is. With x at the activation scale S: L1 takes |x| = relu(x) + relu(−x) (two
 * decompositions per element), L2 one product per element and one SqrtFloor; the norm gets + 1 unit (2^−S, or
 * 2^−2S under the root) so a zero row divides by a positive number and stays 0. Then one rounded DivFloor per
 * element, its quotient range-checked to [−2^S, 2^S] (|x_i| ≤ the norm; MAX needs a non-negative proven bound of
 * the row's maximum, refused otherwise, and divides a zero row by 1: one more comparison).
 */
export const Normalizer: OpDef = {
  onnx: ['Normalizer'],
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    const [N, F] = rows(x.shape);
    const norm = String(node.attrs.norm ?? 'MAX');
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < N; r++) {
      const xs = Array.from(x.data.subarray(r * F, (r + 1) * F));
      const d = norm === 'MAX' ? Math.max(...xs) : norm === 'L1' ? xs.reduce((a, v) => a + Math.abs(v), 0) : Math.sqrt(xs.reduce((a, v) => a + v * v, 0));
      xs.forEach((v, i) => (out[r * F + i] = d !== 0 ? v / d : v));
    }
    return [{ shape: x.shape, data: out }];
  },
  lower(ctx, [x0]) {
    const node = ctx.node;
    const b = ctx.b;
    const x1 = ctx.requant(signalIn(node, x0), false);
    const x = ctx.alignUp(x1, Math.max(x1.scale, ctx.scale)); // a coarser input (e.g. 2^4) gets the output precision 2^−S
    const S = x.scale;
    const [N, F] = rows(x.shape);
    const norm = String(node.attrs.norm ?? 'MAX');
    if (!['MAX', 'L1', 'L2'].includes(norm)) throw err(node, `norm '${norm}' is not supported`, 'use MAX, L1 or L2');
    const lim = 1n << BigInt(S);
    const exprs: Lin[] = [];
    for (let r = 0; r < N; r++) {
      const xs = x.exprs.slice(r * F, (r + 1) * F);
      // the row's norm D at scale sd: y = x / d ⇒ Y = X·2^sd / D at scale S
      let D: Lin;
      let sd: number;
      if (norm === 'MAX') {
        const m = b.maxOf(xs, node.name);
        sd = S;
        if (b.bounds(m)[0] < 0n) throw err(node, 'norm MAX: the row maximum may be negative (its proven bound): onnxruntime then flips signs, which is not reproduced', 'use L1 or L2, or declare a non-negative input range');
        D = linAddScaled(linAddScaled(linConst(0n), m, 1n), leConst(ctx, m, 0n), 1n); // max, or 1 for a zero row
      } else if (norm === 'L1') {
        D = xs.reduce((acc, e) => linAddScaled(linAddScaled(acc, b.rescale(e, 0, true, node.name), 1n), b.rescale(linAddScaled(linConst(0n), e, -1n), 0, true, node.name), 1n), linConst(1n));
        sd = S;
      } else {
        const sum = xs.reduce((acc, e) => linAddScaled(acc, b.mul(e, e, node.name), 1n), linConst(1n)); // at scale 2S
        D = b.sqrt(sum, node.name); // at scale S
        sd = S;
      }
      for (const e of xs) {
        const num = linAddScaled(linAddScaled(linConst(0n), e, 2n << BigInt(sd)), D, 1n);
        exprs.push(b.div(num, linAddScaled(linConst(0n), D, 2n), node.name, [-lim, lim]));
      }
    }
    return [{ shape: x.shape, scale: S, exprs }];
  },
};
