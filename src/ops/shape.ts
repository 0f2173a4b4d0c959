/**
 * Index remaps: Transpose, Squeeze, Unsqueeze, Slice, Gather (constant indices), Pad, Concat.
 * Each computes one plan — output shape and, per output element, the flat source index (or PAD_FILL) —
 * that the float reference and the integer lowering both apply. They move linear combinations around:
 * zero constraints.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { fmtShape, sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

/** Output element takes the pad constant. */
const PAD_FILL = -1;

interface Remap {
  shape: number[];
  src: Int32Array;
  fill?: number;
}

const normAxis = (a: number, rank: number, node: GraphNode): number => {
  const r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank) throw new ShapeError(`node '${node.name}' (${node.op}): axis ${a} out of range for rank ${rank}`);
  return r;
};

/** Ints from an attribute (older opsets) or a constant input (newer opsets); undefined if neither. */
function intsOf(node: GraphNode, attr: string, v: Value | undefined): number[] | undefined {
  if (v) {
    if (v.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): '${attr}' must be a constant`);
    return Array.from(v.t.data);
  }
  const a = node.attrs[attr];
  return Array.isArray(a) ? (a as number[]) : undefined;
}

/** Generic plan: out index → multi-index → source flat index, via a per-dim mapping. */
function planFromDims(outShape: number[], inShape: number[], srcDim: (d: number, i: number) => number, extraDims?: (out: number[]) => number): Int32Array {
  const n = sizeOf(outShape);
  const os = stridesOf(outShape);
  const is = stridesOf(inShape);
  const src = new Int32Array(n);
  const idx = new Array<number>(outShape.length);
  for (let o = 0; o < n; o++) {
    let r = o;
    for (let d = 0; d < outShape.length; d++) {
      idx[d] = Math.floor(r / os[d]!);
      r -= idx[d]! * os[d]!;
    }
    if (extraDims) {
      src[o] = extraDims(idx);
      continue;
    }
    let f = 0;
    let pad = false;
    for (let d = 0; d < inShape.length; d++) {
      const j = srcDim(d, idx[d]!);
      if (j < 0) pad = true;
      f += j * is[d]!;
    }
    src[o] = pad ? PAD_FILL : f;
  }
  return src;
}

function transposePlan(node: GraphNode, x: number[]): Remap {
  const perm = (node.attrs.perm as number[] | undefined) ?? x.map((_, i) => x.length - 1 - i);
  if (perm.length !== x.length) throw new ShapeError(`node '${node.name}' (Transpose): perm [${perm}] does not fit input ${fmtShape(x)}`);
  const shape = perm.map((p) => x[p]!);
  const is = stridesOf(x);
  return { shape, src: planFromDims(shape, x, () => 0, (idx) => idx.reduce((f, v, d) => f + v * is[perm[d]!]!, 0)) };
}

function squeezePlan(node: GraphNode, x: number[], axesV: Value | undefined): Remap {
  const axes = intsOf(node, 'axes', axesV)?.map((a) => normAxis(a, x.length, node));
  const shape = x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  if (axes?.some((a) => x[a] !== 1)) throw new ShapeError(`node '${node.name}' (Squeeze): axes [${axes}] of ${fmtShape(x)} are not all 1`);
  return { shape, src: Int32Array.from({ length: sizeOf(x) }, (_, i) => i) };
}

function unsqueezePlan(node: GraphNode, x: number[], axesV: Value | undefined): Remap {
  const raw = intsOf(node, 'axes', axesV);
  if (!raw) throw new ShapeError(`node '${node.name}' (Unsqueeze): axes are required`);
  const rank = x.length + raw.length;
  const axes = raw.map((a) => normAxis(a, rank, node));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x[k++]!);
  return { shape, src: Int32Array.from({ length: sizeOf(x) }, (_, i) => i) };
}

function slicePlan(node: GraphNode, x: number[], ins: (Value | undefined)[]): Remap {
  const starts = intsOf(node, 'starts', ins[1]);
  const ends = intsOf(node, 'ends', ins[2]);
  if (!starts || !ends) throw new ShapeError(`node '${node.name}' (Slice): starts and ends are required`);
  const axes = (intsOf(node, 'axes', ins[3]) ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.length, node));
  const steps = intsOf(node, 'steps', ins[4]) ?? starts.map(() => 1);
  const begin = x.map(() => 0);
  const step = x.map(() => 1);
  const shape = [...x];
  axes.forEach((a, i) => {
    const dim = x[a]!;
    const st = steps[i]!;
    if (st === 0) throw new ShapeError(`node '${node.name}' (Slice): step 0`);
    const clampS = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
    let e = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
    if (st > 0) {
      s = clampS(s, 0, dim);
      e = clampS(e, 0, dim);
      shape[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = clampS(s, -1, dim - 1);
      e = clampS(e, -1, dim - 1);
      shape[a] = Math.max(0, Math.ceil((s - e) / -st));
    }
    begin[a] = s;
    step[a] = st;
  });
  return { shape, src: planFromDims(shape, x, (d, i) => begin[d]! + i * step[d]!) };
}

function gatherPlan(node: GraphNode, x: number[], indV: Value | undefined): Remap {
  const ind = requireInput(indV, 1, node);
  if (ind.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (Gather): indices must be constants`);
  const axis = normAxis(typeof node.attrs.axis === 'number' ? node.attrs.axis : 0, x.length, node);
  const idx = Array.from(ind.t.data, (v) => {
    const r = v < 0 ? v + x[axis]! : v;
    if (r < 0 || r >= x[axis]!) throw new ShapeError(`node '${node.name}' (Gather): index ${v} out of range for dim ${x[axis]}`);
    return r;
  });
  const shape = [...x.slice(0, axis), ...ind.t.shape, ...x.slice(axis + 1)];
  const is = stridesOf(x);
  const q = ind.t.shape.length;
  const iStr = stridesOf(ind.t.shape);
  return {
    shape,
    src: planFromDims(shape, x, () => 0, (o) => {
      let f = 0;
      for (let d = 0; d < axis; d++) f += o[d]! * is[d]!;
      let k = 0;
      for (let d = 0; d < q; d++) k += o[axis + d]! * iStr[d]!;
      f += idx[k]! * is[axis]!;
      for (let d = axis + 1; d < x.length; d++) f += o[d - 1 + q]! * is[d]!;
      return f;
    }),
  };
}

