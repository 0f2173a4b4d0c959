/**
 * ArgMax (exact): along an axis, a left-to-right scan keeping (best value, best index). Each step takes
 * the sign bit of the difference from one decomposition of the bound's width (`bits`) and moves value and
 * index with one `select` each: (m_diff + 2) + 2 constraints per element. Ties give the first index, or
 * the last with select_last_index (the comparison is x > best, or x ≥ best). The output is an integer
 * index (scale 0). Ties are decided on the quantized values.
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import { signedWidth } from '../quantize/program.js';
import type { OpDef } from './types.js';
import { attrNum, requireInput } from './util.js';
import { ShapeError } from '../errors.js';

function plan(node: GraphNode, shape: number[]) {
  const a0 = attrNum(node, 'axis', 0);
  const axis = a0 < 0 ? a0 + shape.length : a0;
  if (axis < 0 || axis >= shape.length) throw new ShapeError(`node '${node.name}' (${node.op}): axis ${a0} out of range for rank ${shape.length}`);
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = attrNum(node, 'keepdims', 1) ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) rows.push(Array.from({ length: n }, (_, k) => (o * n + k) * inner + i));
  return { out, rows, last: attrNum(node, 'select_last_index', 0) === 1 };
}

export const ArgMax: OpDef = {
  onnx: ['ArgMax'],
  float(node, [x0]) {
    const x = requireInput(x0, 0, node);
    const p = plan(node, x.shape);
    const data = Float64Array.from(p.rows, (row) => {
      let best = 0;
      row.forEach((idx, k) => {
        const v = x.data[idx]!;
        const b = x.data[row[best]!]!;
        if (v > b || (p.last && v === b)) best = k;
      });
      return best;
    });
    return [{ shape: p.out, data } satisfies Tensor];
  },
  lower(ctx, [x0]) {
    const v = requireInput(x0, 0, ctx.node);
    if (v.kind !== 'q') throw new Error('unreachable: constant ArgMax is folded');
    const p = plan(ctx.node, v.t.shape);
    const b = ctx.b;
    const name = ctx.node.name;
    const exprs = p.rows.map((row) => {
      let best: Lin = v.t.exprs[row[0]!]!;
      let idx: Lin = linConst(0n);
      for (let k = 1; k < row.length; k++) {
        const x = v.t.exprs[row[k]!]!;
        // d ≥ 0 ⇔ take x: d = x − best − 1 (strictly greater: first index) or x − best (last index)
        const d = linAddScaled(linAddScaled(linConst(p.last ? 0n : -1n), x, 1n), best, -1n);
        const [lo, hi] = b.bounds(d);
        const m = signedWidth(lo, hi, 1);
        const bits = b.bits(linAddScaled(linConst(1n << BigInt(m)), d, 1n), m + 1, name);
        const s = bits[m]!;
        best = b.select(s, x, best, name);
        idx = b.select(s, linConst(BigInt(k)), idx, name);
      }
      return idx;
    });
    return [{ shape: p.out, scale: 0, exprs }];
  },
};
