/**
 * Graph passes run before lowering (each returns a new graph with the same float semantics):
 * - foldBatchNorm: Conv(W, B) → BatchNormalization with constant parameters becomes one Conv(W·a, B·a + b),
 *   so the product is quantized once.
 * - foldBatchNormIntoGemm (at lowering, where shapes are known): the same for MatMul/Gemm → BatchNormalization.
 * - fuseMaxPoolRelu: Relu → MaxPool and MaxPool → Relu become one MaxPool with a fused ReLU
 *   (max(relu(a), relu(b)) = relu(max(a, b))): the max runs on the accumulators, then one fused
 *   rescale+ReLU per pooled output instead of one per input element.
 * - fuseGelu: PyTorch's opset < 20 GELU, x·0.5·(1 + Erf(x/√2)) as Div → Erf → Add → Mul → Mul, becomes one
 *   Gelu node: one product and no rescale between the pieces (the pieces cost two more rescales per element).
 */
import type { Graph, GraphNode, Tensor } from '../ir/graph.js';
import { batchNormAffine } from '../ops/batchnorm.js';
import { FUSED_RELU } from '../ops/pool.js';

function consumers(g: Graph): Map<string, GraphNode[]> {
  const m = new Map<string, GraphNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) m.set(i, [...(m.get(i) ?? []), n]);
  return m;
}

/** The single consumer of a tensor, if it has exactly one and is not a graph output. */
function soleConsumer(g: Graph, uses: Map<string, GraphNode[]>, t: string): GraphNode | undefined {
  const u = uses.get(t);
  if (!u || u.length !== 1 || g.outputs.some((o) => o.name === t)) return undefined;
  return u[0];
}

export function foldBatchNorm(g: Graph): Graph {
  const uses = consumers(g);
  const constants = new Map(g.constants);
  const drop = new Set<GraphNode>();
  const nodes = g.nodes.map((n) => {
    if (n.op !== 'Conv') return n;
    const bn = soleConsumer(g, uses, n.outputs[0]!);
    const w = constants.get(n.inputs[1]!);
    const b = n.inputs[2] ? constants.get(n.inputs[2]) : undefined;
    if (!bn || bn.op !== 'BatchNormalization' || bn.inputs[0] !== n.outputs[0] || !w || (n.inputs[2] && !b)) return n;
    if (bn.outputs.filter((o) => o).length > 1) return n;
    const params = bn.inputs.map((i) => (i ? constants.get(i) : undefined));
    if (params.slice(1, 5).some((t) => !t)) return n;
    const { a, b: shift } = batchNormAffine(bn, params);
    const M = w.shape[0]!;
    if (a.length !== M) return n;
    const per = w.data.length / M;
    const w2: Tensor = { shape: w.shape, data: w.data.map((v, i) => v * a[Math.floor(i / per)]!) };
    const b2: Tensor = { shape: [M], data: Float64Array.from(shift, (s, m) => s + (b ? b.data[m]! * a[m]! : 0)) };
    const wn = `${n.name}::bn_folded_W`;
    const bnName = `${n.name}::bn_folded_B`;
    constants.set(wn, w2);
    constants.set(bnName, b2);
    drop.add(bn);
    return { ...n, inputs: [n.inputs[0]!, wn, bnName], outputs: [bn.outputs[0]!], attrs: { ...n.attrs } };
  });
  return { ...g, constants, nodes: nodes.filter((n) => !drop.has(n)) };
}

export function fuseMaxPoolRelu(g: Graph): Graph {
  const uses = consumers(g);
  const drop = new Set<GraphNode>();
  const replaced = new Map<GraphNode, GraphNode>();
  for (const n of g.nodes) {
    if (drop.has(n)) continue;
    if (n.op === 'Relu') {
      const p = soleConsumer(g, uses, n.outputs[0]!);
      if (p && (p.op === 'MaxPool' || p.op === 'GlobalMaxPool') && p.inputs[0] === n.outputs[0] && !replaced.has(p)) {
        drop.add(n);
        replaced.set(p, { ...p, inputs: [n.inputs[0]!, ...p.inputs.slice(1)], attrs: { ...p.attrs, [FUSED_RELU]: 1 } });
      }
    } else if ((n.op === 'MaxPool' || n.op === 'GlobalMaxPool') && !replaced.has(n) && n.outputs.filter((o) => o).length === 1) {
      const r = soleConsumer(g, uses, n.outputs[0]!);
      if (r && r.op === 'Relu') {
        drop.add(r);
        replaced.set(n, { ...n, outputs: [r.outputs[0]!], attrs: { ...n.attrs, [FUSED_RELU]: 1 } });
      }
    }
  }
  return { ...g, nodes: g.nodes.filter((n) => !drop.has(n)).map((n) => replaced.get(n) ?? n) };
}

