/**
 * Erf and Gelu from the primitives, with Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5·10^−7 in float):
 *   erf(|x|) = 1 − (a1·t + a2·t² + a3·t³ + a4·t⁴ + a5·t⁵)·e^(−x²),  t = 1 / (1 + p·|x|)
 * At a working scale W = S + 6: |x| by one sign decomposition, one select and a ReLU (for its non-negative
 * bound); t by one DivFloor (rounded);
 * the polynomial in Horner form (one product + one rescale per degree); x² one product (its bound is
 * non-negative) and e^(−x²) the exp gadget of ./exp.ts; then one product, a rescale to S and the sign back
 * (one select). About 5·(W + 4) + 300 constraints per element at S = 12.
 * Gelu (opset 20): 0.5·x·(1 + erf(x/√2)), one more product; approximate = "tanh" uses Tanh's lowering on
 * √(2/π)·(x + 0.044715·x³) (two products).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst, linIsConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { expLin, Tanh } from './exp.js';
import { leConst } from './compare.js';

const P = 0.3275911;
const A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

/** erf as in A&S 7.1.26 (float reference: Math has no erf). */
export function erfF(x: number): number {
  const a = Math.abs(x);
  const t = 1 / (1 + P * a);
  const poly = t * (A[0]! + t * (A[1]! + t * (A[2]! + t * (A[3]! + t * A[4]!))));
  return Math.sign(x) * (1 - poly * Math.exp(-a * a));
}

const pow2 = (n: number) => 1n << BigInt(n);
const round = (ctx: LowerCtx, e: Lin, k: number): Lin => (k <= 0 ? e : ctx.b.rescale(linAddScaled(linConst(pow2(k - 1)), e, 1n), k, false, ctx.node.name));

/** erf of each element of x (at scale S after requant): a tensor at scale S. */
function erfQ(ctx: LowerCtx, x0: QTensor): QTensor {
  const x = ctx.requant(x0, false);
  const S = x.scale;
  const W = Math.max(ctx.scale, S) + 6;
  const b = ctx.b;
  const name = ctx.node.name;
  const P16 = BigInt(Math.round(P * 2 ** 16));
  const cs = A.map((a) => BigInt(Math.round(a * 2 ** W)));
  const exprs = x.exprs.map((e) => {
    const neg = leConst(ctx, e, -1n); // [x < 0]
    const minus = linScale(e, -1n);
    // |x| at scale S; the ReLU (identity on it) gives the bound [0, max] the divisor below needs
    const a = b.rescale(b.select(neg, minus, e, name), 0, true, name);
    // t = 2^(W+S+16) / (2^(S+16) + P16·a), rounded: ⌊(2·2^(W+S+16) + den) / (2·den)⌋, in [0, 2^W]
    const den = linAddScaled(linConst(pow2(S + 16)), a, P16);
    const t = b.div(linAddScaled(linConst(2n * pow2(W + S + 16)), den, 1n), linScale(den, 2n), name, [0n, pow2(W)]);
    let acc: Lin = linConst(cs[4]!);
    for (let k = 3; k >= 0; k--) acc = linAddScaled(linConst(cs[k]!), round(ctx, linIsConst(acc) ? linScale(t, acc.c) : b.mul(acc, t, name), W), 1n);
    const poly = round(ctx, b.mul(acc, t, name), W); // at scale W
    const x2 = b.mul(e, e, name); // at scale 2S, ≥ 0
    const E = expLin(ctx, x2, 2 * S, { k: -1, A: W + 3, B: 0, upperByConstruction: true, sw: W }); // e^(−x²) at scale 2W + 3
    const pe = round(ctx, b.mul(poly, E, name), 2 * W + 3 + W - S); // poly·E at scale S
    const y = linAddScaled(linConst(pow2(S)), pe, -1n); // erf(|x|) at scale S
    return b.select(neg, linScale(y, -1n), y, name);
  });
  return { shape: x.shape, scale: S, exprs };
}

const asQ = (node: GraphNode, v: Value | undefined): QTensor => {
  const x = requireInput(v, 0, node);
  if (x.kind !== 'q') throw new Error(`unreachable: constant ${node.op} is folded`);
  return x.t;
};
const tanhApprox = (node: GraphNode) => node.attrs.approximate === 'tanh';
const geluF = (node: GraphNode, v: number) =>
  tanhApprox(node) ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))) : 0.5 * v * (1 + erfF(v / Math.SQRT2));

export const Erf: OpDef = {
  onnx: ['Erf'],
  float: (node, [x]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map(erfF) } satisfies Tensor];
  },
  lower: (ctx, [x]) => [erfQ(ctx, asQ(ctx.node, x))],
};

export const Gelu: OpDef = {
  onnx: ['Gelu'],
  float: (node, [x]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => geluF(node, v)) }];
  },
  lower(ctx, [x0]) {
    const x = ctx.requant(asQ(ctx.node, x0), false);
    const S = x.scale;
    const k = BigInt(Math.round(2 ** 16 / Math.SQRT2));
    let inner: QTensor;
    if (tanhApprox(ctx.node)) {
      // √(2/π)·(x + 0.044715·x³): x³ by two products, constants at scale 16
      const c3 = BigInt(Math.round(0.044715 * 2 ** 16));
      const c1 = BigInt(Math.round(Math.sqrt(2 / Math.PI) * 2 ** 16));
      const exprs = x.exprs.map((e) => {
        const x3 = round(ctx, ctx.b.mul(round(ctx, ctx.b.mul(e, e, ctx.node.name), S), e, ctx.node.name), S); // at S
        return linScale(linAddScaled(linScale(e, pow2(16)), x3, c3), c1); // at S + 32
      });
      inner = Tanh.lower({ ...ctx, node: { ...ctx.node, op: 'Tanh', attrs: {} } }, [{ kind: 'q', t: { shape: x.shape, scale: S + 32, exprs } }])[0]!;
    } else {
      inner = erfQ(ctx, { shape: x.shape, scale: S + 16, exprs: x.exprs.map((e) => linScale(e, k)) });
    }
    // 0.5·x·(1 + inner): one product
    const one = pow2(inner.scale);
    const exprs = x.exprs.map((e, i) => ctx.b.mul(e, linAddScaled(linConst(one), inner.exprs[i]!, 1n), ctx.node.name));
    return [{ shape: x.shape, scale: S + inner.scale + 1, exprs }];
  },
};
