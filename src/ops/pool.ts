/**
 * Pooling: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.
 *
 * - Max pooling is a balanced tree of Max2 steps per window, each as wide as the proven bound of the
 *   difference (never the field). It runs BEFORE the rescale to the activation scale: rescale (floor of
 *   x + half over 2^k) and ReLU are monotone, so max(relu(rescale(a)), …) = relu(rescale(max(a, …))) exactly,
 *   and a window of w accumulators costs w − 1 maxes + ONE fused rescale(+ReLU) instead of w of them.
 *   The graph pass `fuseActivations` folds an adjacent Relu into the MaxPool node (attribute
 *   `zkinfer.relu`), whichever order they come in.
 * - Average pooling is affine: zero constraints. A window of 2^j elements is a scale change (scale + j),
 *   not a division; other window sizes multiply by a quantized 1/count.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor } from './types.js';
import { requireInput } from './util.js';
import { TAP_PAD, windowAttrs, windowPlan } from './window.js';
import type { WindowPlan } from './window.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

/** Attribute set by the fusion pass: apply ReLU after the pooling (exactly relu-then-max). */
export const FUSED_RELU = 'zkinfer.relu';

interface PoolPlan {
  outShape: number[];
  channels: number;
  inSpatialSize: number;
  win: WindowPlan;
}

function poolPlan(node: GraphNode, x: number[]): PoolPlan {
  if (x.length < 3) throw new ShapeError(`node '${node.name}' (${node.op}): input [${x}] must be N×C×spatial`);
  const inSpatial = x.slice(2);
  const global = node.op.startsWith('Global');
  const ks = node.attrs.kernel_shape;
  if (!global && !Array.isArray(ks)) throw new ShapeError(`node '${node.name}' (${node.op}): kernel_shape is required`);
  const kernel = global ? inSpatial : (ks as number[]);
  const win = global
    ? windowPlan(node, inSpatial, { kernel, strides: kernel.map(() => 1), dilations: kernel.map(() => 1), pads: [...kernel, ...kernel].map(() => 0), ceilMode: false })
    : windowPlan(node, inSpatial, windowAttrs(node, inSpatial, kernel));
  return { outShape: [x[0]!, x[1]!, ...win.outSpatial], channels: x[0]! * x[1]!, inSpatialSize: sizeOf(inSpatial), win };
}

const isMax = (node: GraphNode): boolean => node.op === 'MaxPool' || node.op === 'GlobalMaxPool';
const fusedRelu = (node: GraphNode): boolean => node.attrs[FUSED_RELU] === 1;

/** Divisor per window position for AveragePool (count_include_pad counts pads, never taps beyond them). */
function avgCounts(node: GraphNode, win: WindowPlan): number[] {
  const includePad = node.attrs.count_include_pad === 1;
  const nOut = sizeOf(win.outSpatial);
  return Array.from({ length: nOut }, (_, s) => {
    let c = 0;
    for (let t = 0; t < win.kSize; t++) {
      const tap = win.taps[s * win.kSize + t]!;
      if (tap >= 0 || (includePad && tap === TAP_PAD)) c++;
    }
    return c;
  });
}

/** For every output element: the flat input indices of its window (pads dropped) and its position. */
function windows(p: PoolPlan, visit: (o: number, s: number, idx: number[]) => void): void {
  const nOut = sizeOf(p.win.outSpatial);
  for (let ch = 0; ch < p.channels; ch++)
    for (let s = 0; s < nOut; s++) {
      const idx: number[] = [];
      for (let t = 0; t < p.win.kSize; t++) {
        const tap = p.win.taps[s * p.win.kSize + t]!;
        if (tap >= 0) idx.push(ch * p.inSpatialSize + tap);
      }
      visit(ch * nOut + s, s, idx);
    }
}

function checkAttrs(node: GraphNode): void {
  if (node.outputs.length > 1 && node.outputs[1]) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): the Indices output is not supported`);
}

export const Pool: OpDef = {
  onnx: ['MaxPool', 'AveragePool', 'GlobalMaxPool', 'GlobalAveragePool'],
  float(node, [x0]) {
    checkAttrs(node);
    const x = requireInput(x0, 0, node);
    const p = poolPlan(node, x.shape);
    const out = new Float64Array(sizeOf(p.outShape));
    const counts = isMax(node) ? [] : avgCounts(node, p.win);
    windows(p, (o, s, idx) => {
      if (isMax(node)) {
        let m = -Infinity;
        for (const i of idx) m = Math.max(m, x.data[i]!);
        out[o] = fusedRelu(node) ? Math.max(0, m) : m;
      } else {
        let sum = 0;
        for (const i of idx) sum += x.data[i]!;
        out[o] = sum / counts[s]!;
      }
    });
    return [{ shape: p.outShape, data: out } satisfies Tensor];
  },
  lower(ctx, [x0]) {
    checkAttrs(ctx.node);
    const x = requireInput(x0, 0, ctx.node);
    if (x.kind !== 'q') throw new Error('unreachable: constant pooling is folded');
    const p = poolPlan(ctx.node, x.t.shape);
    const xs = x.t.exprs;
    const exprs: Lin[] = new Array(sizeOf(p.outShape));
    if (isMax(ctx.node)) {
      windows(p, (o, _s, idx) => {
        if (idx.length === 0) throw new ShapeError(`node '${ctx.node.name}' (${ctx.node.op}): a window covers only padding`);
        exprs[o] = ctx.b.maxOf(idx.map((i) => xs[i]!), ctx.node.name);
      });
      // one (fused) rescale per pooled output, after the max
      return [ctx.requant({ shape: p.outShape, scale: x.t.scale, exprs }, fusedRelu(ctx.node))];
    }
    const counts = avgCounts(ctx.node, p.win);
    const c0 = counts[0]!;
    const pow2 = counts.every((c) => c === c0) && (c0 & (c0 - 1)) === 0;
    if (pow2) {
      // a power-of-two window is a scale change: sum at scale + log2(count)
      windows(p, (o, _s, idx) => (exprs[o] = idx.reduce((acc, i) => linAddScaled(acc, xs[i]!, 1n), linConst(0n))));
      return [{ shape: p.outShape, scale: x.t.scale + Math.log2(c0), exprs } satisfies QTensor];
    }
    const inv = ctx.quantizeConst({ shape: [counts.length], data: Float64Array.from(counts, (c) => 1 / c) });
    windows(p, (o, s, idx) => (exprs[o] = idx.reduce((acc, i) => linAddScaled(acc, xs[i]!, inv.ints[s]!), linConst(0n))));
    return [{ shape: p.outShape, scale: x.t.scale + inv.scale, exprs } satisfies QTensor];
  },
};
