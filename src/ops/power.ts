/**
 * Pow and Exp.
 * - Pow(x, n) for a constant integer exponent n ≥ 0: n − 1 products, each factor rescaled to the activation
 *   scale first (one decomposition where it is above it); n = 0 is the constant 1; x^0.5 is Sqrt
 *   (./sqrt.ts). Other exponents (negative, fractional, or a signal exponent) are refused with a hint.
 * - Exp: the exp gadget of ./exp.ts, e^x = 2^(x·log2 e), with the exponent clamped to [−(S + 3), B] where
 *   B covers the proven bound of x (at most 60): below e^−(S+3)·… the result is 0 to the output precision;
 *   the output is at scale (S + 4) + (S + 3), relative precision about 2^−(S+4).
 */
import type { Tensor } from '../ir/graph.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor } from './types.js';
import { requireInput } from './util.js';
import { binaryFloat } from './elementwise.js';
import { Sqrt } from './sqrt.js';
import { expLin } from './exp.js';
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
  float: (node, [x]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map(Math.exp) } satisfies Tensor];
  },
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
