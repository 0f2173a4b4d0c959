/**
 * Einsum of one or two operands with an explicit or implicit output (no ellipsis): a sum of products over
 * the contracted letters. With one constant operand every output is a linear combination (zero constraints,
 * as MatMul); with two signal operands each term is one product of the operands rescaled to the activation
 * scale (attention's Q·Kᵀ); one operand (transpose, trace, sums) is a linear remap.
 *
 * Resize with mode `nearest` (every coordinate_transformation_mode and nearest_mode of opset 11+, scales or
 * sizes): an index remap, zero constraints.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

interface EinsumPlan {
  shape: number[];
  /** per output element, the list of [index into operand 0, index into operand 1 (or −1)] terms */
  terms: [number, number][][];
}

function einsumPlan(node: GraphNode, shapes: number[][]): EinsumPlan {
  const eq = String(node.attrs.equation ?? '').replace(/\s/g, '');
  const where = `node '${node.name}' (Einsum)`;
  if (eq.includes('.')) throw new UnsupportedOpError(`${where}: ellipsis in '${eq}' is not supported`, { hint: 'write the batch letters explicitly' });
  const [lhs, rhs0] = eq.split('->') as [string, string | undefined];
  const ops = lhs.split(',');
  if (ops.length !== shapes.length || ops.length > 2) throw new UnsupportedOpError(`${where}: '${eq}' must have one or two operands matching the inputs`);
  const dim = new Map<string, number>();
  ops.forEach((o, k) => {
    if (o.length !== shapes[k]!.length) throw new ShapeError(`${where}: operand '${o}' does not fit shape [${shapes[k]}]`);
    [...o].forEach((c, i) => {
      const d = shapes[k]![i]!;
      if (dim.has(c) && dim.get(c) !== d) throw new ShapeError(`${where}: letter '${c}' is ${dim.get(c)} and ${d}`);
      dim.set(c, d);
    });
  });
  const counts = new Map<string, number>();
  for (const c of ops.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
  const out = rhs0 ?? [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort().join('');
  const summed = [...dim.keys()].filter((c) => !out.includes(c));
  const shape = [...out].map((c) => dim.get(c)!);
  const letters = [...out, ...summed];
  const sizes = letters.map((c) => dim.get(c)!);
  const strides = ops.map((o, k) => {
    const st = stridesOf(shapes[k]!);
    return letters.map((c) => [...o].reduce((a, ch, i) => (ch === c ? a + st[i]! : a), 0));
  });
  const nOut = sizeOf(shape);
  const nSum = sizeOf(summed.map((c) => dim.get(c)!));
  const terms: [number, number][][] = [];
  const idx = new Array<number>(letters.length).fill(0);
  for (let o = 0; o < nOut; o++) {
    const list: [number, number][] = [];
    for (let s = 0; s < nSum; s++) {
      let r = o * nSum + s;
      for (let d = letters.length - 1; d >= 0; d--) {
        idx[d] = r % sizes[d]!;
        r = Math.floor(r / sizes[d]!);
      }
      const at = (k: number) => idx.reduce((a, v, d) => a + v * strides[k]![d]!, 0);
      list.push([at(0), ops.length > 1 ? at(1) : -1]);
    }
    terms.push(list);
  }
  return { shape, terms };
}

export const Einsum: OpDef = {
  onnx: ['Einsum'],
  paramInputs: [0, 1],
  float(node, ins) {
    const ts = ins.map((t, i) => requireInput(t, i, node));
    const p = einsumPlan(node, ts.map((t) => t.shape));
    const data = Float64Array.from(p.terms, (list) => list.reduce((a, [i, j]) => a + ts[0]!.data[i]! * (j >= 0 ? ts[1]!.data[j]! : 1), 0));
    return [{ shape: p.shape, data } satisfies Tensor];
  },
  lower(ctx, ins) {
    const vs = ins.map((v, i) => requireInput(v, i, ctx.node));
    const p = einsumPlan(ctx.node, vs.map((v) => v.t.shape));
    if (vs.length === 1) {
      const x = vs[0]!.t as QTensor;
      return [{ shape: p.shape, scale: x.scale, exprs: p.terms.map((list) => list.reduce((acc, [i]) => linAddScaled(acc, x.exprs[i]!, 1n), linConst(0n))) }];
    }
    const [a, b] = vs as [Value, Value];
    if (a.kind === 'q' && b.kind === 'q') {
      const x = ctx.requant(a.t, false);
      const y = ctx.requant(b.t, false);
      const exprs = p.terms.map((list) => list.reduce((acc, [i, j]) => linAddScaled(acc, ctx.b.mul(x.exprs[i]!, y.exprs[j]!, ctx.node.name), 1n), linConst(0n)));
      return [{ shape: p.shape, scale: x.scale + y.scale, exprs }];
    }
    const [q, c, first] = a.kind === 'q' ? [a.t, b.t as Tensor, true] : [b.t as QTensor, a.t, false];
    const k = ctx.quantizeConst(c);
    const exprs = p.terms.map((list) => list.reduce((acc, [i, j]) => linAddScaled(acc, q.exprs[first ? i : j]!, k.ints[first ? j : i]!), linConst(0n)));
    return [{ shape: p.shape, scale: q.scale + k.scale, exprs }];
  },
};

/** Resize (nearest): for every output element its source element. */
function resizePlan(node: GraphNode, x: number[], ins: (Value | undefined)[]): { shape: number[]; src: Int32Array } {
  const where = `node '${node.name}' (Resize)`;
  const mode = String(node.attrs.mode ?? 'nearest');
  if (mode !== 'nearest') throw new UnsupportedOpError(`${where}: mode '${mode}' is not supported`, { hint: 'mode nearest is supported' });
  const cst = (v: Value | undefined, what: string) => {
    if (!v) return undefined;
    if (v.kind !== 'const') throw new UnsupportedOpError(`${where}: ${what} must be a constant`);
    return v.t.data.length ? Array.from(v.t.data) : undefined;
  };
  let scales = cst(ins[2], 'scales');
  const sizes = cst(ins[3], 'sizes');
  if (node.attrs.axes !== undefined || node.attrs.keep_aspect_ratio_policy !== undefined && node.attrs.keep_aspect_ratio_policy !== 'stretch') throw new UnsupportedOpError(`${where}: axes / keep_aspect_ratio_policy are not supported`);
  const shape = sizes ? sizes.map(Math.round) : x.map((d, i) => Math.floor(d * scales![i]!));
  if (!scales) scales = shape.map((d, i) => d / x[i]!);
  if (shape.length !== x.length) throw new ShapeError(`${where}: ${shape.length} output dims for rank ${x.length}`);
  const ctm = String(node.attrs.coordinate_transformation_mode ?? 'half_pixel');
  const nm = String(node.attrs.nearest_mode ?? 'round_prefer_floor');
  const orig = (o: number, d: number): number => {
    const s = scales![d]!;
    const lenIn = x[d]!;
    const lenOut = shape[d]!;
    switch (ctm) {
      case 'asymmetric': return o / s;
      case 'align_corners': return lenOut === 1 ? 0 : (o * (lenIn - 1)) / (lenOut - 1);
      case 'pytorch_half_pixel': return lenOut > 1 ? (o + 0.5) / s - 0.5 : 0;
      case 'tf_half_pixel_for_nn': return (o + 0.5) / s;
      case 'half_pixel': return (o + 0.5) / s - 0.5;
      default: throw new UnsupportedOpError(`${where}: coordinate_transformation_mode '${ctm}' is not supported`);
    }
  };
  const near = (v: number): number => {
    switch (nm) {
      case 'floor': return Math.floor(v);
      case 'ceil': return Math.ceil(v);
      case 'round_prefer_ceil': return Math.floor(v + 0.5);
      default: return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
    }
  };
  const maps = shape.map((n, d) => Array.from({ length: n }, (_, o) => Math.min(Math.max(near(orig(o, d)), 0), x[d]! - 1)));
  const os = stridesOf(shape);
  const is = stridesOf(x);
  const src = new Int32Array(sizeOf(shape));
  for (let o = 0; o < src.length; o++) {
    let f = 0;
    for (let d = 0; d < shape.length; d++) f += maps[d]![Math.floor(o / os[d]!) % shape[d]!]! * is[d]!;
    src[o] = f;
  }
  return { shape, src };
}

const asValues = (ts: (Tensor | undefined)[]): (Value | undefined)[] => ts.map((t) => (t ? { kind: 'const', t } : undefined));

export const Resize: OpDef = {
  onnx: ['Resize'],
  float(node, ins) {
    const x = requireInput(ins[0], 0, node);
    const p = resizePlan(node, x.shape, asValues(ins));
    return [{ shape: p.shape, data: Float64Array.from(p.src, (j) => x.data[j]!) }];
  },
  lower(ctx: LowerCtx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new UnsupportedOpError(`node '${ctx.node.name}' (Resize): only the data input may depend on the model input`);
    const p = resizePlan(ctx.node, x.t.shape, ins);
    return [{ shape: p.shape, scale: x.t.scale, exprs: Array.from(p.src, (j): Lin => x.t.exprs[j]!) }];
  },
};
