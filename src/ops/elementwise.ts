/** Add and Relu. Add is linear (zero constraints); Relu is one fused rescale+ReLU decomposition per element. */
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { OpDef } from './types.js';
import { broadcastMap, broadcastShapes, requireInput } from './util.js';
import { addBias } from './matmul.js';

export const Add: OpDef = {
  onnx: ['Add'],
  paramInputs: [0, 1],
  float(node, [a0, b0]) {
    const a = requireInput(a0, 0, node);
    const b = requireInput(b0, 1, node);
    const shape = broadcastShapes(a.shape, b.shape, node);
    const ma = broadcastMap(shape, a.shape);
    const mb = broadcastMap(shape, b.shape);
    return [{ shape, data: Float64Array.from(ma, (ia, i) => a.data[ia]! + b.data[mb[i]!]!) }];
  },
  lower(ctx, [a0, b0]) {
    const a = requireInput(a0, 0, ctx.node);
    const b = requireInput(b0, 1, ctx.node);
    const shape = broadcastShapes(a.t.shape, b.t.shape, ctx.node);
    // Broadcast the signal operand to the output shape first, then add the other as a bias.
    const [qv, other] = a.kind === 'q' ? [a, b] : [b, a];
    if (qv.kind !== 'q') throw new Error('unreachable: constant Add is folded');
    const q = qv.t;
    if (q.shape.join() !== shape.join()) {
      const map = broadcastMap(shape, q.shape);
      const expanded = { shape, scale: q.scale, exprs: Array.from(map, (j) => linAddScaled(linConst(0n), q.exprs[j]!, 1n)) };
      return [addBias(ctx, expanded, other)];
    }
    return [addBias(ctx, q, other)];
  },
};

export const Relu: OpDef = {
  onnx: ['Relu'],
  float: (node, [x]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: t.shape, data: t.data.map((v) => (v > 0 ? v : 0)) }];
  },
  lower: (ctx, [x]) => {
    const v = requireInput(x, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant Relu is folded');
    return [ctx.requant(v.t, true)];
  },
};
