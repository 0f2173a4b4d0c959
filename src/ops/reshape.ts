/** Shape-only ops: Reshape, Flatten, Identity, Dropout (inference). They move no data and cost nothing. */
import type { GraphNode } from '../ir/graph.js';
import { fmtShape, sizeOf } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { attrNum, requireInput } from './util.js';
import { ShapeError } from '../errors.js';

function reshapeTarget(node: GraphNode, inShape: number[], spec: number[]): number[] {
  const allowZero = attrNum(node, 'allowzero', 0) === 1;
  const out = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i] ?? 0 : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const free = out.filter((d) => d === -1).length;
  if (free > 1) throw new ShapeError(`node '${node.name}' (Reshape): more than one -1 in target shape ${fmtShape(spec)}`);
  if (free === 1) out[out.indexOf(-1)] = known === 0 ? 0 : sizeOf(inShape) / known;
  if (sizeOf(out) !== sizeOf(inShape) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`node '${node.name}' (Reshape): cannot reshape ${fmtShape(inShape)} to ${fmtShape(spec)}`);
  }
  return out;
}

function shapeFor(node: GraphNode, inShape: number[], shapeInput: number[] | undefined): number[] {
  switch (node.op) {
    case 'Reshape': {
      const spec = shapeInput ?? (node.attrs.shape as number[] | undefined);
      if (!spec) throw new ShapeError(`node '${node.name}' (Reshape): target shape is not a constant`);
      return reshapeTarget(node, inShape, spec);
    }
    case 'Flatten': {
      let axis = attrNum(node, 'axis', 1);
      if (axis < 0) axis += inShape.length;
      return [sizeOf(inShape.slice(0, axis)), sizeOf(inShape.slice(axis))];
    }
    default:
      return inShape;
  }
}

const withShape = (v: Value, shape: number[]): Value => (v.kind === 'const' ? { kind: 'const', t: { ...v.t, shape } } : { kind: 'q', t: { ...v.t, shape } });

export const Reshape: OpDef = {
  onnx: ['Reshape', 'Flatten', 'Identity', 'Dropout'],
  float: (node, [x, s]) => {
    const t = requireInput(x, 0, node);
    return [{ shape: shapeFor(node, t.shape, s ? Array.from(s.data) : undefined), data: t.data }];
  },
  lower: (ctx, [x, s]) => {
    const v = requireInput(x, 0, ctx.node);
    if (ctx.node.op === 'Reshape' && s && s.kind !== 'const') throw new ShapeError(`node '${ctx.node.name}' (Reshape): target shape must be a constant`);
    const spec = s?.kind === 'const' ? Array.from(s.t.data) : undefined;
    const out = withShape(v, shapeFor(ctx.node, v.t.shape, ctx.node.op === 'Reshape' ? spec : undefined));
    if (out.kind !== 'q') throw new Error('unreachable: constant reshape is folded');
    return [out.t];
  },
};
