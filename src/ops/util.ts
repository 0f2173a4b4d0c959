/** Index plans shared by the float reference and the integer lowering of each op. */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { fmtShape, sizeOf, stridesOf } from '../ir/graph.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';
import type { OpDef, Value } from './types.js';

export const shapeOfValue = (v: Value): number[] => v.t.shape;

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: number[], b: number[], node: GraphNode): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(`node '${node.name}' (${node.op}): shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For every flat index of `out`, the flat index of the broadcast source of shape `src`. */
export function broadcastMap(out: number[], src: number[]): Int32Array {
  const n = sizeOf(out);
  const map = new Int32Array(n);
  const os = stridesOf(out);
  const ss = stridesOf(src);
  const off = out.length - src.length;
  for (let i = 0; i < n; i++) {
    let r = i;
    let j = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(r / os[d]!);
      r -= c * os[d]!;
      const sd = d - off;
      if (sd >= 0 && src[sd] !== 1) j += c * ss[sd]!;
    }
    map[i] = j;
  }
  return map;
}

/**
 * MatMul plan (numpy semantics incl. 1-D operands and batch broadcast): output shape, K and, for
 * every output element o and k, the flat indices into A and B.
 */
export function matmulPlan(aShape: number[], bShape: number[], node: GraphNode) {
  const a = aShape.length === 1 ? [1, aShape[0]!] : aShape;
  const b = bShape.length === 1 ? [bShape[0]!, 1] : bShape;
  if (a.length < 2 || b.length < 2) throw new ShapeError(`node '${node.name}' (${node.op}): scalar operands are not valid`);
  const [M, K] = a.slice(-2) as [number, number];
  const [K2, N] = b.slice(-2) as [number, number];
  if (K !== K2) throw new ShapeError(`node '${node.name}' (${node.op}): inner dimensions differ: ${fmtShape(aShape)} × ${fmtShape(bShape)}`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), node);
  const aBatch = broadcastMap(batch, a.slice(0, -2));
  const bBatch = broadcastMap(batch, b.slice(0, -2));
  const nb = sizeOf(batch);
  const size = nb * M * N;
  const aIdx = new Int32Array(size * K);
  const bIdx = new Int32Array(size * K);
  for (let bi = 0; bi < nb; bi++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        const o = (bi * M + i) * N + j;
        for (let k = 0; k < K; k++) {
          aIdx[o * K + k] = aBatch[bi]! * M * K + i * K + k;
          bIdx[o * K + k] = bBatch[bi]! * K * N + k * N + j;
        }
      }
  let outShape = [...batch, M, N];
  if (aShape.length === 1) outShape = [...batch, N];
  if (bShape.length === 1) outShape = aShape.length === 1 ? [...batch] : [...batch, M];
  return { outShape, K, size, aIdx, bIdx };
}

export function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data: out };
}

/** Permute a generic flat array for a 2-D transpose. */
export function transposeFlat<T>(xs: T[], shape: number[]): T[] {
  const [r, c] = shape as [number, number];
  const out = new Array<T>(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = xs[i * c + j]!;
  return out;
}

export function attrNum(node: GraphNode, name: string, dflt: number): number {
  const v = node.attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new UnsupportedOpError(`node '${node.name}' (${node.op}): attribute '${name}' must be a number`);
  return v;
}

export function requireInput<T>(v: T | undefined, i: number, node: GraphNode): T {
  if (v === undefined) throw new ShapeError(`node '${node.name}' (${node.op}): input ${i} is missing`);
  return v;
}

/** The float reference of an elementwise op: `fn` applied to every value of input 0. */
export const mapFloat = (fn: (v: number) => number): OpDef['float'] => (node, [x]) => {
  const t = requireInput(x, 0, node);
  return [{ shape: t.shape, data: t.data.map(fn) }];
};
