/**
 * Piecewise-linear activations, each from ReLU decompositions (ShiftedBits) of bound width:
 * - LeakyRelu / PRelu: y = α·x + (1 − α)·relu(x) — one decomposition per element.
 * - Clip (and Relu6): max(x, lo) = lo + relu(x − lo), min(y, hi) = hi − relu(hi − y) — at most two, and a
 *   side is skipped when the proven bound already lies inside it.
 * - HardSigmoid: clip(α·x + β, 0, 1): the affine part is free.
 * Operands are first rescaled to the activation scale (one decomposition only if above it).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { broadcastMap, broadcastShapes, requireInput } from './util.js';
import { UnsupportedOpError } from '../errors.js';

const relu = (ctx: LowerCtx, e: Lin): Lin => ctx.b.rescale(e, 0, true, ctx.node.name);

/** y = α_i·x + (1 − α_i)·relu(x) with per-element slopes (broadcast from `slope`). */
function leaky(ctx: LowerCtx, x0: QTensor, slope: Tensor): QTensor {
  const x = ctx.requant(x0, false);
  const shape = broadcastShapes(x.shape, slope.shape, ctx.node);
  if (shape.join() !== x.shape.join()) throw new UnsupportedOpError(`node '${ctx.node.name}' (${ctx.node.op}): slope [${slope.shape}] must broadcast to the input [${x.shape}]`);
  const map = broadcastMap(shape, slope.shape);
  const k = ctx.quantizeConst({ shape: [2 * slope.data.length], data: Float64Array.from([...slope.data, ...slope.data.map((a) => 1 - a)]) });
  const n = slope.data.length;
  const exprs = x.exprs.map((e, i) => {
    const a = k.ints[map[i]!]!;
    const r = relu(ctx, e);
    return linAddScaled(linAddScaled(linConst(0n), e, a), r, k.ints[n + map[i]!]!);
  });
  return { shape: x.shape, scale: x.scale + k.scale, exprs };
}

/** clip(x, lo, hi) elementwise; lo / hi undefined = unbounded. */
export function clipQ(ctx: LowerCtx, x0: QTensor, lo: number | undefined, hi: number | undefined): QTensor {
  const x = ctx.requant(x0, false);
  const q = (v: number) => ctx.quantizeConst({ shape: [], data: new Float64Array([v]) }, x.scale).ints[0]!;
  const L = lo === undefined ? undefined : q(lo);
  const H = hi === undefined ? undefined : q(hi);
  const exprs = x.exprs.map((e0) => {
    let e = e0;
    if (L !== undefined && H !== undefined && L >= H) return linConst(H); // ONNX: min > max gives max
    if (L !== undefined && ctx.b.bounds(e)[0] < L) e = linAddScaled(linConst(L), relu(ctx, linAddScaled(linConst(-L), e, 1n)), 1n);
    if (H !== undefined && ctx.b.bounds(e)[1] > H) e = linAddScaled(linConst(H), relu(ctx, linAddScaled(linConst(H), e, -1n)), -1n);
    return e;
  });
  return { shape: x.shape, scale: x.scale, exprs };
}

