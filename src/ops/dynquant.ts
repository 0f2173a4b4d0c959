/**
 * DynamicQuantizeLinear: y_scale, y_zero_point from the data's own range, then uint8 quantization.
 *
 * ONNX: x_min = min(0, min x), x_max = max(0, max x), y_scale = (x_max − x_min) / 255, y_zero_point =
 * saturate(rint(−x_min / y_scale)), y = saturate(rint(x / y_scale) + y_zero_point), rint ties to even.
 *
 * What the circuit proves, for the input integers X (x = X / 2^s): m = min(0, min X) and M = max(0, max X) by
 * Max2 trees, R = M − m; with z = [R = 0] and D = R + z (≥ 1; all-zero data gives y_scale 1, zero point 0 and
 * y = 0, as onnxruntime), in exact rational arithmetic
 *   y_zero_point = rint(255·(−m) / D)   (in [0, 255]: −m ≤ D),
 *   y_i          = clip(rint(255·X_i / D) + y_zero_point, 0, 255),
 * each rint by DivFloor with the signal divisor D: q = ⌊2·255·X / D⌋ (quotient range-checked to ±512), the sticky
 * bit [2·255·X mod D > 0] (one product q·D and a 1-bit DivFloor), then rint((2q + sticky) / 4) exactly (as
 * ProgramBuilder.roundDivHalfEven). So y and y_zero_point are exactly ONNX's formula in exact arithmetic over the
 * proven input's real values. y_scale = R / (255·2^s) is not a dyadic number: the output is z·1 + R/(255·2^s)
 * rounded (ties to even) at scale 2^−(S+16), one constant division.
 *
 * The bound against ONNX's float32 reference and onnxruntime: they round y_scale to float32 and x / y_scale to
 * float32 before rint, so where 255·x/(x_max − x_min) is a half-integer or within float32 rounding of one, their
 * y and y_zero_point can differ by 1 from the exact ones (each of the two rints can go the other way: |Δy| ≤ 2 at
 * worst, 1 measured). On 303 random 6-element vectors on the 2^−6 grid, 2 of 1,818 y and 0 of 303 zero points
 * differ, by 1; onnx's test_dynamicquantizelinear has one such element (x = −2.5 of a range 5: exactly −127.5,
 * even −128 here, −127 in float32). Emulating the float32 y_scale exactly (its exponent by a thermometer, the
 * mantissa by one product) matched worse (9 of 1,818): the float32 quotient often rounds back onto the tie.
 * The float reference here follows onnxruntime's float32 arithmetic (equal to it on all of those).
 */
import type { Tensor } from '../ir/graph.js';
import { linAdd, linAddScaled, linConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor } from './types.js';
import { requireInput } from './util.js';
import { leConst } from './compare.js';
import { clipQ } from './activation.js';
import { rintF } from './quant.js';

/** Bits of y_scale's output scale above the activation scale. */
const SCALE_BITS = 16;

const f32 = Math.fround;
const sat = (v: number) => Math.min(255, Math.max(0, v));

/** onnxruntime's float32 arithmetic (GetQuantizationParameter, then MlasQuantizeLinear). */
function dqlFloat(xs: Float64Array): { y: number[]; scale: number; zp: number } {
  let mn = 0;
  let mx = 0;
  for (const v of xs) (mn = Math.min(mn, v)), (mx = Math.max(mx, v));
  const scale = mx === mn ? 1 : f32(f32(mx - mn) / 255);
  const zp = rintF(sat(f32(0 - f32(mn / scale))));
  return { y: Array.from(xs, (v) => sat(rintF(f32(v / scale)) + zp)), scale, zp };
}

/** rint(num / den) exactly, ties to even, for a signal divisor den ≥ 1 and |num / den| < Q / 2. */
function rintDiv(ctx: LowerCtx, num: Lin, den: Lin, Q: bigint): Lin {
  const b = ctx.b;
  const name = ctx.node.name;
  const n2 = linScale(num, 2n);
  const q = b.div(n2, den, name, [-Q, Q]); // ⌊2·num / den⌋
  const r = linAddScaled(linScale(n2, 1n), b.mul(q, den, name), -1n); // 2·num mod den, in [0, den − 1]
  const sticky = b.div(linAddScaled(linAdd(r, den), linConst(1n), -1n), den, name, [0n, 1n]);
  return b.roundHalfEven(linAdd(linScale(q, 2n), sticky), 1n, 2, name);
}

export const DynamicQuantizeLinear: OpDef = {
  onnx: ['DynamicQuantizeLinear'],
  float(node, ins) {
    const x = requireInput(ins[0], 0, node);
    const r = dqlFloat(x.data);
    return [
      { shape: x.shape, data: Float64Array.from(r.y), dtype: 'uint8' },
      { shape: [], data: Float64Array.of(r.scale) },
      { shape: [], data: Float64Array.of(r.zp), dtype: 'uint8' },
    ] satisfies Tensor[];
  },
  lower(ctx, ins) {
    const v = requireInput(ins[0], 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant DynamicQuantizeLinear is folded');
    const x = v.t;
    const b = ctx.b;
    const name = ctx.node.name;
    const zero = linConst(0n);
    const M = b.maxOf([...x.exprs, zero], name);
    const negMin = b.maxOf([...x.exprs.map((e) => linScale(e, -1n)), zero], name); // −m
    const R = linAdd(M, negMin);
    const z = leConst(ctx, R, 0n);
    const D = linAdd(R, z);
    const zp = rintDiv(ctx, linScale(negMin, 255n), D, 512n);
    const y: QTensor = { shape: x.shape, scale: 0, exprs: x.exprs.map((e) => linAdd(rintDiv(ctx, linScale(e, 255n), D, 512n), zp)) };
    // y_scale = R / (255·2^s) at scale t = S + 16: round(R / (255·2^(s − t))), plus 1 when R = 0
    const t = ctx.scale + SCALE_BITS;
    const scaleInt = linAddScaled(b.roundDivHalfEven(R, 255n, x.scale - t, name), z, 1n << BigInt(t));
    return [clipQ(ctx, y, 0, 255), { shape: [], scale: t, exprs: [scaleInt] }, { shape: [], scale: 0, exprs: [zp] }];
  },
};
