/**
 * A seeded generator of small random ONNX graphs over the ops zkinfer supports (issue 14's property test):
 * dense chains (MatMul/Gemm, with or without bias, BatchNormalization after them, activations or none),
 * convolution stacks (Conv, BatchNormalization after Conv, pooling), residual Add, Concat of two branches,
 * Softmax / Sigmoid heads, Clip, Mul/Div/Sub by constants, and graphs with two outputs. Graph `index` of seed `seed` is always the same
 * graph (its own PRNG stream), so one failing graph of a large run can be rebuilt alone.
 *
 * Every tensor stays tiny (≤ 8 features, ≤ 2×6×6 images) so that circom compile, setup and prove of one
 * graph take about a second.
 */
import { writeOnnxModel } from '../../src/export/onnx-writer.js';
import type { OnnxInitializer, OnnxModelSpec, OnnxNode } from '../../src/export/onnx-writer.js';
import { mulberry32 } from '../../src/export/prng.js';

export interface RandomGraph {
  /** e.g. `s7-i12`: seed and index. */
  id: string;
  /** One line per node, for reports: what was built. */
  description: string;
  /** Op types in the graph (each once). */
  ops: string[];
  onnx: Uint8Array;
  inputName: string;
  inputShape: number[];
  outputNames: string[];
  /** Float range of the input (also written as the model's zkinfer.input_range metadata). */
  inputRange: [number, number];
  /** Sample inputs (flat, row-major), drawn uniformly from the input range. */
  samples: number[][];
}

interface T {
  name: string;
  shape: number[];
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Builds one graph: nodes and initializers appended in topological order. */
class Builder {
  nodes: OnnxNode[] = [];
  inits: OnnxInitializer[] = [];
  log: string[] = [];
  private n = 0;
  /** Widest dense layer, and the largest image side. */
  constructor(readonly rnd: () => number, readonly maxW: number, readonly maxSide: number) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<X>(xs: readonly X[]): X {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.rnd();
  }
  const(prefix: string, shape: number[], gen: () => number): string {
    const name = `${prefix}${this.n++}`;
    this.inits.push({ name, shape, data: Float32Array.from({ length: size(shape) }, gen) });
    return name;
  }
  node(op: string, inputs: string[], shape: number[], attributes?: OnnxNode['attributes'], note = ''): T {
    const name = `${op.toLowerCase()}${this.n++}`;
    this.nodes.push({ opType: op, name, inputs, outputs: [name], ...(attributes ? { attributes } : {}) });
    this.log.push(`${op}${note ? ` ${note}` : ''} → [${shape}]`);
    return { name, shape };
  }

  /** Weights of a layer with fan-in `fanIn`: uniform, times a gain that is sometimes small, sometimes large. */
  weights(fanIn: number): () => number {
    const gain = this.pick([0.05, 0.3, 1, 1, 1, 2]) / Math.sqrt(fanIn);
    return () => this.uniform(-1, 1) * gain * Math.sqrt(3);
  }

  dense(x: T, m: number): T {
    const n = x.shape[1]!;
    const w = this.weights(n);
    const bias = this.chance(0.6);
    if (this.chance(0.5)) {
      const transB = this.chance(0.3);
      const W = this.const('W', transB ? [m, n] : [n, m], w);
      const inputs = [x.name, W, ...(bias ? [this.const('b', [m], () => this.uniform(-0.5, 0.5))] : [])];
      return this.node('Gemm', inputs, [1, m], transB ? { transB: 1 } : undefined, `${n}→${m}${bias ? ' +b' : ''}`);
    }
    const y = this.node('MatMul', [x.name, this.const('W', [n, m], w)], [1, m], undefined, `${n}→${m}`);
    return bias ? this.node('Add', [y.name, this.const('b', [m], () => this.uniform(-0.5, 0.5))], [1, m], undefined, 'bias') : y;
  }

  /** BatchNormalization over axis 1 (PyTorch BatchNorm1d/2d after a layer), inference mode. */
  batchNorm(x: T): T {
    const c = x.shape[1]!;
    const tiny = this.chance(0.2); // a near-zero running variance: a large per-channel gain
    const ins = [
      this.const('gamma', [c], () => this.uniform(0.5, 2)),
      this.const('beta', [c], () => this.uniform(-0.5, 0.5)),
      this.const('mean', [c], () => this.uniform(-0.5, 0.5)),
      this.const('var', [c], () => (tiny ? this.uniform(0.005, 0.05) : this.uniform(0.1, 2))),
    ];
    return this.node('BatchNormalization', [x.name, ...ins], x.shape, undefined, tiny ? '(small variance)' : '');
  }

