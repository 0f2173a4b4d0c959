/**
 * BatchNormalization (inference): y = a·x + b per channel, a = γ / √(var + ε), b = β − mean·a.
 * An affine map: zero constraints. The graph pass `foldBatchNorm` folds it into a preceding Conv's
 * weights (one quantization of the product instead of two); otherwise it is lowered here.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { OpDef } from './types.js';
import { requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

/** Per-channel (a, b) from the constant parameters. */
export function batchNormAffine(node: GraphNode, ins: (Tensor | undefined)[]): { a: Float64Array; b: Float64Array } {
  const [g, beta, mean, v] = [1, 2, 3, 4].map((i) => requireInput(ins[i], i, node));
  const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : 1e-5;
  const C = g!.data.length;
  if ([beta, mean, v].some((t) => t!.data.length !== C)) throw new ShapeError(`node '${node.name}' (BatchNormalization): parameter lengths differ`);
  const a = Float64Array.from(g!.data, (x, c) => x / Math.sqrt(v!.data[c]! + eps));
  const b = Float64Array.from(a, (x, c) => beta!.data[c]! - mean!.data[c]! * x);
  return { a, b };
}

const channelOf = (shape: number[], i: number): number => {
  const inner = shape.slice(2).reduce((x, y) => x * y, 1);
  return Math.floor(i / inner) % (shape[1] ?? 1);
};

export const BatchNormalization: OpDef = {
  onnx: ['BatchNormalization'],
  float(node, ins) {
    const x = requireInput(ins[0], 0, node);
    const { a, b } = batchNormAffine(node, ins);
    return [{ shape: x.shape, data: x.data.map((v, i) => a[channelOf(x.shape, i)]! * v + b[channelOf(x.shape, i)]!) }];
  },
  lower(ctx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new Error('unreachable: constant BatchNormalization is folded');
    if (ins.slice(1).some((v) => v?.kind !== 'const')) throw new UnsupportedOpError(`node '${ctx.node.name}' (BatchNormalization): parameters must be constants`);
    if (ctx.node.outputs.filter((o) => o).length > 1) throw new UnsupportedOpError(`node '${ctx.node.name}' (BatchNormalization): training-mode outputs are not supported`);
    const { a, b } = batchNormAffine(ctx.node, ins.map((v) => v?.t as Tensor | undefined));
    const k = ctx.quantizeConst({ shape: [a.length], data: a });
    const s = x.t.scale + k.scale;
    const bi = ctx.quantizeConst({ shape: [b.length], data: b }, s).ints;
    const exprs = x.t.exprs.map((e, i) => linAddScaled(linConst(bi[channelOf(x.t.shape, i)]!), e, k.ints[channelOf(x.t.shape, i)]!));
    return [{ shape: x.t.shape, scale: s, exprs }];
  },
};
