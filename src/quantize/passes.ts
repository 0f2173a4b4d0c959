/**
 * Graph passes run before lowering (each returns a new graph with the same float semantics):
 * - foldBatchNorm: Conv(W, B) → BatchNormalization with constant parameters becomes one Conv(W·a, B·a + b),
 *   so the product is quantized once.
 * - fuseMaxPoolRelu: Relu → MaxPool and MaxPool → Relu become one MaxPool with a fused ReLU
 *   (max(relu(a), relu(b)) = relu(max(a, b))): the max runs on the accumulators, then one fused
 *   rescale+ReLU per pooled output instead of one per input element.
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

/** All passes, in order. */
export const optimizeGraph = (g: Graph): Graph => fuseMaxPoolRelu(foldBatchNorm(g));
