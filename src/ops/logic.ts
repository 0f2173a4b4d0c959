/**
 * Comparisons, boolean logic and Where. Booleans are bits at scale 0 (0 / 1).
 * - Less, LessOrEqual, Greater, GreaterOrEqual, Equal of two signals: the sign of d = a − b at a common scale,
 *   one decomposition of d's bound width each ([d ≤ −1], [d ≤ 0]; Equal takes both). Against a constant c the
 *   test is exact on the signal's grid: x ≤ c ⇔ X ≤ ⌊c·2^s⌋, x < c ⇔ X ≤ ⌈c·2^s⌉ − 1. Comparisons the proven
 *   bound already decides cost nothing. Ties are decided on the quantized values.
 * - Not: 1 − a. And: a·b, Or: a + b − a·b, Xor: a + b − 2·a·b (one product each; free with a constant).
 * - Where(c, x, y): c·(x − y) + y, one `select` per element (free when x and y are both constants).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { linAddScaled, linConst, linIsConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, QTensor, Value } from './types.js';
import { broadcastMap, broadcastShapes, requireInput } from './util.js';
import { binaryFloat } from './elementwise.js';
import { choose, leConst } from './compare.js';

type Cmp = 'Less' | 'LessOrEqual' | 'Greater' | 'GreaterOrEqual' | 'Equal';
const MIRROR: Record<Cmp, Cmp> = { Less: 'Greater', Greater: 'Less', LessOrEqual: 'GreaterOrEqual', GreaterOrEqual: 'LessOrEqual', Equal: 'Equal' };
const CMP_F: Record<Cmp, (a: number, b: number) => boolean> = {
  Less: (a, b) => a < b, LessOrEqual: (a, b) => a <= b, Greater: (a, b) => a > b, GreaterOrEqual: (a, b) => a >= b, Equal: (a, b) => a === b,
};

const one = linConst(1n);
const not = (e: Lin): Lin => linAddScaled(linConst(1n), e, -1n);
const sub = (a: Lin, b: Lin): Lin => linAddScaled(linAddScaled(linConst(0n), a, 1n), b, -1n);

/** op(x, c) for a signal x (integer X at scale s) and a float constant c, exact on the grid. */
function cmpConst(ctx: LowerCtx, op: Cmp, x: Lin, s: number, c: number): Lin {
  const t = c * 2 ** s;
  const fl = BigInt(Math.floor(t));
  const lt = BigInt(Math.ceil(t)) - 1n; // x < c ⇔ X ≤ ⌈t⌉ − 1
  switch (op) {
    case 'LessOrEqual': return leConst(ctx, x, fl);
    case 'Greater': return not(leConst(ctx, x, fl));
    case 'Less': return leConst(ctx, x, lt);
    case 'GreaterOrEqual': return not(leConst(ctx, x, lt));
    default: return Number.isInteger(t) ? sub(leConst(ctx, x, fl), leConst(ctx, x, fl - 1n)) : linConst(0n);
  }
}

/** op(a, b) for two signals at one scale: the sign of a − b. */
function cmpSignals(ctx: LowerCtx, op: Cmp, a: Lin, b: Lin): Lin {
  const d = sub(a, b);
  switch (op) {
    case 'LessOrEqual': return leConst(ctx, d, 0n);
    case 'Greater': return not(leConst(ctx, d, 0n));
    case 'Less': return leConst(ctx, d, -1n);
    case 'GreaterOrEqual': return not(leConst(ctx, d, -1n));
    default: return sub(leConst(ctx, d, 0n), leConst(ctx, d, -1n));
  }
}

/** Broadcast accessors of two operands at a common scale (constants quantized at it). */
function pair(ctx: LowerCtx, a: Value, b: Value) {
  const shape = broadcastShapes(a.t.shape, b.t.shape, ctx.node);
  const s0 = Math.max(a.kind === 'q' ? a.t.scale : -Infinity, b.kind === 'q' ? b.t.scale : -Infinity);
  const s = Number.isFinite(s0) ? s0 : ctx.scale; // two constant operands (Where): the activation scale
  const side = (v: Value): ((i: number) => Lin) => {
    const map = broadcastMap(shape, v.t.shape);
    if (v.kind === 'const') {
      const ints = ctx.quantizeConst(v.t, s).ints;
      return (i) => linConst(ints[map[i]!]!);
    }
    const q = ctx.alignUp(v.t, s);
    return (i) => q.exprs[map[i]!]!;
  };
  return { shape, s, n: shape.reduce((x, y) => x * y, 1), fa: side(a), fb: side(b) };
}