/** The scalar value of a constant input, if it is one. */
function scalarConst(g: Graph, name: string | undefined): number | undefined {
  const t = name === undefined ? undefined : g.constants.get(name);
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

export function fuseGelu(g: Graph): Graph {
  const uses = consumers(g);
  const drop = new Set<GraphNode>();
  const replaced = new Map<GraphNode, GraphNode>();
  const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-6 * want;
  /** The other input of a binary node whose one input is `t`, and that other input's scalar constant value. */
  const other = (n: GraphNode, t: string): number | undefined => (n.inputs.length === 2 && n.inputs.includes(t) ? scalarConst(g, n.inputs[n.inputs[0] === t ? 1 : 0]) : undefined);
  for (const div of g.nodes) {
    if (div.op !== 'Div' || !near(scalarConst(g, div.inputs[1]), Math.SQRT2) || g.constants.has(div.inputs[0]!)) continue;
    const x = div.inputs[0]!;
    const erf = soleConsumer(g, uses, div.outputs[0]!);
    const add = erf?.op === 'Erf' ? soleConsumer(g, uses, erf.outputs[0]!) : undefined;
    const mul = add?.op === 'Add' && other(add, erf!.outputs[0]!) === 1 ? soleConsumer(g, uses, add.outputs[0]!) : undefined;
    if (mul?.op !== 'Mul' || !mul.inputs.includes(x) || !mul.inputs.includes(add!.outputs[0]!)) continue;
    const half = soleConsumer(g, uses, mul.outputs[0]!);
    if (half?.op !== 'Mul' || other(half, mul.outputs[0]!) !== 0.5) continue;
    for (const n of [div, erf!, add!, mul]) drop.add(n);
    replaced.set(half, { name: `${half.name}::gelu`, op: 'Gelu', inputs: [x], outputs: [half.outputs[0]!], attrs: {} });
  }
  return { ...g, nodes: g.nodes.filter((n) => !drop.has(n)).map((n) => replaced.get(n) ?? n) };
}

/**
 * BatchNormalization right after a MatMul or Gemm with constant weights, on a 2-D output (channels are its
 * columns; `aRank` is the rank of the MatMul's first operand, known only when lowering): one Gemm
 * alpha·A·(B·diag(a)) + (beta·C·a + shift). Without it the affine map would be a second product by a
 * parameter, and the chain would be rebased twice per layer instead of once.
 */
export function foldBatchNormIntoGemm(g: Graph, n: GraphNode, aRank: number): { node: GraphNode; constants: [string, Tensor][]; bn: GraphNode } | undefined {
  if (!(n.op === 'Gemm' || (n.op === 'MatMul' && aRank === 2))) return undefined;
  const bn = soleConsumer(g, consumers(g), n.outputs[0]!);
  const w = g.constants.get(n.inputs[1]!);
  const c = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
  if (!bn || bn.op !== 'BatchNormalization' || bn.inputs[0] !== n.outputs[0] || bn.outputs.filter((o) => o).length > 1) return undefined;
  if (!w || w.shape.length !== 2 || (n.inputs[2] && !c)) return undefined;
  const params = bn.inputs.map((i) => (i ? g.constants.get(i) : undefined));
  if (params.slice(1, 5).some((t) => !t)) return undefined;
  const transB = n.op === 'Gemm' && n.attrs.transB === 1;
  const H = transB ? w.shape[0]! : w.shape[1]!;
  const { a, b: shift } = batchNormAffine(bn, params);
  if (a.length !== H || (c && c.data.length !== H && c.data.length !== 1)) return undefined; // a per-row bias does not fold
  const beta = n.op === 'Gemm' && typeof n.attrs.beta === 'number' ? n.attrs.beta : 1;
  const col = (i: number) => (transB ? Math.floor(i / w.shape[1]!) : i % H);
  const w2: Tensor = { shape: w.shape, data: w.data.map((v, i) => v * a[col(i)]!) };
  const c2: Tensor = { shape: [H], data: Float64Array.from(shift, (s, h) => s + (c ? beta * c.data[c.data.length === 1 ? 0 : h]! * a[h]! : 0)) };
  const [wn, cn] = [`${n.name}::bn_folded_W`, `${n.name}::bn_folded_B`];
  const attrs = n.op === 'Gemm' ? { ...n.attrs, beta: 1 } : {};
  return { node: { ...n, op: 'Gemm', inputs: [n.inputs[0]!, wn, cn], outputs: [bn.outputs[0]!], attrs }, constants: [[wn, w2], [cn, c2]], bn };
}

/** All passes, in order. */
export const optimizeGraph = (g: Graph): Graph => fuseGelu(fuseMaxPoolRelu(foldBatchNorm(g)));
