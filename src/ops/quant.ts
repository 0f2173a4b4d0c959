/**
 * The int8 ops of real quantized ONNX models, mapped exactly onto fixed point:
 * - integer tensors (uint8 / int8 / int32 …) are exact integers at scale 0; zero points are constants
 *   subtracted exactly;
 * - MatMulInteger / ConvInteger are exact integer linear maps (zero constraints with a constant operand,
 *   one product per term with two signal operands): no rounding at all;
 * - QLinearMatMul / QLinearConv compute the int32 accumulator exactly, then requantize:
 *   y = saturate(rint(acc · M) + y_zp) with M = fl32(fl32(a_scale · b_scale) / y_scale) as onnxruntime computes
 *   it in float32. A float32 is a dyadic rational m · 2^e, so M is represented exactly (odd m, shift −e);
 *   rint is round half to even, exactly (ProgramBuilder.roundHalfEven); saturate is a clip (max gadgets,
 *   skipped where the proven bound already lies inside the type's range). onnxruntime rounds acc · M to float32
 *   before rint (double rounding): the two differ by 1 where acc · M lies within half a float32 ulp of a
 *   half-integer (none on the reference cases, 1 of 1,200 random elements in test/float.test.ts);
 * - QuantizeLinear (float x at scale s): rint(x / y_scale) + zp, saturated, exactly: y_scale = m · 2^e, a shift
 *   when m = 1, else an exact division by the odd m (ProgramBuilder.roundDivHalfEven). onnxruntime divides in
 *   float32 first, so near-ties can differ as for QLinear*;
 * - DequantizeLinear: (x − zp) · x_scale is a change of scale of an integer: exact (x_scale = m · 2^e becomes
 *   the integer factor m at scale −e).
 * Scales and zero points must be constants: per tensor, per axis (1-D) or per block (block_size) for
 * QuantizeLinear / DequantizeLinear; per tensor, per row / column / output channel for the others — except the
 * A / x zero point of MatMulInteger / ConvInteger, which may be one integer computed in the circuit
 * (DynamicQuantizeLinear's y_zero_point, as onnxruntime's dynamic quantization writes it).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { intRange, sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { attrNum, broadcastMap, matmulPlan, requireInput } from './util.js';
import { matmulFloat, matmulLower } from './matmul.js';
import { channelOfOutput, convFloat, convLower, convPlan } from './conv.js';
import { clipQ } from './activation.js';
import { dtypeName } from '../import/onnx.js';
import { UnsupportedOpError } from '../errors.js';

/** x = m · 2^e exactly, m odd (x a finite non-zero double); m = 0 for x = 0. */
export function dyadic(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  if (!Number.isFinite(x)) throw new Error(`dyadic: ${x} is not finite`);
  let e = 0;
  let v = x;
  while (!Number.isInteger(v)) {
    v *= 2;
    e--;
  }
  let m = BigInt(v);
  while (m % 2n === 0n) {
    m /= 2n;
    e++;
  }
  return { m, e };
}

/** rint(v · m · 2^e) for an integer v: round half to even, exactly (the integer semantics, in bigints). */
export function rintDyadic(v: bigint, m: bigint, e: number): bigint {
  const w = v * m;
  if (e >= 0) return w << BigInt(e);
  const k = BigInt(-e);
  const q = w >> k; // floor
  const r = w - (q << k);
  const half = 1n << (k - 1n);
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
}

/** Integer range of a quantized type: from the zero point's type, `output_dtype`, or uint8 by default. */
function outRange(node: GraphNode, zp: Tensor | undefined): [number, number] {
  const od = attrNum(node, 'output_dtype', 0);
  const dt = zp?.dtype ?? (od ? dtypeName(od) : 'uint8');
  const r = intRange(dt);
  if (!r) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): quantized type ${dt} is not supported (integer types only)`);
  return r;
}

function constOf(node: GraphNode, v: Value | undefined, what: string): Tensor | undefined {
  if (v === undefined) return undefined;
  if (v.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} must be a constant (an initializer), not computed from the input`);
  return v.t;
}

