/**
 * Erf and Gelu from the primitives. Float reference: Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5·10^−7).
 * Integer: erf(|x|) as a piecewise polynomial over 2^k segments of [0, 2^c) (saturating to 1 beyond), the
 * segment read from the bits of |x| — about 3m + 60 constraints per element at S = 12 (m = the width of x's
 * bound), against ≈ 750 for A&S 7.1.26 built on a division and the exp gadget (see erfQ).
 * Gelu (opset 20): 0.5·x·(1 + erf(x/√2)), one more product; approximate = "tanh" uses Tanh's lowering on
 * √(2/π)·(x + 0.044715·x³) (two products).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst, linIsConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { polyDegree, Tanh } from './exp.js';
import { choose } from './compare.js';
import { bitLength } from '../quantize/program.js';

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

/** Segments and degree of the piecewise polynomial for output scale S (chosen once per scale). */
interface ErfPlan {
  /** erf(|x|) is taken as 1 for |x| ≥ 2^c (1 − erf(2^c) < 2^-(S+3)). */
  c: number;
  /** 2^k segments of [0, 2^c), selected by the k bits of |x| below bit S + c. */
  k: number;
  degree: number;
  /** Per segment, monomial coefficients (low → high) of the polynomial in the local coordinate u ∈ [0, 1). */
  coefs: number[][];
}

const plans = new Map<number, ErfPlan>();

/**
 * The cheapest (segments, degree) whose per-segment Chebyshev interpolant is within 2^-(S+3) of erf:
 * cost = one-hot products (2^k − 2) + degree products + the final rescale's width (W + degree·(S + c − k)).
 */
export function erfPlan(S: number): ErfPlan {
  const hit = plans.get(S);
  if (hit) return hit;
  let c = 1;
  while (1 - erfF(2 ** c) >= 2 ** -(S + 3)) c++;
  let best: (ErfPlan & { cost: number }) | undefined;
  for (let k = 1; k <= 5; k++) {
    const h = 2 ** (c - k);
    const fits = Array.from({ length: 2 ** k }, (_, seg) => polyDegree(S + 3, (u) => erfF((seg + u) * h)));
    const degree = Math.max(...fits.map((f) => f.degree));
    const cost = 2 ** k - 2 + degree + (S + 4 + degree * (S + c - k));
    if (!best || cost < best.cost) best = { c, k, degree, coefs: fits.map((f) => [...f.coefs, ...new Array<number>(degree + 1 - f.coefs.length).fill(0)]), cost };
  }
  plans.set(S, best!);
  return best!;
}

/**
 * [x < 0] as −⌊x / 2^k⌋ with |x| < 2^k by the bound: the same one decomposition as a sign bit, but one gadget
 * output instead of k + 1 bit signals in the witness code (its size, not its constraints, limits big models).
 */
function negative(ctx: LowerCtx, e: Lin): Lin {
  const [lo, hi] = ctx.b.bounds(e);
  if (lo >= 0n) return linConst(0n);
  if (hi < 0n) return linConst(1n);
  let k = 1;
  while (-lo > pow2(k) || hi >= pow2(k)) k++;
  return linScale(ctx.b.rescale(e, k, false, ctx.node.name), -1n);
}

/**
 * erf of each element of x (requantized to scale S): a tensor at scale S. |x| by one sign decomposition
 * and a select; ONE decomposition of |x| gives the saturation (any bit at or above S + c: an OR of the
 * high bits, one product each), the segment (k bits, one-hot by 2^k − 2 products: the coefficients are
 * linear in it) and the local coordinate u (the low bits, free); the polynomial in Horner form without
 * intermediate rescales (one product per degree), then one rounded rescale to S; saturation and sign by two
 * selects. Error ≤ 2^-(S+3) (interpolation) + coefficient rounding at W = S + 4 + 2^-(S+1) (rounding).
 */
function erfQ(ctx: LowerCtx, x0: QTensor): QTensor {
  const x = ctx.requant(x0, false);
  const S = x.scale;
  const W = S + 4;
  const b = ctx.b;
  const name = ctx.node.name;
  const { c, k, degree, coefs } = erfPlan(S);
  const su = S + c - k; // bits of the local coordinate
  const cs = Array.from({ length: degree + 1 }, (_, j) => coefs.map((seg) => BigInt(Math.round(seg[j]! * 2 ** W))));
  const exprs = x.exprs.map((e) => {
    const neg = negative(ctx, e);
    const a = choose(ctx, neg, linScale(e, -1n), e); // |x|, exact
    const [lo, hi] = b.bounds(e);
    const M = -lo > hi ? -lo : hi;
    const n = Math.max(S + c, bitLength(M));
    const bits = b.bits(a, n, name, true); // 0 ≤ |x| < 2^n: true of |x| by its bound, and enforced
    const u = linConst(0n);
    for (let i = 0; i < su; i++) linAddScaled(u, bits[i]!, pow2(i));
    let sat: Lin = linConst(0n);
    for (let i = S + c; i < n; i++) sat = linIsConst(sat) && sat.c === 0n ? bits[i]! : linAddScaled(linAddScaled(linAddScaled(linConst(0n), sat, 1n), bits[i]!, 1n), b.mul(sat, bits[i]!, name), -1n);
    let onehot: Lin[] = [linConst(1n)];
    for (let j = k - 1; j >= 0; j--) {
      const s = bits[su + j]!; // highest first: the one-hot index is then Σ_j bit_j·2^j
      onehot = onehot.flatMap((I) => {
        const p = linIsConst(I) ? linScale(s, I.c) : b.mul(I, s, name);
        return [linAddScaled(linAddScaled(linConst(0n), I, 1n), p, -1n), p];
      });
    }
    const coef = (j: number, shift: number): Lin => onehot.reduce((acc, I, seg) => linAddScaled(acc, I, cs[j]![seg]! << BigInt(shift)), linConst(0n));
    let acc = coef(degree, 0);
    for (let j = degree - 1; j >= 0; j--) acc = linAddScaled(b.mul(acc, u, name), coef(j, su * (degree - j)), 1n);
    const K = W + degree * su - S;
    const y = b.rescale(linAddScaled(linConst(pow2(K - 1)), acc, 1n), K, false, name); // erf(|x|) at scale S
    const ys = choose(ctx, sat, linConst(pow2(S)), y);
    return choose(ctx, neg, linScale(ys, -1n), ys);
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
