/**
 * LayerNormalization (axis, epsilon; Scale and B constants), without dividing by n anywhere but once:
 * over the n normalized elements x_i of a row (rescaled to the activation scale S first),
 *   d_i = n·x_i − Σx = n·(x_i − mean)                    (linear, exact)
 *   D = Σ d_i² + ⌊eps·n³·2^2S⌉ = n³·(var + eps) at scale 2S   (n products)
 *   y_i = (x_i − mean) / sqrt(var + eps) = d_i·√n / sqrt(D)
 * sqrt(D) is one SqrtFloor (D aligned to scale 2t, t = S + 1: the root at scale t, truncated), and each y_i
 * one DivFloor rounded half up, at scale S, its quotient range-checked to |y| ≤ √n + 1 (|d_i| ≤ sqrt(Σd²)).
 * Then y·Scale + B is linear. Cost per row: n products + ≈ 2.5·width(D) + n·DivFloor(≈ S + 3, width of the root).
 */
import type { Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst, linScale } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef } from './types.js';
import { broadcastMap, requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

function rowsOf(name: string, shape: number[], axisAttr: unknown): { n: number; rows: number; inner: number[] } {
  const a0 = typeof axisAttr === 'number' ? axisAttr : -1;
  const axis = a0 < 0 ? a0 + shape.length : a0;
  if (axis < 0 || axis >= shape.length) throw new ShapeError(`node '${name}' (LayerNormalization): axis ${a0} out of range for rank ${shape.length}`);
  const inner = shape.slice(axis);
  const n = sizeOf(inner);
  return { n, rows: sizeOf(shape) / n, inner };
}

/** Scale / B broadcast to the normalized shape (as ONNX allows). */
const perElement = (t: Tensor | undefined, inner: number[], dflt: number): number[] => {
  if (!t) return new Array<number>(sizeOf(inner)).fill(dflt);
  const map = broadcastMap(inner, t.shape);
  return Array.from(map, (j) => t.data[j]!);
};

export const LayerNormalization: OpDef = {
  onnx: ['LayerNormalization'],
  float(node, [x0, s0, b0]) {
    const x = requireInput(x0, 0, node);
    const { n, rows, inner } = rowsOf(node.name, x.shape, node.attrs.axis);
    const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : 1e-5;
    const sc = perElement(s0, inner, 1);
    const bs = perElement(b0, inner, 0);
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < rows; r++) {
      const xs = Array.from(x.data.subarray(r * n, (r + 1) * n));
      const mean = xs.reduce((a, v) => a + v, 0) / n;
      const v = xs.reduce((a, w) => a + (w - mean) ** 2, 0) / n;
      xs.forEach((w, i) => (out[r * n + i] = ((w - mean) / Math.sqrt(v + eps)) * sc[i]! + bs[i]!));
    }
    return [{ shape: x.shape, data: out }];
  },
  lower(ctx, [x0, s0, b0]) {
    const node = ctx.node;
    const v = requireInput(x0, 0, node);
    if (v.kind !== 'q') throw new Error('unreachable: constant LayerNormalization is folded');
    if ((s0 && s0.kind !== 'const') || (b0 && b0.kind !== 'const')) throw new UnsupportedOpError(`node '${node.name}' (LayerNormalization): Scale and B must be constants`);
    if (node.outputs.filter((o) => o).length > 1) throw new UnsupportedOpError(`node '${node.name}' (LayerNormalization): the Mean / InvStdDev outputs are not supported`);
    const { n, rows, inner } = rowsOf(node.name, v.t.shape, node.attrs.axis);
    const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : 1e-5;
    const b = ctx.b;
    const x1 = ctx.requant(v.t, false);
    const x = ctx.alignUp(x1, Math.max(x1.scale, ctx.scale)); // a coarser input gets the output precision 2^−S
    const S = x.scale;
    const t = Math.max(ctx.scale, S) + 1;
    const N = BigInt(n);
    const epsInt = BigInt(Math.max(1, Math.round(eps * n ** 3 * 2 ** (2 * S))));
    const sq = BigInt(Math.round(Math.sqrt(n) * 2 ** 16)); // √n at scale 16
    const qMax = BigInt(Math.ceil(Math.sqrt(n)) + 1) << BigInt(S);
    const k = ctx.quantizeConst({ shape: [n], data: Float64Array.from(perElement(s0?.t as Tensor | undefined, inner, 1)) });
    const beta = ctx.quantizeConst({ shape: [n], data: Float64Array.from(perElement(b0?.t as Tensor | undefined, inner, 0)) }, S + k.scale).ints;
    const exprs: Lin[] = [];
    for (let r = 0; r < rows; r++) {
      const xs = x.exprs.slice(r * n, (r + 1) * n);
      const sum = xs.reduce((acc, e) => linAddScaled(acc, e, 1n), linConst(0n));
      const d = xs.map((e) => linAddScaled(linScale(e, N), sum, -1n));
      const D = d.reduce((acc, e) => linAddScaled(acc, b.mul(e, e, node.name), 1n), linConst(epsInt));
      const root = b.sqrt(linScale(D, 1n << BigInt(2 * (t - S))), node.name); // sqrt(D) at scale t
      d.forEach((e, i) => {
        // Y = d·√n·2^t / root at scale S, rounded half up: ⌊(2·d·sq·2^(t−16) + root) / (2·root)⌋
        const shift = t - 16;
        const num = linAddScaled(linScale(e, 2n * sq * (shift >= 0 ? 1n << BigInt(shift) : 1n)), root, shift >= 0 ? 1n : 1n << BigInt(-shift));
        const den = linScale(root, shift >= 0 ? 2n : 2n << BigInt(-shift));
        const y = b.div(num, den, node.name, [-qMax, qMax]);
        exprs.push(linAddScaled(linConst(beta[i]!), y, k.ints[i]!));
      });
    }
    return [{ shape: v.t.shape, scale: S + k.scale, exprs }];
  },
};