const scalarOf = (node: GraphNode, v: Value | undefined, what: string): number | undefined => {
  if (!v) return undefined;
  if (v.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} must be a constant`);
  return v.t.data[0];
};

function clipBounds(node: GraphNode, ins: (Value | undefined)[]): [number | undefined, number | undefined] {
  if (node.op === 'Relu6') return [0, 6];
  if (ins.length > 1) return [scalarOf(node, ins[1], 'min'), scalarOf(node, ins[2], 'max')];
  const num = (k: string) => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : undefined);
  return [num('min'), num('max')];
}

const asValues = (ts: (Tensor | undefined)[]): (Value | undefined)[] => ts.map((t) => (t ? { kind: 'const', t } : undefined));
const clipF = (v: number, lo: number | undefined, hi: number | undefined) => {
  let y = v;
  if (lo !== undefined) y = Math.max(y, lo);
  if (hi !== undefined) y = Math.min(y, hi);
  return y;
};
const hsParams = (node: GraphNode): [number, number] => [
  typeof node.attrs.alpha === 'number' ? node.attrs.alpha : 0.2,
  typeof node.attrs.beta === 'number' ? node.attrs.beta : 0.5,
];
const leakyAlpha = (node: GraphNode): number => (typeof node.attrs.alpha === 'number' ? node.attrs.alpha : 0.01);

const signal = (node: GraphNode, v: Value | undefined): QTensor => {
  const x = requireInput(v, 0, node);
  if (x.kind !== 'q') throw new Error(`unreachable: constant ${node.op} is folded`);
  return x.t;
};

export const LeakyRelu: OpDef = {
  onnx: ['LeakyRelu'],
  float: (node, [x]) => {
    const a = leakyAlpha(node);
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => (v >= 0 ? v : a * v)) }];
  },
  lower: (ctx, [x]) => [leaky(ctx, signal(ctx.node, x), { shape: [], data: new Float64Array([leakyAlpha(ctx.node)]) })],
};

/**
 * PRelu's slope broadcasts to the input; legacy exports (opset < 7) give a per-channel vector [C] for an
 * N×C×… input, which numpy rules would align with the last axis: read it per channel.
 */
function preluSlope(x: number[], slope: Tensor): Tensor {
  const n = slope.data.length;
  const numpyOk = slope.shape.length <= x.length && slope.shape.every((d, i) => d === 1 || d === x[x.length - slope.shape.length + i]);
  if (!numpyOk && x.length >= 2 && n === x[1]) return { shape: [n, ...x.slice(2).map(() => 1)], data: slope.data };
  return slope;
}

export const PRelu: OpDef = {
  onnx: ['PRelu'],
  float: (node, [x, s]) => {
    const t = requireInput(x, 0, node);
    const sl = preluSlope(t.shape, requireInput(s, 1, node));
    const map = broadcastMap(t.shape, sl.shape);
    return [{ shape: t.shape, data: t.data.map((v, i) => (v >= 0 ? v : sl.data[map[i]!]! * v)) }];
  },
  lower: (ctx, [x, s]) => {
    const sl = requireInput(s, 1, ctx.node);
    if (sl.kind !== 'const') throw new UnsupportedOpError(`node '${ctx.node.name}' (PRelu): slope must be a constant`);
    const q = signal(ctx.node, x);
    return [leaky(ctx, q, preluSlope(q.shape, sl.t))];
  },
};

export const Clip: OpDef = {
  onnx: ['Clip', 'Relu6'],
  float: (node, ins) => {
    const [lo, hi] = clipBounds(node, asValues(ins));
    const t = requireInput(ins[0], 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => clipF(v, lo, hi)) }];
  },
  lower: (ctx, ins) => {
    const [lo, hi] = clipBounds(ctx.node, ins);
    return [clipQ(ctx, signal(ctx.node, ins[0]), lo, hi)];
  },
};

export const HardSigmoid: OpDef = {
  onnx: ['HardSigmoid'],
  float: (node, [x]) => {
    const [a, b] = hsParams(node);
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => clipF(a * v + b, 0, 1)) }];
  },
  lower: (ctx, [x0]) => {
    const [a, b] = hsParams(ctx.node);
    const x = signal(ctx.node, x0);
    const k = ctx.quantizeConst({ shape: [], data: new Float64Array([a]) });
    const s = x.scale + k.scale;
    const beta = ctx.quantizeConst({ shape: [], data: new Float64Array([b]) }, s).ints[0]!;
    const lin: QTensor = { shape: x.shape, scale: s, exprs: x.exprs.map((e) => linAddScaled(linConst(beta), e, k.ints[0]!)) };
    return [clipQ(ctx, lin, 0, 1)];
  },
};
