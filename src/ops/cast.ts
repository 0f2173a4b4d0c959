/**
 * Cast (ai.onnx). Values keep their meaning, so on the integer path:
 * - to a float type: unchanged (the fixed-point value is the value; float16 / bfloat16 rounding is not modelled);
 * - to an integer type: truncation toward zero (onnxruntime's static_cast), exact:
 *   trunc(v / 2^s) = ⌊relu(v) / 2^s⌋ − ⌊relu(−v) / 2^s⌋ — two fused rescale+ReLU decompositions, one where the
 *   bound fixes the sign, none at scale 0; out-of-range values are not wrapped (bounds refuse nothing here);
 * - to bool: [x ≠ 0] = 1 − ([X ≤ 0] − [X ≤ −1]), two sign decompositions (none where the bound decides).
 */
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef } from './types.js';
import { requireInput } from './util.js';
import { leConst } from './compare.js';
import { dtypeName } from '../import/onnx.js';

const FLOATS = new Set(['float32', 'float64', 'float16', 'bfloat16']);

function target(to: unknown): string {
  return typeof to === 'number' ? dtypeName(to) : String(to ?? 'float32');
}

function truncLower(ctx: LowerCtx, e: Lin, s: number): Lin {
  const b = ctx.b;
  const [lo, hi] = b.bounds(e);
  const neg = linAddScaled(linConst(0n), e, -1n);
  const pos = hi > 0n ? b.rescale(e, s, true, ctx.node.name) : linConst(0n);
  const ng = lo < 0n ? b.rescale(neg, s, true, ctx.node.name) : linConst(0n);
  return linAddScaled(linAddScaled(linConst(0n), pos, 1n), ng, -1n);
}

export const Cast: OpDef = {
  onnx: ['Cast', 'CastLike'],
  float(node, [x0, like]) {
    const x = requireInput(x0, 0, node);
    const to = node.op === 'CastLike' ? like?.dtype ?? 'float32' : target(node.attrs.to);
    if (FLOATS.has(to)) return [{ shape: x.shape, data: x.data.map((v) => (to === 'float32' ? Math.fround(v) : v)) }];
    if (to === 'bool') return [{ shape: x.shape, data: x.data.map((v) => (v !== 0 ? 1 : 0)), dtype: to }];
    return [{ shape: x.shape, data: x.data.map(Math.trunc), dtype: to }];
  },
  lower(ctx, [x0, like]) {
    const v = requireInput(x0, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Cast is folded');
    const x = v.t;
    const to = ctx.node.op === 'CastLike' ? (like?.kind === 'const' ? like.t.dtype ?? 'float32' : 'float32') : target(ctx.node.attrs.to);
    if (FLOATS.has(to)) return [x];
    if (to === 'bool') {
      const exprs = x.exprs.map((e) => {
        const zero = linAddScaled(linAddScaled(linConst(0n), leConst(ctx, e, 0n), 1n), leConst(ctx, e, -1n), -1n);
        return linAddScaled(linConst(1n), zero, -1n);
      });
      return [{ shape: x.shape, scale: 0, exprs }];
    }
    if (x.scale <= 0) return [ctx.alignUp(x, 0)];
    return [{ shape: x.shape, scale: 0, exprs: x.exprs.map((e) => truncLower(ctx, e, x.scale)) }];
  },
};
