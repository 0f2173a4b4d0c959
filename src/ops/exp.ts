/**
 * Exponential-family activations — Sigmoid, Tanh, Softmax — from one exp gadget built on the primitives:
 *
 *   e^x = 2^u with u = x·log2(e). One bit decomposition of u + A (u clamped to [−A, B] first) gives
 *   u + A = n + f with integer n (the high bits) and fraction f ∈ [0, 1) (the low bits: a free linear
 *   combination, truncated to the working scale for free). 2^f is a Chebyshev-interpolated polynomial of
 *   degree d (chosen so its error is below the working precision) in Horner form — one product and one
 *   rescale per degree — and 2^n is a product over n's bits of (b ? 2^(2^j) : 1), one `select` per bit.
 *   The result 2^f·2^n at scale Sw is e^x at scale Sw + A: a relative precision of about d·2^−Sw over
 *   the whole clamped domain, like a float.
 *
 * - Sigmoid(x) = 1 / (1 + e^−x), Tanh(x) = (1 − e^−2x) / (1 + e^−2x): one exp and one DivFloor (rounded
 *   half up) per element; the domain is clamped where the function is within 2^−(S+2) of ±1.
 * - Softmax: e^(x − c) / Σ e^(x − c) with one DivFloor per element. c is the proven upper bound of the row
 *   when the row's range is narrow (no comparisons at all), else max(x) by a Max2 tree.
 * Output scale: the activation scale S. Working scale Sw = S + 4.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst, linIsConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import { bitLength } from '../quantize/program.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { ShapeError } from '../errors.js';

const LOG2E = Math.LOG2E;
/** Working bits above the output scale. */
const GUARD = 4;

const pow2 = (n: number): bigint => 1n << BigInt(n);
const lin = (c: bigint, ...xs: [Lin, bigint][]): Lin => xs.reduce((acc, [e, k]) => linAddScaled(acc, e, k), linConst(c));