/**
 * Blocked quantization: the parameter has x's rank, with ceil(x.shape[axis] / block_size) entries along `axis`;
 * element i uses the entry of its block.
 */
function blockedAt(node: GraphNode, t: Tensor | undefined, shape: number[], axis: number, block: number, dflt: number, what: string): (i: number) => number {
  if (!t) return () => dflt;
  const ax = axis < 0 ? axis + shape.length : axis;
  if (t.shape.length !== shape.length || t.shape.some((d, k) => (k === ax ? d !== Math.ceil(shape[k]! / block) : d !== shape[k]))) {
    throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} of shape [${t.shape}] does not fit blocks of ${block} along axis ${axis} of [${shape}]`);
  }
  const xs = stridesOf(shape);
  const ts = stridesOf(t.shape);
  return (i) => {
    let j = 0;
    for (let k = 0; k < shape.length; k++) {
      const c = Math.floor(i / xs[k]!) % shape[k]!;
      j += (k === ax ? Math.floor(c / block) : c) * ts[k]!;
    }
    return t.data[j]!;
  };
}

/**
 * A per-tensor or per-axis parameter (scale or zero point) as a function of the flat index into `shape`:
 * a scalar / 1-element tensor, a 1-D tensor along `axis`, or a tensor that broadcasts to `shape`.
 */
function paramAt(node: GraphNode, t: Tensor | undefined, shape: number[], axis: number, dflt: number, what: string): (i: number) => number {
  if (!t) return () => dflt;
  if (t.data.length === 1) return () => t.data[0]!;
  const ax = axis < 0 ? axis + shape.length : axis;
  if (t.shape.length === 1 && t.data.length === shape[ax]) {
    const inner = sizeOf(shape.slice(ax + 1));
    return (i) => t.data[Math.floor(i / inner) % shape[ax]!]!;
  }
  if (t.shape.length === shape.length && t.shape.every((d, k) => d === 1 || d === shape[k])) {
    const map = broadcastMap(shape, t.shape);
    return (i) => t.data[map[i]!]!;
  }
  throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} of shape [${t.shape}] fits neither per-tensor nor per-axis (axis ${axis}) quantization of [${shape}]`);
}

