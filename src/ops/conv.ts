/**
 * Conv (N-d; strides, pads, auto_pad, dilations, groups incl. depthwise). With constant weights a
 * convolution is an affine map of its input: every output is a linear combination, zero constraints.
 * With signal weights every tap is one product.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { attrNum, requireInput } from './util.js';
import { windowAttrs, windowPlan } from './window.js';
import type { WindowPlan } from './window.js';
import { ShapeError } from '../errors.js';

export interface ConvPlan {
  outShape: number[];
  group: number;
  /** Input channels per group, output channels per group. */
  cg: number;
  mg: number;
  win: WindowPlan;
  inSpatialSize: number;
}

export function convPlan(node: GraphNode, x: number[], w: number[]): ConvPlan {
  if (x.length < 3 || w.length !== x.length) throw new ShapeError(`node '${node.name}' (Conv): input [${x}] and weights [${w}] must be N×C×spatial and M×C/group×kernel`);
  const group = attrNum(node, 'group', 1);
  const [N, C] = x as [number, number];
  const M = w[0]!;
  const cg = w[1]!;
  if (C !== cg * group || M % group !== 0) throw new ShapeError(`node '${node.name}' (Conv): ${C} input channels, weights [${w}] and group ${group} do not fit`);
  const kernel = w.slice(2);
  const ks = node.attrs.kernel_shape;
  if (Array.isArray(ks) && ks.join() !== kernel.join()) throw new ShapeError(`node '${node.name}' (Conv): kernel_shape [${ks}] differs from weights [${w}]`);
  const inSpatial = x.slice(2);
  const win = windowPlan(node, inSpatial, windowAttrs(node, inSpatial, kernel));
  return { outShape: [N, M, ...win.outSpatial], group, cg, mg: M / group, win, inSpatialSize: sizeOf(inSpatial) };
}

/**
 * Visit every (output index, input index, weight index) triple of a convolution: the one loop both the
 * float reference and the integer lowering use.
 */
export function forEachTap(p: ConvPlan, visit: (o: number, xi: number, wi: number) => void): void {
  const [N, M] = p.outShape as [number, number];
  const nOut = sizeOf(p.win.outSpatial);
  const C = p.cg * p.group;
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / p.mg);
      for (let s = 0; s < nOut; s++) {
        const o = (n * M + m) * nOut + s;
        for (let c = 0; c < p.cg; c++) {
          const xBase = (n * C + g * p.cg + c) * p.inSpatialSize;
          const wBase = (m * p.cg + c) * p.win.kSize;
          for (let t = 0; t < p.win.kSize; t++) {
            const tap = p.win.taps[s * p.win.kSize + t]!;
            if (tap >= 0) visit(o, xBase + tap, wBase + t);
          }
        }
      }
    }
}

const channelOf = (p: ConvPlan, o: number): number => Math.floor(o / sizeOf(p.win.outSpatial)) % p.outShape[1]!;

export function convFloat(node: GraphNode, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const p = convPlan(node, x.shape, w.shape);
  const out = new Float64Array(sizeOf(p.outShape));
  forEachTap(p, (o, xi, wi) => (out[o] += x.data[xi]! * w.data[wi]!));
  if (b) for (let o = 0; o < out.length; o++) out[o] += b.data[channelOf(p, o)]!;
  return { shape: p.outShape, data: out };
}

/**
 * The convolution sum of x and w (at least one a signal tensor), without bias. A constant operand is
 * quantized at `constScale` when given (0 for integer operands: exact), else at its own scale.
 */
export function convLower(ctx: LowerCtx, p: ConvPlan, x: Value, w: Value, constScale?: number): QTensor {
  const exprs: Lin[] = Array.from({ length: sizeOf(p.outShape) }, () => linConst(0n));
  if (x.kind === 'q' && w.kind === 'q') {
    forEachTap(p, (o, xi, wi) => linAddScaled(exprs[o]!, ctx.b.mul(x.t.exprs[xi]!, w.t.exprs[wi]!, ctx.node.name), 1n));
    return { shape: p.outShape, scale: x.t.scale + w.t.scale, exprs };
  }
  const [q, c, onX] = x.kind === 'q' ? [x.t, w.t as Tensor, true] : [w.t as QTensor, x.t as Tensor, false];
  const cq = ctx.quantizeConst(c, constScale);
  forEachTap(p, (o, xi, wi) => linAddScaled(exprs[o]!, q.exprs[onX ? xi : wi]!, cq.ints[onX ? wi : xi]!));
  return { shape: p.outShape, scale: q.scale + cq.scale, exprs };
}

export const channelOfOutput = (p: ConvPlan, o: number): number => channelOf(p, o);

export const Conv: OpDef = {
  onnx: ['Conv'],
  paramInputs: [1, 2],
  float: (node, [x, w, b]) => [convFloat(node, requireInput(x, 0, node), requireInput(w, 1, node), b)],
  lower(ctx, [x0, w0, b0]) {
    const x = requireInput(x0, 0, ctx.node);
    const w = requireInput(w0, 1, ctx.node);
    const p = convPlan(ctx.node, x.t.shape, w.t.shape);
    const q = convLower(ctx, p, x, w);
    if (!b0) return [q];
    if (b0.kind === 'const') {
      const bi = ctx.quantizeConst(b0.t, q.scale).ints;
      q.exprs.forEach((e, o) => (e.c += bi[channelOf(p, o)]!));
      return [q];
    }
    const bt = b0.t as QTensor;
    const s = Math.max(q.scale, bt.scale);
    const y = ctx.alignUp(q, s);
    const bq = ctx.alignUp(bt, s);
    return [{ ...y, exprs: y.exprs.map((e, o) => linAddScaled(linAddScaled(linConst(0n), e, 1n), bq.exprs[channelOf(p, o)]!, 1n)) }];
  },
};