/** Monomial coefficients (low → high) of the Chebyshev interpolant of fn on [0, 1] of degree d. */
function chebPoly(d: number, fn: (x: number) => number): number[] {
  const xs = Array.from({ length: d + 1 }, (_, j) => (1 + Math.cos(((2 * j + 1) * Math.PI) / (2 * (d + 1)))) / 2);
  const a = xs.map((x) => [...Array.from({ length: d + 1 }, (_, k) => x ** k), fn(x)]);
  for (let c = 0; c <= d; c++) {
    let piv = c;
    for (let r = c + 1; r <= d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    for (let r = 0; r <= d; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= d + 1; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => row[d + 1]! / row[i]!);
}

/** Smallest degree whose interpolant of fn on [0, 1] is within 2^−(bits) (float64 evaluation). */
export function polyDegree(bits: number, fn: (x: number) => number): { degree: number; coefs: number[] } {
  for (let d = 1; d < 14; d++) {
    const c = chebPoly(d, fn);
    let err = 0;
    for (let i = 0; i <= 512; i++) {
      const f = i / 512;
      err = Math.max(err, Math.abs(c.reduceRight((acc, k) => acc * f + k, 0) - fn(f)));
    }
    if (err <= 2 ** -bits) return { degree: d, coefs: c };
  }
  return { degree: 14, coefs: chebPoly(14, fn) };
}

/** Smallest degree whose interpolant of 2^f on [0, 1] is within 2^−(bits). */
export const exp2Degree = (bits: number): { degree: number; coefs: number[] } => polyDegree(bits, (x) => 2 ** x);

export interface ExpOptions {
  /** e^(k·x) */
  k: number;
  /** Clamp u = k·x·log2(e) to [−A, B] (integers). */
  A: number;
  B: number;
  /** The caller guarantees u ≤ B for honest witnesses (the decomposition enforces it); no upper clamp. */
  upperByConstruction?: boolean;
  /** Working scale (bits). */
  sw: number;
}

/**
 * e^(k·x) for x a linear combination at scale sx: a linear combination at scale sw + A.
 * Cost: (A, B clamps where the bound exceeds them: width of u + 2 each) + (width of u + 1) for the
 * decomposition + d·(2·sw + 4) for the polynomial + ⌈log2(A + B + 1)⌉ selects.
 */
export function expLin(ctx: LowerCtx, x: Lin, sx: number, o: ExpOptions): Lin {
  const b = ctx.b;
  const name = ctx.node.name;
  const p = o.sw + 8;
  const su = sx + p;
  const C = BigInt(Math.round(o.k * LOG2E * 2 ** p));
  let u = linScale(x, C);
  const uLo = -BigInt(o.A) * pow2(su);
  const uHi = BigInt(o.B) * pow2(su);
  if (b.bounds(u)[0] < uLo) u = lin(uLo, [b.rescale(lin(-uLo, [u, 1n]), 0, true, name), 1n]);
  if (!o.upperByConstruction && b.bounds(u)[1] > uHi) u = lin(uHi, [b.rescale(lin(uHi, [u, -1n]), 0, true, name), -1n]);
  const nb = Math.max(1, bitLength(BigInt(o.A + o.B)));
  const bits = b.bits(lin(-uLo, [u, 1n]), su + nb, name, o.upperByConstruction);
  // fraction at the working scale: the top `sw` fractional bits (truncation toward −∞, free)
  const f = linConst(0n);
  for (let i = 0; i < su; i++) {
    const sh = i - (su - o.sw);
    if (sh >= 0) linAddScaled(f, bits[i]!, pow2(sh));
  }
  const { coefs } = exp2Degree(o.sw + 1);
  const cs = coefs.map((c) => BigInt(Math.round(c * 2 ** o.sw)));
  let acc: Lin = linConst(cs[cs.length - 1]!);
  const half = pow2(o.sw - 1);
  for (let k = cs.length - 2; k >= 0; k--) {
    const prod = linIsConst(acc) ? linScale(f, acc.c) : b.mul(acc, f, name);
    acc = lin(cs[k]!, [b.rescale(lin(half, [prod, 1n]), o.sw, false, name), 1n]);
  }
  for (let j = 0; j < nb; j++) {
    const n = bits[su + j]!;
    acc = b.select(n, linScale(acc, pow2(2 ** j)), acc, name);
  }
  return acc;
}

const asQ = (node: GraphNode, v: Value | undefined): QTensor => {
  const x = requireInput(v, 0, node);
  if (x.kind !== 'q') throw new Error(`unreachable: constant ${node.op} is folded`);
  return x.t;
};

/** round(2^S·(a·one + c·E) / (one + E)) through DivFloor: num = 2^(S+1)·(a·one + c·E) + one + E, den = 2·(one + E). */
function ratio(ctx: LowerCtx, one: bigint, E: Lin, a: bigint, c: bigint, S: number): Lin {
  const den = lin(one, [E, 1n]);
  const num = lin(pow2(S + 1) * a * one + one, [E, pow2(S + 1) * c + 1n]);
  // with E ≥ 0 the ratio lies between min(a, c) and max(a, c): the quotient needs only S + 1 bits
  const q: [bigint, bigint] | undefined = ctx.b.bounds(E)[0] >= 0n ? [pow2(S) * (a < c ? a : c), pow2(S) * (a > c ? a : c)] : undefined;
  return ctx.b.div(num, linScale(den, 2n), ctx.node.name, q);
}

function sigmoidLike(ctx: LowerCtx, x: QTensor, tanh: boolean): QTensor {
  const S = ctx.scale;
  const sw = S + GUARD;
  const L = S + 3; // 2^−L below the output precision
  const exprs = x.exprs.map((e) => {
    const E = expLin(ctx, e, x.scale, { k: tanh ? -2 : -1, A: L, B: L, sw });
    const one = pow2(sw + L);
    return tanh ? ratio(ctx, one, E, 1n, -1n, S) : ratio(ctx, one, E, 1n, 0n, S);
  });
  return { shape: x.shape, scale: S, exprs };
}

const mapFloat = (node: GraphNode, x: Tensor | undefined, f: (v: number) => number): Tensor[] => {
  const t = requireInput(x, 0, node);
  return [{ shape: t.shape, data: t.data.map(f) }];
};

export const Sigmoid: OpDef = {
  onnx: ['Sigmoid'],
  float: (node, [x]) => mapFloat(node, x, (v) => 1 / (1 + Math.exp(-v))),
  lower: (ctx, [x]) => [sigmoidLike(ctx, asQ(ctx.node, x), false)],
};

export const Tanh: OpDef = {
  onnx: ['Tanh'],
  float: (node, [x]) => mapFloat(node, x, Math.tanh),
  lower: (ctx, [x]) => [sigmoidLike(ctx, asQ(ctx.node, x), true)],
};

/** Rows of a softmax: for each row, the flat indices of its elements. */
function softmaxRows(node: GraphNode, shape: number[]): number[][] {
  const r = shape.length;
  const legacy = node.attrs.coerce_2d === 1;
  const a0 = typeof node.attrs.axis === 'number' ? node.attrs.axis : legacy ? 1 : -1;
  const axis = a0 < 0 ? a0 + r : a0;
  if (r === 0) return [[0]];
  if (axis < 0 || axis >= r) throw new ShapeError(`node '${node.name}' (${node.op}): axis ${a0} out of range for rank ${r}`);
  if (legacy) {
    const cols = sizeOf(shape.slice(axis));
    const rows = sizeOf(shape.slice(0, axis));
    return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => i * cols + j));
  }
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) rows.push(Array.from({ length: n }, (_, k) => (o * n + k) * inner + i));
  return rows;
}

