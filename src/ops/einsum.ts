/**
 * Einsum of one or two operands with an explicit or implicit output (no ellipsis): a sum of products over
 * the contracted letters. With one constant operand every output is a linear combination (zero constraints,
 * as MatMul); with two signal operands each term is one product of the operands rescaled to the activation
 * scale (attention's Q·Kᵀ); one operand (transpose, trace, sums) is a linear remap.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { OpDef, QTensor, Value } from './types.js';
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