/** An integer operand: a signal tensor at scale 0 or an integer constant. */
function intOperand(node: GraphNode, v: Value | undefined, i: number): Value {
  const x = requireInput(v, i, node);
  if (x.kind === 'q' && x.t.scale !== 0) {
    throw new UnsupportedOpError(`node '${node.name}' (${node.op}): input ${i} must be an integer tensor (scale 0), got a fixed-point tensor at scale 2^${x.t.scale}`, { hint: 'integer ops take integer-typed inputs or the output of QuantizeLinear' });
  }
  if (x.kind === 'const' && x.t.data.some((d) => !Number.isInteger(d))) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): input ${i} must hold integers`);
  return x;
}

/** v − zp elementwise (zp as a function of the flat index), exact. */
function minusZp(v: Value, zp: (i: number) => number): Value {
  if (v.kind === 'const') return { kind: 'const', t: { shape: v.t.shape, data: v.t.data.map((x, i) => x - zp(i)) } };
  return { kind: 'q', t: { ...v.t, exprs: v.t.exprs.map((e, i) => (zp(i) === 0 ? e : linAddScaled(linConst(BigInt(-zp(i))), e, 1n))) } };
}

/** Zero point / scale of a MatMul operand: per row of A ([M] → [M, 1]) or per column of B ([N]). */
function matParamAt(node: GraphNode, t: Tensor | undefined, shape: number[], rowWise: boolean, dflt: number, what: string): (i: number) => number {
  if (t && t.shape.length === 1 && t.data.length > 1 && rowWise) return paramAt(node, t, shape, -2, dflt, what);
  if (t && t.shape.length === 1 && t.data.length > 1) return paramAt(node, t, shape, -1, dflt, what);
  return paramAt(node, t, shape, 0, dflt, what);
}

/** Per-output-element multiplier of a QLinear op: row / column (MatMul) or channel (Conv) scales. */
type MultAt = (o: number) => number;

/** M = fl32(fl32(sa · sb) / sy), as onnxruntime computes the requantization scale. */
const multiplier = (sa: number, sb: number, sy: number): number => Math.fround(Math.fround(sa * sb) / sy);

/** saturate(rint(acc · M) + zp) for integer accumulators (the float reference, exact in bigints). */
function requantFloat(acc: Float64Array, mult: MultAt, zp: MultAt, range: [number, number]): Float64Array {
  return acc.map((a, o) => {
    const { m, e } = dyadic(mult(o));
    const y = Number(rintDyadic(BigInt(a), m, e)) + zp(o);
    return Math.min(range[1], Math.max(range[0], y));
  });
}

/** The integer lowering of requantization: exact rint (ties to even), then the clip to the type's range. */
function requantLower(ctx: LowerCtx, acc: QTensor, mult: MultAt, zp: MultAt, range: [number, number]): QTensor {
  const exprs = acc.exprs.map((e, o) => {
    const { m, e: ex } = dyadic(mult(o));
    const r: Lin = m === 0n ? linConst(0n) : ctx.b.roundHalfEven(e, m, -ex, ctx.node.name);
    return linAddScaled(linConst(BigInt(zp(o))), r, 1n);
  });
  return clipQ(ctx, { shape: acc.shape, scale: 0, exprs }, range[0], range[1]);
}

function rowColMult(node: GraphNode, outShape: number[], as: Tensor, bs: Tensor, ys: Tensor): MultAt {
  const N = outShape[outShape.length - 1] ?? 1;
  const M = outShape.length >= 2 ? outShape[outShape.length - 2]! : 1;
  const shape2 = [M, N];
  const aAt = as.data.length > 1 ? paramAt(node, { ...as, shape: [as.data.length, 1] }, shape2, 0, 1, 'a_scale') : () => as.data[0]!;
  const bAt = bs.data.length > 1 ? paramAt(node, { ...bs, shape: [bs.data.length] }, shape2, 1, 1, 'b_scale') : () => bs.data[0]!;
  if (ys.data.length !== 1) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): y_scale must be per-tensor (one value)`);
  return (o) => multiplier(aAt(o % (M * N)), bAt(o % (M * N)), ys.data[0]!);
}

/** The quantization parameters of a QLinearMatMul / MatMulInteger / QLinearConv / ConvInteger node. */
interface IntLinear {
  a: Value;
  b: Value;
  zpA: (i: number) => number;
  zpB: (i: number) => number;
}

/**
 * A zero point computed in the circuit (DynamicQuantizeLinear's y_zero_point feeding MatMulInteger / ConvInteger):
 * one integer, subtracted from every element as a linear combination (exact, no constraint).
 */