/** Above this dynamic range of a row (in powers of two), subtract the row's max instead of its bound. */
const CONST_OFFSET_MAX_RANGE = 40;

export const Softmax: OpDef = {
  onnx: ['Softmax'],
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    const out = new Float64Array(x.data.length);
    for (const row of softmaxRows(node, x.shape)) {
      const m = Math.max(...row.map((i) => x.data[i]!));
      const e = row.map((i) => Math.exp(x.data[i]! - m));
      const s = e.reduce((a, v) => a + v, 0);
      row.forEach((i, k) => (out[i] = e[k]! / s));
    }
    return [{ shape: x.shape, data: out }];
  },
  lower(ctx, [x0]) {
    const x = asQ(ctx.node, x0);
    const S = ctx.scale;
    const sw = S + GUARD;
    const b = ctx.b;
    const exprs: Lin[] = new Array(x.exprs.length);
    for (const row of softmaxRows(ctx.node, x.shape)) {
      const xs = row.map((i) => x.exprs[i]!);
      let lo = 0n;
      let hi = 0n;
      xs.forEach((e, k) => {
        const [l, h] = b.bounds(e);
        if (k === 0 || l < lo) lo = l;
        if (k === 0 || h > hi) hi = h;
      });
      const rangeLog2 = Math.ceil((Number(hi - lo) / 2 ** x.scale) * LOG2E) + 1;
      let es: Lin[];
      let A: number;
      if (rangeLog2 <= CONST_OFFSET_MAX_RANGE) {
        // x − hi ≤ 0 is proven: no comparisons; the whole range fits the exp's domain
        A = rangeLog2;
        es = xs.map((e) => expLin(ctx, lin(-hi, [e, 1n]), x.scale, { k: 1, A, B: 0, sw }));
      } else {
        const m = b.maxOf(xs, ctx.node.name);
        A = S + 3;
        es = xs.map((e) => expLin(ctx, lin(0n, [e, 1n], [m, -1n]), x.scale, { k: 1, A, B: 0, upperByConstruction: true, sw }));
      }
      const sum = es.reduce((acc, e) => linAddScaled(acc, e, 1n), linConst(0n));
      const nonNeg = es.every((e) => b.bounds(e)[0] >= 0n);
      es.forEach((e, k) => {
        exprs[row[k]!] = b.div(lin(0n, [e, pow2(S + 1)], [sum, 1n]), linScale(sum, 2n), ctx.node.name, nonNeg ? [0n, pow2(S)] : undefined);
      });
    }
    return [{ shape: x.shape, scale: S, exprs }];
  },
};
