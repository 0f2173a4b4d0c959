/**
 * MatMul and Gemm. With one constant operand the product is a linear combination (zero constraints);
 * with two signal operands every scalar product is one multiplicative constraint.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { attrNum, broadcastMap, broadcastShapes, matmulPlan, requireInput, transpose2d, transposeFlat } from './util.js';
import { ShapeError } from '../errors.js';

export function matmulFloat(node: GraphNode, a: Tensor, b: Tensor): Tensor {
  const p = matmulPlan(a.shape, b.shape, node);
  const out = new Float64Array(p.size);
  for (let o = 0; o < p.size; o++) {
    let s = 0;
    for (let k = 0; k < p.K; k++) s += a.data[p.aIdx[o * p.K + k]!]! * b.data[p.bIdx[o * p.K + k]!]!;
    out[o] = s;
  }
  return { shape: p.outShape, data: out };
}

/**
 * Integer MatMul of two values (at least one a signal tensor); `alpha` is folded into a constant operand,
 * which is quantized at `constScale` when given (0 for integer operands: exact), else at its own scale.
 */
export function matmulLower(ctx: LowerCtx, a: Value, b: Value, alpha = 1, constScale?: number): QTensor {
  const p = matmulPlan(a.t.shape, b.t.shape, ctx.node);
  const exprs: Lin[] = new Array(p.size);
  if (a.kind === 'q' && b.kind === 'q') {
    for (let o = 0; o < p.size; o++) {
      const acc = linConst(0n);
      for (let k = 0; k < p.K; k++) {
        linAddScaled(acc, ctx.b.mul(a.t.exprs[p.aIdx[o * p.K + k]!]!, b.t.exprs[p.bIdx[o * p.K + k]!]!, ctx.node.name), 1n);
      }
      exprs[o] = acc;
    }
    const q = { shape: p.outShape, scale: a.t.scale + b.t.scale, exprs };
    return alpha === 1 ? q : scaleByConst(ctx, q, alpha);
  }
  const [qv, cv, qIdx, cIdx] = a.kind === 'q' ? [a.t as QTensor, b.t as Tensor, p.aIdx, p.bIdx] : [b.t as QTensor, a.t as Tensor, p.bIdx, p.aIdx];
  const scaled = alpha === 1 ? cv : { shape: cv.shape, data: cv.data.map((x) => x * alpha) };
  const w = ctx.quantizeConst(scaled, constScale);
  for (let o = 0; o < p.size; o++) {
    const acc = linConst(0n);
    for (let k = 0; k < p.K; k++) linAddScaled(acc, qv.exprs[qIdx[o * p.K + k]!]!, w.ints[cIdx[o * p.K + k]!]!);
    exprs[o] = acc;
  }
  return { shape: p.outShape, scale: qv.scale + w.scale, exprs };
}

/** q · c for a float scalar c (c quantized at its own scale). */
export function scaleByConst(ctx: LowerCtx, q: QTensor, c: number): QTensor {
  const k = ctx.quantizeConst({ shape: [], data: new Float64Array([c]) });
  return { shape: q.shape, scale: q.scale + k.scale, exprs: q.exprs.map((e) => linAddScaled(linConst(0n), e, k.ints[0]!)) };
}

/** out + bias, bias broadcast to out's shape (a constant is quantized at out's scale). */
export function addBias(ctx: LowerCtx, out: QTensor, bias: Value, beta = 1): QTensor {
  const shape = broadcastShapes(out.shape, bias.t.shape, ctx.node);
  if (shape.length !== out.shape.length || sizeOf(shape) !== sizeOf(out.shape)) {
    throw new ShapeError(`node '${ctx.node.name}' (${ctx.node.op}): bias of shape [${bias.t.shape}] does not broadcast to output [${out.shape}]`);
  }
  const map = broadcastMap(out.shape, bias.t.shape);
  if (bias.kind === 'const') {
    const ints = ctx.quantizeConst({ shape: bias.t.shape, data: bias.t.data.map((x) => x * beta) }, out.scale).ints;
    return { ...out, exprs: out.exprs.map((e, i) => linAddScaled(linAddScaled(linConst(0n), e, 1n), linConst(ints[map[i]!]!), 1n)) };
  }
  let bq = bias.t;
  if (beta !== 1) bq = scaleByConst(ctx, bq, beta);
  const s = Math.max(out.scale, bq.scale);
  const x = ctx.alignUp(out, s);
  const y = ctx.alignUp(bq, s);
  return { shape: out.shape, scale: s, exprs: x.exprs.map((e, i) => linAddScaled(linAddScaled(linConst(0n), e, 1n), y.exprs[map[i]!]!, 1n)) };
}

const transposeValue = (v: Value): Value =>
  v.kind === 'const'
    ? { kind: 'const', t: transpose2d(v.t) }
    : { kind: 'q', t: { ...v.t, shape: [v.t.shape[1]!, v.t.shape[0]!], exprs: transposeFlat(v.t.exprs, v.t.shape) } };

export const MatMul: OpDef = {
  onnx: ['MatMul'],
  paramInputs: [0, 1],
  float: (node, [a, b]) => [matmulFloat(node, requireInput(a, 0, node), requireInput(b, 0, node))],
  lower: (ctx, [a, b]) => [matmulLower(ctx, requireInput(a, 0, ctx.node), requireInput(b, 0, ctx.node))],
};

function gemmShapes(node: GraphNode, a: number[], b: number[]) {
  if (a.length !== 2 || b.length !== 2) throw new ShapeError(`node '${node.name}' (Gemm): A and B must be 2-D, got [${a}] and [${b}]`);
}

export const Gemm: OpDef = {
  onnx: ['Gemm'],
  paramInputs: [0, 1, 2],
  float(node, [a0, b0, c]) {
    let a = requireInput(a0, 0, node);
    let b = requireInput(b0, 0, node);
    gemmShapes(node, a.shape, b.shape);
    if (attrNum(node, 'transA', 0)) a = transpose2d(a);
    if (attrNum(node, 'transB', 0)) b = transpose2d(b);
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    const y = matmulFloat(node, a, b);
    y.data = y.data.map((v) => v * alpha);
    if (c) {
      const map = broadcastMap(y.shape, c.shape);
      broadcastShapes(y.shape, c.shape, node);
      y.data = y.data.map((v, i) => v + beta * c.data[map[i]!]!);
    }
    return [y];
  },
  lower(ctx, [a0, b0, c]) {
    let a = requireInput(a0, 0, ctx.node);
    let b = requireInput(b0, 1, ctx.node);
    gemmShapes(ctx.node, a.t.shape, b.t.shape);
    if (attrNum(ctx.node, 'transA', 0)) a = transposeValue(a);
    if (attrNum(ctx.node, 'transB', 0)) b = transposeValue(b);
    const y = matmulLower(ctx, a, b, attrNum(ctx.node, 'alpha', 1));
    return [c ? addBias(ctx, y, c, attrNum(ctx.node, 'beta', 1)) : y];
  },
};