  /** Mul by a per-feature constant, Div by a scalar, or Sub of a constant (affine, like a folded scaler). */
  affine(x: T): T {
    const k = this.pick(['Mul', 'Div', 'Sub']);
    const c = x.shape[1]!;
    const shape = x.shape.length === 2 ? [c] : [c, 1, 1];
    if (k === 'Div') return this.node('Div', [x.name, this.const('d', [], () => this.pick([2, 3, 0.5, 10]))], x.shape);
    const v = this.const(k === 'Mul' ? 'm' : 's', shape, () => (k === 'Mul' ? this.uniform(-2, 2) : this.uniform(-1, 1)));
    return this.node(k, [x.name, v], x.shape);
  }

  activation(x: T, allowExp: boolean): T {
    const kinds = ['Relu', 'Relu', 'Clip', 'LeakyRelu', ...(allowExp && size(x.shape) <= this.maxW ? ['Sigmoid', 'Tanh'] : [])];
    const k = this.pick(kinds);
    if (k === 'Clip') {
      const lo = this.pick([0, -1, -0.5]);
      const hi = this.pick([1, 6, 0.5]);
      return this.node('Clip', [x.name, this.const('lo', [], () => lo), this.const('hi', [], () => hi)], x.shape, undefined, `[${lo}, ${hi}]`);
    }
    if (k === 'LeakyRelu') return this.node('LeakyRelu', [x.name], x.shape, { alpha: { float: this.pick([0.01, 0.1, 0.2]) } });
    return this.node(k, [x.name], x.shape);
  }

  conv(x: T, cOut: number): T {
    const [, c, h, w] = x.shape as [number, number, number, number];
    const k = Math.min(this.pick([1, 2, 3, 3]), h, w);
    const same = k === 3 && this.chance(0.6);
    const stride = !same && this.chance(0.25) ? 2 : 1;
    const pad = same ? 1 : 0;
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    const W = this.const('K', [cOut, c, k, k], this.weights(c * k * k));
    const bias = this.chance(0.6) ? [this.const('cb', [cOut], () => this.uniform(-0.5, 0.5))] : [];
    const attrs = { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] };
    return this.node('Conv', [x.name, W, ...bias], [1, cOut, oh, ow], attrs, `${c}→${cOut} k${k} s${stride} p${pad}`);
  }

