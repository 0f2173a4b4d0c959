/**
 * Pow and Exp.
 * - Pow(x, n) for a constant integer exponent n ≥ 0: n − 1 products, each factor rescaled to the activation
 *   scale first (one decomposition where it is above it); n = 0 is the constant 1; x^0.5 is Sqrt
 *   (./sqrt.ts). Other exponents (negative, fractional, or a signal exponent) are refused with a hint.
 * - Log (clamped domain): x below 2^−s (s its scale) is taken as 2^−s (one ReLU where the bound allows it). With
 *   X = x·2^s ≥ 1 of width w: its bits (w + 1), the leading-one position n from a prefix OR over them (w − 1
 *   products), the mantissa X·2^(w−1−n) ∈ [2^(w−1), 2^w) by ONE product (the shift is linear in the one-hot
 *   leading bit), f = mantissa/2^(w−1) − 1 from its w − 1 bits (which also bound it) truncated to W = S + 4
 *   bits, log2(1 + f) a Chebyshev
 *   polynomial (Horner, one product + one rescale per degree), ln x = ln 2·(n − s + log2(1 + f)).
 *   Error ≈ 2^−(S+2) absolute, plus the clamp.
 * - Exp: the exp gadget of ./exp.ts, e^x = 2^(x·log2 e), with the exponent clamped to [−(S + 3), B] where
 *   B covers the proven bound of x (at most 60): below e^−(S+3)·… the result is 0 to the output precision;
 *   the output is at scale (S + 4) + (S + 3), relative precision about 2^−(S+4).
 */
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor } from './types.js';
import { mapFloat, requireInput } from './util.js';
import { binaryFloat } from './elementwise.js';
import { Sqrt } from './sqrt.js';
import { expLin, polyDegree } from './exp.js';
import { linAddScaled, linConst, linIsConst, linScale } from '../quantize/lin.js';
import { bitLength } from '../quantize/program.js';
import { UnsupportedOpError } from '../errors.js';

export const Pow: OpDef = {
  onnx: ['Pow'],
  float: (node, [a, b]) => [binaryFloat(node, requireInput(a, 0, node), requireInput(b, 1, node), Math.pow)],
  lower(ctx, [x0, e0]) {
    const node = ctx.node;
    const x = requireInput(x0, 0, node);
    const e = requireInput(e0, 1, node);
    if (x.kind !== 'q' || e.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (Pow): only a signal base with a constant exponent is supported`, { hint: 'a signal exponent has no fixed-point lowering; use Exp/Log explicitly' });
    const n = e.t.data[0]!;
    if (e.t.data.some((v) => v !== n)) throw new UnsupportedOpError(`node '${node.name}' (Pow): the exponent must be one value`);
    if (n === 0.5) return Sqrt.lower(ctx, [x]);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new UnsupportedOpError(`node '${node.name}' (Pow): exponent ${n} is not supported`, { hint: 'integer exponents 0..64 and 0.5 (square root) are supported' });
    if (n === 0) return [{ shape: x.t.shape, scale: 0, exprs: x.t.exprs.map((): Lin => ({ terms: new Map(), c: 1n })) }];
    const base = ctx.requant(x.t, false);
    let acc: QTensor = base;
    for (let k = 1; k < n; k++) {
      const a = ctx.requant(acc, false);
      acc = { shape: a.shape, scale: a.scale + base.scale, exprs: a.exprs.map((v, i) => ctx.b.mul(v, base.exprs[i]!, node.name)) };
    }
    return [n === 1 ? x.t : acc];
  },
};

export const Exp: OpDef = {
  onnx: ['Exp'],
  float: mapFloat(Math.exp),
  lower(ctx, [x0]) {
    const v = requireInput(x0, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Exp is folded');
    const S = ctx.scale;
    const sw = S + 4;
    const A = S + 3;
    let hi = 0;
    for (const e of v.t.exprs) hi = Math.max(hi, Number(ctx.b.bounds(e)[1]) / 2 ** v.t.scale);
    const B = Math.min(60, Math.ceil(hi * Math.LOG2E) + 1);
    return [{ shape: v.t.shape, scale: sw + A, exprs: v.t.exprs.map((e) => expLin(ctx, e, v.t.scale, { k: 1, A, B, sw })) }];
  },
};

const LOG2_1P = (f: number) => Math.log2(1 + f);

export const Log: OpDef = {
  onnx: ['Log'],
  float: mapFloat(Math.log),
  lower(ctx, [x0]) {
    const v = requireInput(x0, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Log is folded');
    const b = ctx.b;
    const name = ctx.node.name;
    const x = ctx.requant(v.t, false);
    const W = ctx.scale + 4;
    const { coefs } = polyDegree(W + 1, LOG2_1P);
    const cs = coefs.map((c) => BigInt(Math.round(c * 2 ** W)));
    const ln2 = BigInt(Math.round(Math.LN2 * 2 ** 16));
    const exprs = x.exprs.map((e0) => {
      let e = e0;
      if (b.bounds(e)[0] < 1n) e = linAddScaled(linConst(1n), b.rescale(linAddScaled(linConst(-1n), e, 1n), 0, true, name), 1n);
      const w = Math.max(1, bitLength(b.bounds(e)[1]));
      const bits = b.bits(e, w, name);
      const t: Lin[] = new Array(w + 1);
      t[w] = linConst(0n);
      t[w - 1] = bits[w - 1]!;
      for (let i = w - 2; i >= 0; i--) {
        const both = b.mul(t[i + 1]!, bits[i]!, name); // t_i = t_(i+1) OR bit_i
        t[i] = linAddScaled(linAddScaled(linAddScaled(linConst(0n), t[i + 1]!, 1n), bits[i]!, 1n), both, -1n);
      }
      const n = linConst(0n);
      const P = linConst(0n);
      for (let i = 0; i < w; i++) {
        const h = linAddScaled(linAddScaled(linConst(0n), t[i]!, 1n), t[i + 1]!, -1n);
        linAddScaled(n, h, BigInt(i));
        linAddScaled(P, h, 1n << BigInt(w - 1 - i));
      }
      const m = b.mul(e, P, name); // X·2^(w−1−n) ∈ [2^(w−1), 2^w)
      const frac = linAddScaled(linConst(-(1n << BigInt(w - 1))), m, 1n); // f at scale w − 1
      // its w − 1 bits (the decomposition also proves 2^(w−1) ≤ m < 2^w, so every later bound is tight), the top W as f
      const f = linConst(0n);
      if (w > 1) b.bits(frac, w - 1, name, true).forEach((bit, i) => {
        const sh = i - (w - 1 - W);
        if (sh >= 0) linAddScaled(f, bit, 1n << BigInt(sh));
      });
      let acc: Lin = linConst(cs[cs.length - 1]!);
      for (let k = cs.length - 2; k >= 0; k--) {
        const prod = linIsConst(acc) ? linScale(f, acc.c) : b.mul(acc, f, name);
        acc = linAddScaled(linConst(cs[k]!), b.rescale(linAddScaled(linConst(1n << BigInt(W - 1)), prod, 1n), W, false, name), 1n);
      }
      // log2 x = n − s + log2(1 + f), at scale W; times ln 2 at scale 16
      const l2 = linAddScaled(linAddScaled(linConst(-BigInt(x.scale) << BigInt(W)), n, 1n << BigInt(W)), acc, 1n);
      return linScale(l2, ln2);
    });
    return [{ shape: x.shape, scale: W + 16, exprs }];
  },
};
