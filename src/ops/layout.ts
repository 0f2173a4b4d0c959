/**
 * Static-shape ops and copies:
 * - Shape (start / end), Size: constants from the (static) input shape, even for a signal input
 *   (`shapeOnly`), so the Shape → Gather → Concat → Reshape chains of PyTorch exports fold away.
 * - ConstantOfShape: a constant from a constant shape (folded).
 * - Expand (numpy broadcast to a constant shape), Tile (constant repeats), Split (split sizes from the input,
 *   the attribute or num_outputs): index remaps of linear combinations, zero constraints.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor, Value } from './types.js';
import { broadcastMap, broadcastShapes, requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

const constInts = (node: GraphNode, v: Value | undefined, what: string): number[] | undefined => {
  if (!v) return undefined;
  if (v.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): ${what} must be a constant`);
  return Array.from(v.t.data);
};
const asValue = (t: Tensor | undefined): Value | undefined => (t ? { kind: 'const', t } : undefined);

export const ShapeOps: OpDef = {
  onnx: ['Shape', 'Size'],
  shapeOnly: true,
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    if (node.op === 'Size') return [{ shape: [], data: new Float64Array([sizeOf(x.shape)]), dtype: 'int64' }];
    const r = x.shape.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = clamp(typeof node.attrs.start === 'number' ? node.attrs.start : 0);
    const end = clamp(typeof node.attrs.end === 'number' ? node.attrs.end : r);
    const dims = x.shape.slice(start, Math.max(start, end));
    return [{ shape: [dims.length], data: Float64Array.from(dims), dtype: 'int64' }];
  },
  lower() {
    throw new Error('unreachable: Shape / Size outputs are constants');
  },
};

export const ConstantOfShape: OpDef = {
  onnx: ['ConstantOfShape'],
  float(node, [s0]) {
    const shape = Array.from(requireInput(s0, 0, node).data);
    const v = node.attrs.value;
    const fill = v && typeof v === 'object' && !Array.isArray(v) ? v.data[0] ?? 0 : 0;
    return [{ shape, data: new Float64Array(sizeOf(shape)).fill(fill), dtype: v && typeof v === 'object' && !Array.isArray(v) ? v.dtype : 'float32' }];
  },
  lower(ctx) {
    throw new UnsupportedOpError(`node '${ctx.node.name}' (ConstantOfShape): the shape must be a constant`);
  },
};

/** Output shape and, per output element, its source element. */
function remap(node: GraphNode, x: number[], ins: (Value | undefined)[]): { shape: number[]; src: Int32Array } {
  if (node.op === 'Expand') {
    const target = constInts(node, ins[1], 'shape');
    if (!target) throw new ShapeError(`node '${node.name}' (Expand): the shape input is missing`);
    const shape = broadcastShapes(x, target, node);
    return { shape, src: broadcastMap(shape, x) };
  }
  const reps = constInts(node, ins[1], 'repeats');
  if (!reps || reps.length !== x.length) throw new ShapeError(`node '${node.name}' (Tile): repeats [${reps ?? ''}] must have one value per input axis (${x.length})`);
  const shape = x.map((d, i) => d * reps[i]!);
  const os = stridesOf(shape);
  const is = stridesOf(x);
  const src = new Int32Array(sizeOf(shape));
  for (let o = 0; o < src.length; o++) {
    let f = 0;
    for (let d = 0; d < shape.length; d++) f += (Math.floor(o / os[d]!) % shape[d]! % x[d]!) * is[d]!;
    src[o] = f;
  }
  return { shape, src };
}

export const ExpandTile: OpDef = {
  onnx: ['Expand', 'Tile'],
  float(node, [x0, s]) {
    const x = requireInput(x0, 0, node);
    const p = remap(node, x.shape, [undefined, asValue(s)]);
    return [{ shape: p.shape, data: Float64Array.from(p.src, (j) => x.data[j]!) }];
  },
  lower(ctx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new UnsupportedOpError(`node '${ctx.node.name}' (${ctx.node.op}): only the data input may depend on the model input`);
    const p = remap(ctx.node, x.t.shape, ins);
    return [{ shape: p.shape, scale: x.t.scale, exprs: Array.from(p.src, (j) => x.t.exprs[j]!) }];
  },
};

/** Split: per output, its shape and the flat source indices. */
function splitPlan(node: GraphNode, x: number[], splitV: Value | undefined): { shape: number[]; src: number[] }[] {
  const a0 = typeof node.attrs.axis === 'number' ? node.attrs.axis : 0;
  const axis = a0 < 0 ? a0 + x.length : a0;
  if (axis < 0 || axis >= x.length) throw new ShapeError(`node '${node.name}' (Split): axis ${a0} out of range for rank ${x.length}`);
  const n = node.outputs.length;
  const dim = x[axis]!;
  let sizes = constInts(node, splitV, 'split') ?? (Array.isArray(node.attrs.split) ? (node.attrs.split as number[]) : undefined);
  if (!sizes) {
    const k = typeof node.attrs.num_outputs === 'number' ? node.attrs.num_outputs : n;
    const each = Math.ceil(dim / k);
    sizes = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== dim) throw new ShapeError(`node '${node.name}' (Split): sizes [${sizes}] do not add up to axis ${axis} of [${x}]`);
  const outer = sizeOf(x.slice(0, axis));
  const inner = sizeOf(x.slice(axis + 1));
  let off = 0;
  return sizes.map((len) => {
    const src: number[] = [];
    for (let o = 0; o < outer; o++) for (let i = 0; i < len; i++) for (let j = 0; j < inner; j++) src.push((o * dim + off + i) * inner + j);
    off += len;
    return { shape: x.map((d, i) => (i === axis ? len : d)), src };
  });
}

export const Split: OpDef = {
  onnx: ['Split'],
  float(node, [x0, s]) {
    const x = requireInput(x0, 0, node);
    return splitPlan(node, x.shape, asValue(s)).map((p) => ({ shape: p.shape, data: Float64Array.from(p.src, (j) => x.data[j]!) }));
  },
  lower(ctx, [x0, s]) {
    const x = requireInput(x0, 0, ctx.node);
    if (x.kind !== 'q') throw new UnsupportedOpError(`node '${ctx.node.name}' (Split): only the data input may depend on the model input`);
    return splitPlan(ctx.node, x.t.shape, s).map((p): QTensor => ({ shape: p.shape, scale: x.t.scale, exprs: p.src.map((j): Lin => x.t.exprs[j]!) }));
  },
};