function minusSignalZp(node: GraphNode, v: Value, zp: Value | undefined, what: string): Value | undefined {
  if (zp?.kind !== 'q' || !node.op.endsWith('Integer')) return undefined;
  if (zp.t.exprs.length !== 1 || zp.t.scale !== 0) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} computed from the input must be one integer (per tensor), got shape [${zp.t.shape}] at scale 2^${zp.t.scale}`);
  const z = zp.t.exprs[0]!;
  const exprs = v.kind === 'q' ? v.t.exprs.map((e) => linAddScaled(linAddScaled(linConst(0n), e, 1n), z, -1n)) : Array.from(v.t.data, (x) => linAddScaled(linConst(BigInt(x)), z, -1n));
  return { kind: 'q', t: { shape: v.t.shape, scale: 0, exprs } };
}

function matmulInts(node: GraphNode, ins: (Value | undefined)[], ia: number, ib: number, iza: number, izb: number): IntLinear {
  const a0 = intOperand(node, ins[ia], ia);
  const b = intOperand(node, ins[ib], ib);
  const a = minusSignalZp(node, a0, ins[iza], 'a_zero_point');
  return {
    a: a ?? a0,
    b,
    zpA: a ? () => 0 : matParamAt(node, constOf(node, ins[iza], 'a_zero_point'), a0.t.shape, true, 0, 'a_zero_point'),
    zpB: matParamAt(node, constOf(node, ins[izb], 'b_zero_point'), b.t.shape, false, 0, 'b_zero_point'),
  };
}

function convInts(node: GraphNode, ins: (Value | undefined)[], ix: number, iw: number, izx: number, izw: number): IntLinear {
  const a0 = intOperand(node, ins[ix], ix);
  const b = intOperand(node, ins[iw], iw);
  const a = minusSignalZp(node, a0, ins[izx], 'x_zero_point');
  if (a) return { a, b, zpA: () => 0, zpB: paramAt(node, constOf(node, ins[izw], 'w_zero_point'), b.t.shape, 0, 0, 'w_zero_point') };
  const zx = constOf(node, ins[izx], 'x_zero_point');
  if (zx && zx.data.length !== 1) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): x_zero_point must be per-tensor (one value)`);
  return { a: a0, b, zpA: paramAt(node, zx, a0.t.shape, 1, 0, 'x_zero_point'), zpB: paramAt(node, constOf(node, ins[izw], 'w_zero_point'), b.t.shape, 0, 0, 'w_zero_point') };
}

const asTensor = (v: Value): Tensor => v.t as Tensor;
const constTensors = (ins: (Tensor | undefined)[]): (Value | undefined)[] => ins.map((t) => (t ? { kind: 'const', t } : undefined));

/** The exact integer accumulator of a MatMul (float reference: exact in doubles below 2^53). */
function matmulAccFloat(node: GraphNode, l: IntLinear): Tensor {
  return matmulFloat(node, asTensor(minusZp(l.a, l.zpA)), asTensor(minusZp(l.b, l.zpB)));
}

function matmulAccLower(ctx: LowerCtx, l: IntLinear): QTensor {
  return matmulLower(ctx, minusZp(l.a, l.zpA), minusZp(l.b, l.zpB), 1, 0);
}

function convAccFloat(node: GraphNode, l: IntLinear): Tensor {
  return convFloat(node, asTensor(minusZp(l.a, l.zpA)), asTensor(minusZp(l.b, l.zpB)));
}

function convAccLower(ctx: LowerCtx, l: IntLinear): QTensor {
  const p = convPlan(ctx.node, l.a.t.shape, l.b.t.shape);
  return convLower(ctx, p, minusZp(l.a, l.zpA), minusZp(l.b, l.zpB), 0);
}

export const MatMulInteger: OpDef = {
  onnx: ['MatMulInteger'],
  float: (node, ins) => [{ ...matmulAccFloat(node, matmulInts(node, constTensors(ins), 0, 1, 2, 3)), dtype: 'int32' }],
  lower: (ctx, ins) => [matmulAccLower(ctx, matmulInts(ctx.node, ins, 0, 1, 2, 3))],
};

export const ConvInteger: OpDef = {
  onnx: ['ConvInteger'],
  float: (node, ins) => [{ ...convAccFloat(node, convInts(node, constTensors(ins), 0, 1, 2, 3)), dtype: 'int32' }],
  lower: (ctx, ins) => [convAccLower(ctx, convInts(ctx.node, ins, 0, 1, 2, 3))],
};

