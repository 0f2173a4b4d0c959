/**
 * A small transformer encoder written as ONNX in the op form PyTorch's exporter produces at opset 17:
 * MatMul + Add (linear layers), Reshape + Transpose (heads), MatMul of two signals (Q·Kᵀ, P·V), Softmax,
 * LayerNormalization, GELU as x·0.5·(1 + Erf(x/√2)), ReduceMean (mean-pool), and a linear classifier.
 * Pre-LN blocks: h += Wo·Attention(LN(h)); h += W2·GELU(W1·LN(h)); logits = head(mean_t LN(h)).
 * Used by scripts/train-transformer.ts (trained weights) and test/transformer.test.ts (seeded weights).
 */
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import type { OnnxInitializer, OnnxNode } from '../src/export/onnx-writer.js';
import { mulberry32 } from '../src/export/prng.js';

export interface TransformerConfig {
  seq: number;
  /** input features per token */
  feat: number;
  d: number;
  heads: number;
  /** MLP hidden width */
  ff: number;
  layers: number;
  classes: number;
}

export const LN_EPS = 1e-5;

/** Parameter names and shapes ([in, out] for linear weights, as x·W). */
export function paramShapes(c: TransformerConfig): Record<string, number[]> {
  const s: Record<string, number[]> = { 'embed.weight': [c.feat, c.d], 'embed.bias': [c.d], pos: [c.seq, c.d], 'norm.weight': [c.d], 'norm.bias': [c.d], 'head.weight': [c.d, c.classes], 'head.bias': [c.classes] };
  for (let l = 0; l < c.layers; l++) {
    for (const n of ['q', 'k', 'v', 'o']) Object.assign(s, { [`l${l}.${n}.weight`]: [c.d, c.d], [`l${l}.${n}.bias`]: [c.d] });
    for (const n of ['ln1', 'ln2']) Object.assign(s, { [`l${l}.${n}.weight`]: [c.d], [`l${l}.${n}.bias`]: [c.d] });
    Object.assign(s, { [`l${l}.fc1.weight`]: [c.d, c.ff], [`l${l}.fc1.bias`]: [c.ff], [`l${l}.fc2.weight`]: [c.ff, c.d], [`l${l}.fc2.bias`]: [c.d] });
  }
  return s;
}

/** Seeded weights of a plausible magnitude (uniform ±1/√fan-in, LayerNorm scales near 1). */
export function seededParams(c: TransformerConfig, seed: number): Record<string, Float32Array> {
  const rnd = mulberry32(seed);
  return Object.fromEntries(
    Object.entries(paramShapes(c)).map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const ln = /(ln\d|norm)\.weight$/.test(name);
      const scale = shape.length === 2 ? 1 / Math.sqrt(shape[0]!) : 0.1;
      return [name, Float32Array.from({ length: n }, () => (ln ? 1 : 0) + (2 * rnd() - 1) * scale)];
    }),
  );
}

export interface TransformerOnnx {
  graphName: string;
  docString?: string;
  metadata?: Record<string, string>;
  /** Multiplies the embedding weights (e.g. 1/255 for raw 8-bit pixels); default 1. */
  inputFactor?: number;
}

/**
 * The ONNX model: input `tokens` [1, seq, feat], output `logits` [1, classes]. The attention's 1/√d_head is
 * folded into the query projection (as the exported graph would multiply it in anyway, at no cost).
 */