const two = (node: GraphNode, ins: (Value | undefined)[]): [Value, Value] => [requireInput(ins[0], 0, node), requireInput(ins[1], 1, node)];
const boolOut = (t: Tensor): Tensor => ({ ...t, dtype: 'bool' });

export const Compare: OpDef = {
  onnx: ['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal'],
  float: (node, [a, b]) => [boolOut(binaryFloat(node, requireInput(a, 0, node), requireInput(b, 1, node), (x, y) => (CMP_F[node.op as Cmp](x, y) ? 1 : 0)))],
  lower(ctx, ins) {
    const [a, b] = two(ctx.node, ins);
    const op = ctx.node.op as Cmp;
    if (a.kind === 'q' && b.kind === 'q') {
      const p = pair(ctx, a, b);
      return [{ shape: p.shape, scale: 0, exprs: Array.from({ length: p.n }, (_, i) => cmpSignals(ctx, op, p.fa(i), p.fb(i))) }];
    }
    const [q, c, o] = a.kind === 'q' ? [a.t, b.t as Tensor, op] : [b.t as QTensor, a.t, MIRROR[op]];
    const shape = broadcastShapes(q.shape, c.shape, ctx.node);
    const mq = broadcastMap(shape, q.shape);
    const mc = broadcastMap(shape, c.shape);
    return [{ shape, scale: 0, exprs: Array.from(mq, (j, i) => cmpConst(ctx, o, q.exprs[j]!, q.scale, c.data[mc[i]!]!)) }];
  },
};

const LOGIC_F: Record<string, (a: number, b: number) => number> = {
  And: (a, b) => (a && b ? 1 : 0), Or: (a, b) => (a || b ? 1 : 0), Xor: (a, b) => ((a ? 1 : 0) ^ (b ? 1 : 0)),
};

function logic(ctx: LowerCtx, op: string, a: Lin, b: Lin): Lin {
  const ab = linIsConst(a) ? linAddScaled(linConst(0n), b, a.c) : linIsConst(b) ? linAddScaled(linConst(0n), a, b.c) : ctx.b.mul(a, b, ctx.node.name);
  if (op === 'And') return ab;
  const sum = linAddScaled(linAddScaled(linConst(0n), a, 1n), b, 1n);
  return linAddScaled(sum, ab, op === 'Or' ? -1n : -2n);
}

export const Logic: OpDef = {
  onnx: ['And', 'Or', 'Xor', 'Not'],
  float(node, [a, b]) {
    const x = requireInput(a, 0, node);
    if (node.op === 'Not') return [boolOut({ shape: x.shape, data: x.data.map((v) => (v ? 0 : 1)) })];
    return [boolOut(binaryFloat(node, x, requireInput(b, 1, node), LOGIC_F[node.op]!))];
  },
  lower(ctx, ins) {
    if (ctx.node.op === 'Not') {
      const x = requireInput(ins[0], 0, ctx.node) as { kind: 'q'; t: QTensor };
      return [{ shape: x.t.shape, scale: 0, exprs: x.t.exprs.map(not) }];
    }
    const [a, b] = two(ctx.node, ins);
    const p = pair(ctx, a, b);
    return [{ shape: p.shape, scale: 0, exprs: Array.from({ length: p.n }, (_, i) => logic(ctx, ctx.node.op, p.fa(i), p.fb(i))) }];
  },
};

export const Where: OpDef = {
  onnx: ['Where'],
  float(node, [c0, x0, y0]) {
    const c = requireInput(c0, 0, node);
    const x = requireInput(x0, 1, node);
    const y = requireInput(y0, 2, node);
    const shape = broadcastShapes(broadcastShapes(c.shape, x.shape, node), y.shape, node);
    const [mc, mx, my] = [c, x, y].map((t) => broadcastMap(shape, t.shape)) as [Int32Array, Int32Array, Int32Array];
    return [{ shape, data: Float64Array.from(mc, (ci, i) => (c.data[ci] ? x.data[mx[i]!]! : y.data[my[i]!]!)) }];
  },
  lower(ctx, [c0, x0, y0]) {
    const node = ctx.node;
    const c = requireInput(c0, 0, node);
    const p = pair(ctx, requireInput(x0, 1, node), requireInput(y0, 2, node));
    const shape = broadcastShapes(c.t.shape, p.shape, node);
    const mc = broadcastMap(shape, c.t.shape);
    const mxy = broadcastMap(shape, p.shape);
    const cond = (i: number): Lin => (c.kind === 'const' ? linConst(c.t.data[mc[i]!] ? 1n : 0n) : c.t.exprs[mc[i]!]!);
    return [{ shape, scale: p.s, exprs: Array.from(mc, (_, i) => choose(ctx, cond(i), p.fa(mxy[i]!), p.fb(mxy[i]!))) }];
  },
};