function padPlan(node: GraphNode, x: number[], ins: (Value | undefined)[]): Remap {
  const mode = typeof node.attrs.mode === 'string' ? node.attrs.mode : 'constant';
  const raw = intsOf(node, node.attrs.pads !== undefined ? 'pads' : 'paddings', ins[1]);
  if (!raw) throw new ShapeError(`node '${node.name}' (Pad): pads are required`);
  const cv = ins[2];
  if (cv && cv.kind !== 'const') throw new UnsupportedOpError(`node '${node.name}' (Pad): constant_value must be a constant`);
  const fill = cv ? cv.t.data[0] ?? 0 : typeof node.attrs.value === 'number' ? node.attrs.value : 0;
  const axes = (intsOf(node, 'axes', ins[3]) ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length, node));
  const pb = x.map(() => 0);
  const pe = x.map(() => 0);
  axes.forEach((a, i) => {
    pb[a] = raw[i]!;
    pe[a] = raw[i + axes.length]!;
  });
  const shape = x.map((d, i) => d + pb[i]! + pe[i]!);
  if (shape.some((d) => d < 0)) throw new ShapeError(`node '${node.name}' (Pad): pads [${raw}] remove more than ${fmtShape(x)}`);
  const srcDim = (d: number, i: number): number => {
    const n = x[d]!;
    let j = i - pb[d]!;
    if (j >= 0 && j < n) return j;
    switch (mode) {
      case 'constant':
        return PAD_FILL;
      case 'edge':
        return j < 0 ? 0 : n - 1;
      case 'reflect': {
        if (n === 1) return 0;
        const period = 2 * (n - 1);
        j = ((j % period) + period) % period;
        return j < n ? j : period - j;
      }
      case 'wrap':
        return ((j % n) + n) % n;
      default:
        throw new UnsupportedOpError(`node '${node.name}' (Pad): mode '${mode}' is not supported`);
    }
  };
  return { shape, src: planFromDims(shape, x, srcDim), fill };
}

