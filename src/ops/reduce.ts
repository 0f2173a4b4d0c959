/**
 * ReduceSum and ReduceMean: linear (zero constraints). A mean over 2^j elements is a scale change;
 * other counts multiply by a quantized 1/count.
 * ReduceMax / ReduceMin: a Max2 tree over each group (count − 1 decompositions of the differences' width).
 * ReduceSumSquare: each element rescaled to the activation scale, one product per element, summed.
 * ReduceL2: the same sum of squares, then one SqrtFloor (as Sqrt: the root at scale S + 1).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

interface ReducePlan {
  shape: number[];
  /** For every input element, the output element it contributes to. */
  dst: Int32Array;
  count: number;
}

export function reducePlan(node: GraphNode, x: number[], axesV: Value | undefined): ReducePlan | undefined {
  let axes: number[] | undefined;
  if (axesV) {
    if (axesV.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): axes must be a constant`);
    axes = Array.from(axesV.t.data);
  } else if (Array.isArray(node.attrs.axes)) axes = node.attrs.axes as number[];
  else if (typeof node.attrs.axis === 'number') axes = [node.attrs.axis];
  if (axes && axes.length === 0) axes = undefined;
  if (!axes && node.attrs.noop_with_empty_axes === 1) return undefined;
  const all = x.map((_, i) => i);
  const red = (axes ?? all).map((a) => {
    const r = a < 0 ? a + x.length : a;
    if (r < 0 || r >= x.length) throw new ShapeError(`node '${node.name}' (${node.op}): axis ${a} out of range for rank ${x.length}`);
    return r;
  });
  const keep = node.attrs.keepdims !== 0;
  const kept = x.map((d, i) => (red.includes(i) ? 1 : d));
  const shape = keep ? kept : x.filter((_, i) => !red.includes(i));
  const xs = stridesOf(x);
  const ks = stridesOf(kept);
  const dst = new Int32Array(sizeOf(x));
  for (let i = 0; i < dst.length; i++) {
    let o = 0;
    for (let d = 0; d < x.length; d++) if (!red.includes(d)) o += (Math.floor(i / xs[d]!) % x[d]!) * ks[d]!;
    dst[i] = o;
  }
  return { shape, dst, count: red.reduce((a, d) => a * x[d]!, 1) };
}

const isMean = (node: GraphNode) => node.op === 'ReduceMean';

/** The input elements of each output element. */
function groups(p: ReducePlan): number[][] {
  const g: number[][] = Array.from({ length: sizeOf(p.shape) }, () => []);
  p.dst.forEach((o, i) => g[o]!.push(i));
  return g;
}

const NONLINEAR_F: Record<string, (xs: number[]) => number> = {
  ReduceMax: (xs) => Math.max(...xs),
  ReduceMin: (xs) => Math.min(...xs),
  ReduceSumSquare: (xs) => xs.reduce((a, v) => a + v * v, 0),
  ReduceL2: (xs) => Math.sqrt(xs.reduce((a, v) => a + v * v, 0)),
};

/** A reduction's signal input and its plan (undefined: nothing to reduce); an empty axis is refused. */
function loweredPlan(node: GraphNode, x0: Value | undefined, axes: Value | undefined): { t: QTensor; p: ReducePlan | undefined } {
  const v = requireInput(x0, 0, node);
  if (v.kind !== 'q') throw new Error('unreachable: constant reduction is folded');
  const p = reducePlan(node, v.t.shape, axes);
  if (p && p.count === 0) throw new ShapeError(`node '${node.name}' (${node.op}): reduction over an empty axis`);
  return { t: v.t, p };
}

export const ReduceNonLinear: OpDef = {
  onnx: Object.keys(NONLINEAR_F),
  float(node, [x0, axes]) {
    const x = requireInput(x0, 0, node);
    const p = reducePlan(node, x.shape, axes ? { kind: 'const', t: axes } : undefined);
    if (!p) return [x];
    const data = Float64Array.from(groups(p), (g) => NONLINEAR_F[node.op]!(g.map((i) => x.data[i]!)));
    return [{ shape: p.shape, data } satisfies Tensor];
  },
  lower(ctx, [x0, axes]) {
    const { t: vt, p } = loweredPlan(ctx.node, x0, axes);
    if (!p) return [vt];
    const b = ctx.b;
    const name = ctx.node.name;
    if (ctx.node.op === 'ReduceMax' || ctx.node.op === 'ReduceMin') {
      const k = ctx.node.op === 'ReduceMax' ? 1n : -1n;
      const exprs = groups(p).map((g) => linAddScaled(linConst(0n), b.maxOf(g.map((i) => linAddScaled(linConst(0n), vt.exprs[i]!, k)), name), k));
      return [{ shape: p.shape, scale: vt.scale, exprs }];
    }
    const x = ctx.requant(vt, false);
    const sq = groups(p).map((g) => g.reduce((acc, i) => linAddScaled(acc, b.mul(x.exprs[i]!, x.exprs[i]!, name), 1n), linConst(0n)));
    const sumSq: QTensor = { shape: p.shape, scale: 2 * x.scale, exprs: sq };
    if (ctx.node.op === 'ReduceSumSquare') return [sumSq];
    const t = Math.max(ctx.scale + 1, Math.ceil(sumSq.scale / 2));
    const a = ctx.alignUp(sumSq, 2 * t);
    return [{ shape: p.shape, scale: t, exprs: a.exprs.map((e) => b.sqrt(e, name)) }];
  },
};

export const Reduce: OpDef = {
  onnx: ['ReduceSum', 'ReduceMean'],
  float(node, [x0, axes]) {
    const x = requireInput(x0, 0, node);
    const p = reducePlan(node, x.shape, axes ? { kind: 'const', t: axes } : undefined);
    if (!p) return [x];
    const out = new Float64Array(sizeOf(p.shape));
    p.dst.forEach((o, i) => (out[o] += x.data[i]!));
    if (isMean(node)) out.forEach((v, i) => (out[i] = p.count ? v / p.count : NaN));
    return [{ shape: p.shape, data: out } satisfies Tensor];
  },
  lower(ctx, [x0, axes]) {
    const { t: xt, p } = loweredPlan(ctx.node, x0, axes);
    if (!p) return [xt];
    let k = 1n;
    let scale = xt.scale;
    if (isMean(ctx.node)) {
      if ((p.count & (p.count - 1)) === 0) scale += Math.log2(p.count);
      else {
        const c = ctx.quantizeConst({ shape: [], data: new Float64Array([1 / p.count]) });
        k = c.ints[0]!;
        scale += c.scale;
      }
    }
    const exprs: Lin[] = Array.from({ length: sizeOf(p.shape) }, () => linConst(0n));
    p.dst.forEach((o, i) => linAddScaled(exprs[o]!, xt.exprs[i]!, k));
    return [{ shape: p.shape, scale, exprs }];
  },
};
