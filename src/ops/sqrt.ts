/**
 * Sqrt: exact floor square root from a pinned hint (circuits/sqrt.circom, SqrtFloor): the prover supplies
 * r and the circuit checks r² ≤ x < (r + 1)² with range checks of the bound's width.
 * Scales: a value at scale 2t has its root at scale t, so x (at scale s) is aligned up to scale 2(S + 1)
 * for activation scale S (free: a multiplication by a power of two) and the root comes out at S + 1,
 * truncated: error < 2^−(S+1). Negative inputs (NaN in float) are clamped to 0 by a ReLU when the bound
 * allows them. Cost: about 2.5·n + 1 constraints, n the width of the aligned input's bound.
 */
import type { OpDef } from './types.js';
import { mapFloat, requireInput } from './util.js';

export const Sqrt: OpDef = {
  onnx: ['Sqrt'],
  float: mapFloat(Math.sqrt),
  lower(ctx, [x0]) {
    const v = requireInput(x0, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Sqrt is folded');
    let x = v.t;
    if (x.exprs.some((e) => ctx.b.bounds(e)[0] < 0n)) x = ctx.requant(x, true);
    const t = Math.max(ctx.scale + 1, Math.ceil(x.scale / 2));
    const a = ctx.alignUp(x, 2 * t);
    return [{ shape: x.shape, scale: t, exprs: a.exprs.map((e) => ctx.b.sqrt(e, ctx.node.name)) }];
  },
};