function planFor(node: GraphNode, x: number[], ins: (Value | undefined)[]): Remap {
  switch (node.op) {
    case 'Transpose':
      return transposePlan(node, x);
    case 'Squeeze':
      return squeezePlan(node, x, ins[1]);
    case 'Unsqueeze':
      return unsqueezePlan(node, x, ins[1]);
    case 'Slice':
      return slicePlan(node, x, ins);
    case 'Gather':
      return gatherPlan(node, x, ins[1]);
    case 'Pad':
      return padPlan(node, x, ins);
    default:
      throw new Error(`unreachable: ${node.op}`);
  }
}

const asValues = (ts: (Tensor | undefined)[]): (Value | undefined)[] => ts.map((t) => (t ? { kind: 'const', t } : undefined));

export const Remaps: OpDef = {
  onnx: ['Transpose', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'Pad'],
  float(node, ins) {
    const x = requireInput(ins[0], 0, node);
    const p = planFor(node, x.shape, asValues(ins));
    return [{ shape: p.shape, data: Float64Array.from(p.src, (j) => (j === PAD_FILL ? p.fill ?? 0 : x.data[j]!)) }];
  },
  lower(ctx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new UnsupportedOpError(`node '${ctx.node.name}' (${ctx.node.op}): only the data input may depend on the model input`);
    const p = planFor(ctx.node, x.t.shape, ins);
    const fill = p.fill ? ctx.quantizeConst({ shape: [], data: new Float64Array([p.fill]) }, x.t.scale).ints[0]! : 0n;
    return [{ shape: p.shape, scale: x.t.scale, exprs: Array.from(p.src, (j) => (j === PAD_FILL ? linConst(fill) : x.t.exprs[j]!)) }];
  },
};

function concatAxis(node: GraphNode, shapes: number[][]): number {
  const rank = shapes[0]!.length;
  const axis = normAxis(typeof node.attrs.axis === 'number' ? node.attrs.axis : 0, rank, node);
  for (const s of shapes) {
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0]![i])) throw new ShapeError(`node '${node.name}' (Concat): shapes ${shapes.map(fmtShape).join(', ')} do not concatenate on axis ${axis}`);
  }
  return axis;
}

/** Concatenate flat element arrays along an axis. */
function concatFlat<T>(node: GraphNode, parts: { shape: number[]; xs: ArrayLike<T> }[]): { shape: number[]; xs: T[] } {
  const axis = concatAxis(node, parts.map((p) => p.shape));
  const outer = sizeOf(parts[0]!.shape.slice(0, axis));
  const shape = [...parts[0]!.shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
  const xs: T[] = [];
  for (let o = 0; o < outer; o++)
    for (const p of parts) {
      const block = sizeOf(p.shape.slice(axis));
      for (let i = 0; i < block; i++) xs.push(p.xs[o * block + i]!);
    }
  return { shape, xs };
}

export const Concat: OpDef = {
  onnx: ['Concat'],
  float(node, ins) {
    const r = concatFlat(node, ins.map((t, i) => requireInput(t, i, node)).map((t) => ({ shape: t.shape, xs: t.data })));
    return [{ shape: r.shape, data: Float64Array.from(r.xs) }];
  },
  lower(ctx: LowerCtx, ins) {
    const vs = ins.map((v, i) => requireInput(v, i, ctx.node));
    const s = Math.max(...vs.map((v) => (v.kind === 'q' ? v.t.scale : -Infinity)));
    const parts = vs.map((v) => {
      if (v.kind === 'const') return { shape: v.t.shape, xs: ctx.quantizeConst(v.t, s).ints.map(linConst) };
      const a: QTensor = ctx.alignUp(v.t, s);
      return { shape: a.shape, xs: a.exprs.map((e) => linAddScaled(linConst(0n), e, 1n)) };
    });
    const r = concatFlat(ctx.node, parts);
    return [{ shape: r.shape, scale: s, exprs: r.xs }];
  },
};