export function transformerOnnx(c: TransformerConfig, params: Record<string, Float32Array>, o: TransformerOnnx): Uint8Array {
  const dh = c.d / c.heads;
  const W = (n: string): Float32Array => {
    const w = params[n];
    if (!w) throw new Error(`missing parameter ${n}`);
    return w;
  };
  const inits: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  const init = (name: string, shape: number[], data: Float32Array | BigInt64Array): string => (inits.push({ name, shape, data }), name);
  const node = (opType: string, name: string, inputs: string[], attributes?: OnnxNode['attributes']): string => {
    nodes.push({ opType, name, inputs, outputs: [`${name}.out`], ...(attributes ? { attributes } : {}) });
    return `${name}.out`;
  };
  const lin = (x: string, name: string, shape: [number, number], w = W(`${name}.weight`), b = W(`${name}.bias`)): string =>
    node('Add', `${name}.add`, [node('MatMul', `${name}.matmul`, [x, init(`${name}.weight`, shape, w)]), init(`${name}.bias`, [shape[1]], b)]);
  const ln = (x: string, name: string): string =>
    node('LayerNormalization', name, [x, init(`${name}.weight`, [c.d], W(`${name}.weight`)), init(`${name}.bias`, [c.d], W(`${name}.bias`))], { axis: -1, epsilon: { float: LN_EPS } });
  const splitShape = init('shape.heads', [4], BigInt64Array.from([1, c.seq, c.heads, dh].map(BigInt)));
  const mergeShape = init('shape.merge', [3], BigInt64Array.from([1, c.seq, c.d].map(BigInt)));
  const sqrt2 = init('const.sqrt2', [], Float32Array.of(Math.SQRT2));
  const one = init('const.one', [], Float32Array.of(1));
  const half = init('const.half', [], Float32Array.of(0.5));

  const f = o.inputFactor ?? 1;
  let h = node('Add', 'pos.add', [lin('tokens', 'embed', [c.feat, c.d], W('embed.weight').map((w) => w * f)), init('pos', [c.seq, c.d], W('pos'))]);
  for (let l = 0; l < c.layers; l++) {
    const L = `l${l}`;
    const a = ln(h, `${L}.ln1`);
    const s = 1 / Math.sqrt(dh);
    const q = lin(a, `${L}.q`, [c.d, c.d], W(`${L}.q.weight`).map((w) => w * s), W(`${L}.q.bias`).map((w) => w * s));
    const k = lin(a, `${L}.k`, [c.d, c.d]);
    const v = lin(a, `${L}.v`, [c.d, c.d]);
    const heads = (x: string, n: string, perm: number[]): string => node('Transpose', `${L}.${n}.heads`, [node('Reshape', `${L}.${n}.split`, [x, splitShape])], { perm });
    const scores = node('MatMul', `${L}.scores`, [heads(q, 'q', [0, 2, 1, 3]), heads(k, 'k', [0, 2, 3, 1])]);
    const att = node('Softmax', `${L}.softmax`, [scores], { axis: -1 });
    const ctx = node('MatMul', `${L}.context`, [att, heads(v, 'v', [0, 2, 1, 3])]);
    const merged = node('Reshape', `${L}.merge`, [node('Transpose', `${L}.o.heads`, [ctx], { perm: [0, 2, 1, 3] }), mergeShape]);
    h = node('Add', `${L}.residual1`, [h, lin(merged, `${L}.o`, [c.d, c.d])]);
    const hidden = lin(ln(h, `${L}.ln2`), `${L}.fc1`, [c.d, c.ff]);
    // GELU as torch.onnx exports it at opset 17: x · 0.5 · (1 + erf(x / √2))
    const erf = node('Erf', `${L}.gelu.erf`, [node('Div', `${L}.gelu.div`, [hidden, sqrt2])]);
    const g = node('Mul', `${L}.gelu.half`, [node('Mul', `${L}.gelu.mul`, [hidden, node('Add', `${L}.gelu.add`, [erf, one])]), half]);
    h = node('Add', `${L}.residual2`, [h, lin(g, `${L}.fc2`, [c.ff, c.d])]);
  }
  const pooled = node('ReduceMean', 'pool', [ln(h, 'norm')], { axes: [1], keepdims: 0 });
  nodes.push({ opType: 'Identity', name: 'output', inputs: [lin(pooled, 'head', [c.d, c.classes])], outputs: ['logits'] });
  return writeOnnxModel({
    graphName: o.graphName,
    producer: 'zkinfer',
    docString: o.docString ?? '',
    opset: 17,
    inputs: [{ name: 'tokens', shape: [1, c.seq, c.feat] }],
    outputs: [{ name: 'logits', shape: [1, c.classes] }],
    initializers: inits,
    nodes,
    metadata: o.metadata ?? {},
  });
}