  pool(x: T): T {
    const [, c, h, w] = x.shape as [number, number, number, number];
    const kind = this.pick(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool']);
    if (kind.startsWith('Global') || h < 2 || w < 2) return this.node(kind.startsWith('Global') ? kind : 'GlobalAveragePool', [x.name], [1, c, 1, 1]);
    const k = 2;
    const s = this.pick([1, 2]);
    return this.node(kind, [x.name], [1, c, Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1], { kernel_shape: [k, k], strides: [s, s] }, `k${k} s${s}`);
  }

  flatten(x: T): T {
    return this.node('Flatten', [x.name], [1, size(x.shape.slice(1))]);
  }
}

type Recipe = 'mlp' | 'linear-bn' | 'residual' | 'concat' | 'cnn' | 'two-outputs';
const RECIPES: Recipe[] = ['mlp', 'mlp', 'linear-bn', 'residual', 'concat', 'cnn', 'cnn', 'two-outputs'];

/** A dense chain of `layers` layers from width x to the given widths; BN and activation per layer by chance. */
function chain(b: Builder, x: T, widths: number[], opts: { bn: number; act: number; allowExp: boolean }): T {
  let t = x;
  widths.forEach((m, i) => {
    t = b.dense(t, m);
    if (b.chance(opts.bn)) t = b.batchNorm(t);
    if (b.chance(0.15)) t = b.affine(t);
    if (i < widths.length - 1 && b.chance(opts.act)) t = b.activation(t, opts.allowExp);
  });
  return t;
}

/** An optional head on a [1, n] tensor: Softmax, Sigmoid, Clip, or nothing. */
function head(b: Builder, t: T): T {
  const r = b.rnd();
  if (r < 0.25) return b.node('Softmax', [t.name], t.shape, { axis: 1 });
  if (r < 0.4) return b.node('Sigmoid', [t.name], t.shape);
  if (r < 0.5) return b.activation(t, false);
  return t;
}

const widthsOf = (b: Builder, layers: number, maxW: number): number[] => Array.from({ length: layers }, () => b.int(2, Math.min(maxW, b.maxW)));

/**
 * The graph `index` of the stream `seed`; `small` caps dense layers at 4 features and images at 4×4 (the
 * fast subset in `npm test`), else 8 and 6×6.
 * @example const g = randomGraph(7, 0); writeFileSync('g.onnx', g.onnx);
 */
export function randomGraph(seed: number, index: number, opts: { small?: boolean } = {}): RandomGraph {
  const rnd = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const b = new Builder(rnd, opts.small ? 4 : 8, opts.small ? 4 : 6);
  const recipe = b.pick(RECIPES);
  const range: [number, number] = b.pick([[-1, 1], [-1, 1], [0, 1], [-4, 4], [0, 8]] as [number, number][]);
  const outputs: T[] = [];
  let x: T;
  if (recipe === 'cnn') {
    x = { name: 'x', shape: [1, b.int(1, 2), b.int(4, b.maxSide), b.int(4, b.maxSide)] };
    let t = x;
    const blocks = b.int(1, 2);
    for (let i = 0; i < blocks; i++) {
      const before = t;
      t = b.conv(t, b.int(1, 3));
      if (b.chance(0.5)) t = b.batchNorm(t);
      if (b.chance(0.15)) t = b.affine(t);
      if (b.chance(0.7)) t = b.activation(t, false);
      // residual: a same-shape convolution branch added back
      if (b.chance(0.2) && before.shape.join() === t.shape.join()) t = b.node('Add', [before.name, t.name], t.shape, undefined, 'residual');
      if (b.chance(0.6)) t = b.pool(t);
    }
    t = b.flatten(t);
    if (size(t.shape) > 3 * b.maxW) t = b.dense(t, b.int(2, Math.min(6, b.maxW)));
    if (b.chance(0.6)) t = b.dense(t, b.int(2, Math.min(5, b.maxW)));
    outputs.push(head(b, t));
  } else {
    const n = b.int(2, Math.min(recipe === 'mlp' ? 8 : 6, b.maxW));
    x = { name: 'x', shape: [1, n] };
    if (recipe === 'mlp') {
      outputs.push(head(b, chain(b, x, widthsOf(b, b.int(1, 3), 8), { bn: 0.25, act: 0.7, allowExp: true })));
    } else if (recipe === 'linear-bn') {
      // PyTorch-style MatMul → BatchNorm → MatMul → BatchNorm → MatMul, no activation in between
      outputs.push(head(b, chain(b, x, widthsOf(b, b.int(2, 4), 6), { bn: 0.8, act: 0, allowExp: false })));
    } else if (recipe === 'residual') {
      let t = b.dense(x, n);
      if (b.chance(0.5)) t = b.activation(t, true);
      if (b.chance(0.4)) t = b.dense(t, n);
      t = b.node('Add', [x.name, t.name], t.shape, undefined, 'residual');
      if (b.chance(0.5)) t = b.dense(t, b.int(2, Math.min(5, b.maxW)));
      outputs.push(head(b, t));
    } else if (recipe === 'concat') {
      const l = chain(b, x, widthsOf(b, b.int(1, 2), 5), { bn: 0.3, act: 0.5, allowExp: true });
      const r = b.chance(0.3) ? x : chain(b, x, widthsOf(b, b.int(1, 2), 5), { bn: 0.3, act: 0.5, allowExp: true });
      let t = b.node('Concat', [l.name, r.name], [1, l.shape[1]! + r.shape[1]!], { axis: 1 });
      if (b.chance(0.6)) t = b.dense(t, b.int(2, Math.min(5, b.maxW)));
      outputs.push(head(b, t));
    } else {
      // two outputs: a shared trunk and two heads (or the trunk itself as the first output)
      const trunk = chain(b, x, widthsOf(b, b.int(1, 2), 6), { bn: 0.3, act: 0.6, allowExp: true });
      outputs.push(b.chance(0.3) ? trunk : head(b, b.dense(trunk, b.int(2, 4))));
      outputs.push(head(b, b.dense(trunk, b.int(2, 4))));
    }
  }
  const samples = Array.from({ length: 8 }, () => Array.from({ length: size(x.shape) }, () => b.uniform(range[0], range[1])));
  const outs = outputs.filter((o, i) => outputs.findIndex((p) => p.name === o.name) === i);
  const spec: OnnxModelSpec = {
    graphName: `random_${recipe}`,
    inputs: [{ name: x.name, shape: x.shape }],
    outputs: outs.map((o) => ({ name: o.name, shape: o.shape })),
    initializers: b.inits,
    nodes: b.nodes,
    metadata: { 'zkinfer.input_range': range.join(',') },
  };
  return {
    id: `s${seed}-i${index}`,
    description: `${recipe}, input [${x.shape}] in [${range}]: ${b.log.join('; ')}; outputs ${outs.map((o) => o.name).join(', ')}`,
    ops: [...new Set(b.nodes.map((nd) => nd.opType))],
    onnx: writeOnnxModel(spec),
    inputName: x.name,
    inputShape: x.shape,
    outputNames: outs.map((o) => o.name),
    inputRange: range,
    samples,
  };
}
