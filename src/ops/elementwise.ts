/**
 * Elementwise arithmetic: Add, Sub, Mul, Div, Relu.
 * - Add / Sub, and Mul / Div by constants, are affine: zero constraints (a constant factor is quantized at
 *   its own power-of-two scale; the output scale is the sum).
 * - Mul of two signal tensors is one product per element (operands rescaled to the activation scale first
 *   so the product's bound stays narrow).
 * - Relu is one fused rescale+ReLU decomposition per element.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { broadcastMap, broadcastShapes, requireInput } from './util.js';
import { UnsupportedOpError } from '../errors.js';

type FloatFn = (a: number, b: number) => number;

/** Numpy-broadcast binary op on float tensors. */
export function binaryFloat(node: GraphNode, a: Tensor, b: Tensor, f: FloatFn): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, node);
  const ma = broadcastMap(shape, a.shape);
  const mb = broadcastMap(shape, b.shape);
  return { shape, data: Float64Array.from(ma, (ia, i) => f(a.data[ia]!, b.data[mb[i]!]!)) };
}

/** ka·a + kb·b (ka, kb ∈ {±1}) for any mix of constant and signal operands, broadcast. */
function addLinear(ctx: LowerCtx, a: Value, b: Value, ka: bigint, kb: bigint): QTensor {
  const shape = broadcastShapes(a.t.shape, b.t.shape, ctx.node);
  const s = Math.max(a.kind === 'q' ? a.t.scale : -Infinity, b.kind === 'q' ? b.t.scale : -Infinity);
  const side = (v: Value) => {
    const map = broadcastMap(shape, v.t.shape);
    if (v.kind === 'const') {
      const ints = ctx.quantizeConst(v.t, s).ints;
      return (i: number) => linConst(ints[map[i]!]!);
    }
    const q = ctx.alignUp(v.t, s);
    return (i: number) => q.exprs[map[i]!]!;
  };
  const fa = side(a);
  const fb = side(b);
  const n = shape.reduce((x, y) => x * y, 1);
  return { shape, scale: s, exprs: Array.from({ length: n }, (_, i) => linAddScaled(linAddScaled(linConst(0n), fa(i), ka), fb(i), kb)) };
}

/** Signal tensor times a constant tensor (broadcast): the constant at its own scale, zero constraints. */
export function mulConst(ctx: LowerCtx, q: QTensor, c: Tensor): QTensor {
  const shape = broadcastShapes(q.shape, c.shape, ctx.node);
  const mq = broadcastMap(shape, q.shape);
  const mc = broadcastMap(shape, c.shape);
  const k = ctx.quantizeConst(c);
  return { shape, scale: q.scale + k.scale, exprs: Array.from(mq, (j, i) => linAddScaled(linConst(0n), q.exprs[j]!, k.ints[mc[i]!]!)) };
}

/** Two signal operands of an elementwise op: the broadcast shape, each requantized to the activation scale, and their index maps. */
function signalPair(ctx: LowerCtx, a: QTensor, b: QTensor) {
  const shape = broadcastShapes(a.shape, b.shape, ctx.node);
  return { shape, x: ctx.requant(a, false), y: ctx.requant(b, false), ma: broadcastMap(shape, a.shape), mb: broadcastMap(shape, b.shape) };
}

function mulSignals(ctx: LowerCtx, a: QTensor, b: QTensor): QTensor {
  const { shape, x, y, ma, mb } = signalPair(ctx, a, b);
  return { shape, scale: x.scale + y.scale, exprs: Array.from(ma, (ia, i) => ctx.b.mul(x.exprs[ia]!, y.exprs[mb[i]!]!, ctx.node.name)) };
}

/**
 * Elementwise a / b of two signals at the activation scale, rounded half up: floor((2·a·2^e + b) / (2·b))
 * through DivFloor (one pinned quotient per element). The divisor's sign must follow from its bounds.
 */
function divSignals(ctx: LowerCtx, a: QTensor, b: QTensor): QTensor {
  const { shape, x, y, ma, mb } = signalPair(ctx, a, b);
  const e = ctx.scale + y.scale - x.scale;
  const exprs = Array.from(ma, (ia, i) => {
    let num = linAddScaled(linConst(0n), x.exprs[ia]!, e >= 0 ? 1n << BigInt(e) : 1n);
    let den = linAddScaled(linConst(0n), y.exprs[mb[i]!]!, e < 0 ? 1n << BigInt(-e) : 1n);
    if (ctx.b.bounds(den)[1] <= 0n) {
      num = linAddScaled(linConst(0n), num, -1n);
      den = linAddScaled(linConst(0n), den, -1n);
    }
    return ctx.b.div(linAddScaled(linAddScaled(linConst(0n), num, 2n), den, 1n), linAddScaled(linConst(0n), den, 2n), ctx.node.name);
  });
  return { shape, scale: ctx.scale, exprs };
}

const twoInputs = (node: GraphNode, ins: (Value | undefined)[]): [Value, Value] => [requireInput(ins[0], 0, node), requireInput(ins[1], 1, node)];

export const Add: OpDef = {
  onnx: ['Add', 'Sub'],
  paramInputs: [0, 1],
  float: (node, [a, b]) => [binaryFloat(node, requireInput(a, 0, node), requireInput(b, 1, node), node.op === 'Sub' ? (x, y) => x - y : (x, y) => x + y)],
  lower(ctx, ins) {
    const [a, b] = twoInputs(ctx.node, ins);
    return [addLinear(ctx, a, b, 1n, ctx.node.op === 'Sub' ? -1n : 1n)];
  },
};

export const Mul: OpDef = {
  onnx: ['Mul', 'Div'],
  float: (node, [a, b]) => [binaryFloat(node, requireInput(a, 0, node), requireInput(b, 1, node), node.op === 'Div' ? (x, y) => x / y : (x, y) => x * y)],
  lower(ctx, ins) {
    const [a, b] = twoInputs(ctx.node, ins);
    if (ctx.node.op === 'Div') {
      if (b.kind === 'const') return [mulConst(ctx, a.t as QTensor, { shape: b.t.shape, data: b.t.data.map((v) => 1 / v) })];
      if (a.kind !== 'q') throw new UnsupportedOpError(`node '${ctx.node.name}' (Div): a constant divided by a signal is not supported`);
      return [divSignals(ctx, a.t, b.t)];
    }
    if (a.kind === 'q' && b.kind === 'q') return [mulSignals(ctx, a.t, b.t)];
    const [q, c] = a.kind === 'q' ? [a.t, b.t as Tensor] : [b.t as QTensor, a.t];
    return [mulConst(ctx, q, c)];
  },
};

export const Relu: OpDef = {
  onnx: ['Relu'],
  float: (node, [x]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => (v > 0 ? v : 0)) }];
  },
  lower: (ctx, [x]) => {
    const v = requireInput(x, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Relu is folded');
    return [ctx.requant(v.t, true)];
  },
};