/** QLinearMatMul's scales and output type (inputs: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp). */
function qmatmulParams(node: GraphNode, ins: (Value | undefined)[], outShape: number[]) {
  const scale = (i: number, what: string) => requireInput(constOf(node, ins[i], what), i, node);
  const [as, bs, ys] = [scale(1, 'a_scale'), scale(4, 'b_scale'), scale(6, 'y_scale')];
  const yzp = constOf(node, ins[7], 'y_zero_point');
  if (yzp && yzp.data.length !== 1) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): y_zero_point must be per-tensor (one value)`);
  return { mult: rowColMult(node, outShape, as, bs, ys), zp: () => yzp?.data[0] ?? 0, range: outRange(node, yzp) };
}

export const QLinearMatMul: OpDef = {
  onnx: ['QLinearMatMul'],
  float(node, ins) {
    const acc = matmulAccFloat(node, matmulInts(node, constTensors(ins), 0, 3, 2, 5));
    const q = qmatmulParams(node, constTensors(ins), acc.shape);
    return [{ shape: acc.shape, data: requantFloat(acc.data, q.mult, q.zp, q.range) }];
  },
  lower(ctx, ins) {
    const acc = matmulAccLower(ctx, matmulInts(ctx.node, ins, 0, 3, 2, 5));
    const q = qmatmulParams(ctx.node, ins, acc.shape);
    return [requantLower(ctx, acc, q.mult, q.zp, q.range)];
  },
};

/** QLinearConv's scales, bias and output type (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B). */
function qconvParams(node: GraphNode, ins: (Value | undefined)[], xShape: number[], wShape: number[]) {
  const xs = requireInput(constOf(node, ins[1], 'x_scale'), 1, node);
  const ws = requireInput(constOf(node, ins[4], 'w_scale'), 4, node);
  const ys = requireInput(constOf(node, ins[6], 'y_scale'), 6, node);
  const yzp = constOf(node, ins[7], 'y_zero_point');
  for (const [t, what] of [[xs, 'x_scale'], [ys, 'y_scale'], [yzp, 'y_zero_point']] as const) {
    if (t && t.data.length !== 1) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} must be per-tensor (one value)`);
  }
  const p = convPlan(node, xShape, wShape);
  const M = wShape[0]!;
  if (ws.data.length !== 1 && ws.data.length !== M) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): w_scale has ${ws.data.length} values for ${M} output channels`);
  const wsAt = (c: number) => ws.data[ws.data.length === 1 ? 0 : c]!;
  const mult: MultAt = (o) => multiplier(xs.data[0]!, wsAt(channelOfOutput(p, o)), ys.data[0]!);
  return { p, mult, zp: () => yzp?.data[0] ?? 0, range: outRange(node, yzp), bias: ins[8] };
}

export const QLinearConv: OpDef = {
  onnx: ['QLinearConv'],
  float(node, ins0) {
    const ins = constTensors(ins0);
    const acc = convAccFloat(node, convInts(node, ins, 0, 3, 2, 5));
    const q = qconvParams(node, ins, ins0[0]!.shape, ins0[3]!.shape);
    const b = q.bias ? asTensor(intOperand(node, q.bias, 8)) : undefined;
    const data = b ? acc.data.map((v, o) => v + b.data[channelOfOutput(q.p, o)]!) : acc.data;
    return [{ shape: acc.shape, data: requantFloat(data, q.mult, q.zp, q.range) }];
  },
  lower(ctx, ins) {
    const l = convInts(ctx.node, ins, 0, 3, 2, 5);
    const acc = convAccLower(ctx, l);
    const q = qconvParams(ctx.node, ins, l.a.t.shape, l.b.t.shape);
    if (q.bias) {
      const b = intOperand(ctx.node, q.bias, 8);
      acc.exprs = acc.exprs.map((e, o) => {
        const c = channelOfOutput(q.p, o);
        return b.kind === 'const' ? linAddScaled(linConst(BigInt(b.t.data[c]!)), e, 1n) : linAddScaled(linAddScaled(linConst(0n), e, 1n), b.t.exprs[c]!, 1n);
      });
    }
    return [requantLower(ctx, acc, q.mult, q.zp, q.range)];
  },
};

/** QuantizeLinear / DequantizeLinear parameters: per-tensor or along `axis` (default 1). */
function qParams(node: GraphNode, ins: (Value | undefined)[], shape: number[]) {
  const axis = attrNum(node, 'axis', 1);
  const block = attrNum(node, 'block_size', 0);
  const st = requireInput(constOf(node, ins[1], 'scale'), 1, node);
  const zt = constOf(node, ins[2], 'zero_point');
  const at = (t: Tensor | undefined, dflt: number, what: string) => (block > 0 ? blockedAt(node, t, shape, axis, block, dflt, what) : paramAt(node, t, shape, axis, dflt, what));
  return { scale: at(st, 1, 'scale'), zp: at(zt, 0, 'zero_point'), zt };
}

/** rint(x / y) for doubles, exactly (x / y is a ratio of dyadic rationals), ties to even. */
export function rintRatio(x: number, y: number): number {
  if (!Number.isFinite(x)) return x > 0 ? Infinity : -Infinity; // saturates
  const a = dyadic(x);
  const b = dyadic(y);
  // x / y = (ma / mb) · 2^(ea − eb)
  const e = a.e - b.e;
  let num = a.m * (e > 0 ? 1n << BigInt(e) : 1n);
  let den = b.m * (e < 0 ? 1n << BigInt(-e) : 1n);
  if (den < 0n) (num = -num), (den = -den);
  const q = num >= 0n ? num / den : -((-num + den - 1n) / den); // floor
  const r2 = 2n * (num - q * den);
  return Number(r2 > den || (r2 === den && q % 2n !== 0n) ? q + 1n : q);
}

/** rint(x) with ties to even, for doubles. */
export function rintF(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

export const QuantizeLinear: OpDef = {
  onnx: ['QuantizeLinear'],
  float(node, ins0) {
    const x = requireInput(ins0[0], 0, node);
    const q = qParams(node, constTensors(ins0), x.shape);
    const range = outRange(node, q.zt);
    return [{ shape: x.shape, data: x.data.map((v, i) => Math.min(range[1], Math.max(range[0], rintRatio(v, Math.fround(q.scale(i))) + q.zp(i)))) }];
  },
  lower(ctx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new Error('unreachable: constant QuantizeLinear is folded');
    const q = qParams(ctx.node, ins, x.t.shape);
    const range = outRange(ctx.node, q.zt);
    const exprs = x.t.exprs.map((e, i) => {
      // x / scale = x_int · 2^−s / (m · 2^e): a shift when m = 1, else an exact division by the odd m
      const { m, e: ex } = dyadic(Math.fround(q.scale(i)));
      if (m <= 0n) throw new UnsupportedOpError(`node '${ctx.node.name}' (QuantizeLinear): scale ${q.scale(i)} must be positive`);
      const k = x.t.scale + ex;
      const r = m === 1n ? ctx.b.roundHalfEven(e, 1n, k, ctx.node.name) : ctx.b.roundDivHalfEven(e, m, k, ctx.node.name);
      return linAddScaled(linConst(BigInt(q.zp(i))), r, 1n);
    });
    return [clipQ(ctx, { shape: x.t.shape, scale: 0, exprs }, range[0], range[1])];
  },
};

export const DequantizeLinear: OpDef = {
  onnx: ['DequantizeLinear'],
  float(node, ins0) {
    const x = requireInput(ins0[0], 0, node);
    const q = qParams(node, constTensors(ins0), x.shape);
    return [{ shape: x.shape, data: x.data.map((v, i) => (v - q.zp(i)) * Math.fround(q.scale(i))) }];
  },
  lower(ctx, ins) {
    const x = intOperand(ctx.node, ins[0], 0);
    if (x.kind !== 'q') throw new Error('unreachable: constant DequantizeLinear is folded');
    const q = qParams(ctx.node, ins, x.t.shape);
    const d = x.t.exprs.map((_, i) => dyadic(Math.fround(q.scale(i))));
    // one common scale S for the tensor: (x − zp) · m · 2^(S + e) at scale S, exact
    const S = Math.max(0, ...d.map((v) => (v.m === 0n ? 0 : -v.e)));
    const exprs = (minusZp(x, q.zp).t as QTensor).exprs;
    return [{ shape: x.t.shape, scale: S, exprs: exprs.map((e, i) => linAddScaled(linConst(0n), e, d[i]!.m << BigInt(S + d[i]!.e))) }];
  },
};
