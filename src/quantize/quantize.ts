/**
 * Float graph → quantized integer program. Walks the nodes in order; nodes whose inputs are all
 * constants are folded with their float reference; every other node is lowered by its OpDef.
 */
import type { Graph, GraphNode, Tensor, ValueInfo } from '../ir/graph.js';
import { intRange, sizeOf } from '../ir/graph.js';
import { OPS, supportedOps } from '../ops/index.js';
import type { LowerCtx, QTensor, Value } from '../ops/types.js';
import { linAddScaled, linConst, linSignal } from './lin.js';
import { ProgramBuilder } from './program.js';
import { foldBatchNormIntoGemm, optimizeGraph } from './passes.js';
import type { Program } from './program.js';
import { stepCost } from '../estimate/constraints.js';
import { OverflowError, ShapeError, UnsupportedOpError } from '../errors.js';

export interface InputDecl {
  name: string;
  /** Fixed-point scale of this input (bits). 0 for inputs that are already integers. */
  scale: number;
  /** Declared float range, inclusive. */
  min: number;
  max: number;
  /** Resolved shape (symbolic dimensions fixed), when reproducing a circuit. */
  shape?: number[];
}

export interface QuantizeSettings {
  /** fixed: parameters are circuit constants; private/hashed: parameter inputs of ops become private signals. */
  paramVisibility?: 'fixed' | 'private' | 'hashed';
  /** Activation scale in bits: tensors are rescaled to it before non-linear ops. */
  scale: number;
  /** Bits of precision for constant parameters (per-tensor power-of-two scale). */
  paramBits: number;
  inputs: InputDecl[];
  /**
   * Round outputs finer than this scale to it (half up; one decomposition per value). Default: outputs finer
   * than scaleLimit are rounded to the activation scale, others kept as computed (see outputScaleFor).
   */
  outputScale?: number;
}

/**
 * An integer-typed graph input (uint8, int8, int32 …) is an exact integer: scale 0, and the full range of
 * its type (what the circuit range-checks), whatever range was declared for it.
 */
export function integerInputDecl(vi: ValueInfo, d: InputDecl): InputDecl {
  const r = intRange(vi.dtype);
  return r ? { ...d, scale: 0, min: r[0], max: r[1] } : d;
}

/** Round half away from zero to a bigint. */
export const roundToBig = (x: number): bigint => BigInt(Math.sign(x) * Math.round(Math.abs(x)));

/** Per-tensor power-of-two scale giving max|w|·2^s ≈ 2^(bits−1), never negative. */
export function paramScale(data: Float64Array, bits: number): number {
  let max = 0;
  for (const v of data) max = Math.max(max, Math.abs(v));
  if (max === 0 || !Number.isFinite(max)) return 0;
  return Math.max(0, Math.min(60, bits - 1 - Math.ceil(Math.log2(max))));
}

export function checkSupported(graph: Graph, fileName: string): void {
  for (const n of graph.nodes) {
    if (!OPS.has(n.op)) {
      throw new UnsupportedOpError(`${fileName}: node '${n.name}' uses op ${n.op}, which zkinfer does not support`, {
        hint: `supported ops: ${supportedOps().join(', ')}`,
      });
    }
  }
}

export function floatValue(graph: Graph, name: string, env: Map<string, Tensor>): Tensor | undefined {
  return env.get(name) ?? graph.constants.get(name);
}

/**
 * Run the float reference of every op: the float path of the pipeline.
 * @example const [logits] = runFloat(parseOnnx(readFileSync('model.onnx')), [{ shape: [1, 784], data: pixels }]);
 */
export function runFloat(graph: Graph, inputs: Tensor[]): Tensor[] {
  checkSupported(graph, graph.name);
  const env = new Map<string, Tensor>();
  graph.inputs.forEach((vi, i) => env.set(vi.name, inputs[i]!));
  for (const node of graph.nodes) {
    const outs = OPS.get(node.op)!.float(node, node.inputs.map((n) => (n === '' ? undefined : floatValue(graph, n, env))));
    outs.forEach((t, i) => node.outputs[i] && env.set(node.outputs[i]!, t));
  }
  return graph.outputs.map((o) => {
    const t = env.get(o.name) ?? graph.constants.get(o.name);
    if (!t) throw new ShapeError(`graph output '${o.name}' is not produced by any node`);
    return t;
  });
}

/**
 * Quantize and lower a graph into an integer program with proven bounds.
 * @example const program = quantizeGraph(graph, { scale: 12, paramBits: 12, inputs: [{ name: 'x', scale: 12, min: -1, max: 1 }] });
 */
export function quantizeGraph(original: Graph, settings: QuantizeSettings): Program {
  checkSupported(original, original.name);
  const optimized = optimizeGraph(original);
  const graph = { ...optimized, constants: new Map(optimized.constants) }; // folds at lowering add constants
  const b = new ProgramBuilder();
  const env = new Map<string, Value>();
  for (const vi of graph.inputs) {
    const d0 = settings.inputs.find((x) => x.name === vi.name);
    if (!d0) throw new ShapeError(`no range declared for graph input '${vi.name}'`);
    const d = integerInputDecl(vi, d0);
    const f = 2 ** d.scale;
    const ids = b.addInput(vi.name, vi.shape, d.scale, BigInt(Math.floor(d.min * f)), BigInt(Math.ceil(d.max * f)), sizeOf(vi.shape));
    env.set(vi.name, { kind: 'q', t: { shape: vi.shape, scale: d.scale, exprs: ids.map(linSignal) } });
  }
  for (const [name, t] of graph.constants) if (!env.has(name)) env.set(name, { kind: 'const', t });

  const paramSignals = new Map<string, Value>();
  const asSignals = settings.paramVisibility === 'private' || settings.paramVisibility === 'hashed';
  const folded = new Set<GraphNode>();
  for (let node of graph.nodes) {
    if (folded.has(node)) continue;
    const first = env.get(node.inputs[0] ?? '');
    const fold = first?.kind === 'q' ? foldBatchNormIntoGemm(graph, node, first.t.shape.length) : undefined;
    if (fold) {
      for (const [name, t] of fold.constants) graph.constants.set(name, t), env.set(name, { kind: 'const', t });
      folded.add(fold.bn);
      node = fold.node;
    }
    const op = OPS.get(node.op)!;
    const ins = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
    if (asSignals && ins.some((v) => v?.kind === 'q')) {
      // Parameters (initializers in an op's parameter slots) become private, range-checked signals.
      for (const i of op.paramInputs ?? []) {
        const name = node.inputs[i];
        const v = ins[i];
        if (!name || v?.kind !== 'const' || !graph.constants.has(name)) continue;
        let q = paramSignals.get(name);
        if (!q) {
          const s = paramScale(v.t.data, settings.paramBits);
          const ids = b.addParam(name, v.t.shape, s, Array.from(v.t.data, (x) => roundToBig(x * 2 ** s)));
          q = { kind: 'q', t: { shape: v.t.shape, scale: s, exprs: ids.map(linSignal) } };
          paramSignals.set(name, q);
        }
        ins[i] = q;
      }
      refuseFixedParams(node, ins, op.paramInputs ?? [], graph, settings.paramVisibility!);
    }
    node.inputs.forEach((n, i) => {
      if (n !== '' && ins[i] === undefined) throw new ShapeError(`node '${node.name}' (${node.op}): input '${n}' is not defined before use`);
    });
    if (op.shapeOnly || ins.every((v) => v === undefined || v.kind === 'const')) {
      const outs = op.float(node, ins.map((v) => (v?.kind === 'q' ? { shape: v.t.shape, data: new Float64Array(sizeOf(v.t.shape)) } : v?.t)));
      outs.forEach((t, i) => node.outputs[i] && env.set(node.outputs[i]!, { kind: 'const', t }));
      continue;
    }
    const ctx: LowerCtx = {
      b,
      node,
      scale: settings.scale,
      quantizeConst(t, scale) {
        const s = scale ?? paramScale(t.data, settings.paramBits);
        const f = 2 ** s;
        return { scale: s, ints: Array.from(t.data, (v) => roundToBig(v * f)) };
      },
      alignUp(q, s) {
        if (s === q.scale) return q;
        const k = 1n << BigInt(s - q.scale);
        return { shape: q.shape, scale: s, exprs: q.exprs.map((e) => linAddScaled(linConst(0n), e, k)) };
      },
      requant(q, relu) {
        const k = Math.max(0, q.scale - settings.scale);
        if (k === 0 && !relu) return q;
        const half = k > 0 ? 1n << BigInt(k - 1) : 0n; // round half up
        const exprs = q.exprs.map((e) => b.rescale(linAddScaled(linConst(half), e, 1n), k, relu, node.name));
        return { shape: q.shape, scale: q.scale - k, exprs };
      },
    };
    // parameters carried as signals keep their own scale: only activations are rebased
    const activations = ins.map((v, i) => v?.kind === 'q' && !paramSignals.has(node.inputs[i]!));
    const outs = lowerRebased(b, settings, (vals) => op.lower(ctx, vals), ins, activations, node.name);
    outs.forEach((t, i) => node.outputs[i] && env.set(node.outputs[i]!, { kind: 'q', t }));
  }
  for (const o of graph.outputs) {
    const v = env.get(o.name);
    if (!v) throw new ShapeError(`graph output '${o.name}' is not produced by any node`);
    if (v.kind !== 'q') throw new ShapeError(`graph output '${o.name}' does not depend on any input`);
    const target = outputScaleFor(settings, v.t.scale);
    const t = v.t.scale > target ? rescaleTo(b, v.t, target, `${o.name} (output rescale)`) : v.t;
    b.addOutput(o.name, t.shape, t.scale, t.exprs, o.name, v.t.scale);
  }
  return b.build();
}

/**
 * The finest scale a tensor may carry before it is rebased: an activation times one parameter tensor. A
 * parameter's scale is paramBits − 1 − ⌈log2 max|w|⌉, at most paramBits + 7 for weights of 2^-8 or more. A
 * chain of linear ops without a non-linearity (MatMul → BatchNorm → MatMul, residual sums, products by
 * constants) otherwise adds one parameter scale per op, until bounds approach the field (2^89 outputs were seen).
 */
export const scaleLimit = (s: Pick<QuantizeSettings, 'scale' | 'paramBits'>): number => s.scale + s.paramBits + 7;

/**
 * The scale an output is given: `outputScale` when set; by default outputs finer than scaleLimit are rounded to
 * the activation scale (finer digits are below the precision of the computation) and others kept as computed.
 */
export const outputScaleFor = (s: Pick<QuantizeSettings, 'scale' | 'paramBits' | 'outputScale'>, computed: number): number =>
  s.outputScale ?? (computed > scaleLimit(s) ? s.scale : computed);

/** round(q / 2^(q.scale − target)), half up: one proven rescale per element. */
function rescaleTo(b: ProgramBuilder, q: QTensor, target: number, node: string): QTensor {
  const k = q.scale - target;
  if (k <= 0) return q;
  const half = 1n << BigInt(k - 1);
  return { shape: q.shape, scale: target, exprs: q.exprs.map((e) => b.rescale(linAddScaled(linConst(half), e, 1n), k, false, node)) };
}

const stepsCost = (b: ProgramBuilder, from: number): number => {
  let c = 0;
  for (let i = from; i < b.steps.length; i++) {
    const g = stepCost(b.steps[i]!);
    c += g.nonLinear + g.linear;
  }
  return c;
};

/**
 * Lower one node; when an activation input already carries more than the activation scale and the output
 * would pass scaleLimit, rebase at the cheaper of two points (constraints counted, as in estimate): the inputs
 * (each rescaled to the activation scale before the op) or the outputs (rescaled after it to the scale the
 * first choice gives). A MatMul 784 → 32 is rebased after (32 rescales), a BatchNorm before or after alike
 * (the input is narrower). Overflow of a candidate rules it out; the bound analysis still refuses what fits neither.
 */
function lowerRebased(b: ProgramBuilder, settings: QuantizeSettings, lower: (ins: (Value | undefined)[]) => QTensor[], ins: (Value | undefined)[], activations: boolean[], node: string): QTensor[] {
  const S = settings.scale;
  const high = (v: Value | undefined, i: number): v is { kind: 'q'; t: QTensor } => activations[i]! && v?.kind === 'q' && v.t.scale > S;
  if (!ins.some(high)) return lower(ins);
  const m = b.mark();
  const attempt = (f: () => QTensor[]): QTensor[] | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof OverflowError) return undefined;
      throw e;
    }
  };
  const asIs = attempt(() => lower(ins));
  // ops that do not raise the scale (reshapes, sums, requantizing activations) are never rebased
  const limit = Math.max(scaleLimit(settings), ...ins.map((v) => (v?.kind === 'q' ? v.t.scale : 0)));
  if (asIs && asIs.every((t) => t.scale <= limit)) return asIs;
  b.rollback(m);
  // the rescales are steps of the builder: made again after every rollback
  const lowerRebasedInputs = () => lower(ins.map((v, i) => (high(v, i) ? { kind: 'q' as const, t: rescaleTo(b, v.t, S, `${node} (rebase)`) } : v)));
  const before = attempt(lowerRebasedInputs);
  if (!before) {
    b.rollback(m);
    return lowerRebasedInputs(); // throws the bound analysis' error
  }
  const costBefore = stepsCost(b, m.steps);
  b.rollback(m);
  const outs = asIs && attempt(() => lower(ins).map((t, i) => rescaleTo(b, t, Math.max(before[i]!.scale, S), `${node} (rebase)`)));
  if (outs && stepsCost(b, m.steps) < costBefore) return outs;
  b.rollback(m);
  return lowerRebasedInputs();
}

/**
 * With private/hashed parameters every weight tensor must become a signal. An op that takes a weight
 * tensor only as a constant (e.g. Conv) would leave it in the circuit, visible to anyone holding it:
 * refuse rather than silently ignore the visibility asked for. Integer tensors (shapes, pads, axes,
 * indices) and scalars (Clip bounds, division by a constant) are structure, not weights, and stay constants
 * — except in the int8 ops, whose weights are integers.
 */
function refuseFixedParams(node: Graph['nodes'][number], ins: (Value | undefined)[], paramInputs: number[], graph: Graph, visibility: string): void {
  ins.forEach((v, i) => {
    const name = node.inputs[i];
    if (!name || v?.kind !== 'const' || !graph.constants.has(name) || paramInputs.includes(i) || v.t.data.length < 2) return;
    if (!/Integer$|^QLinear/.test(node.op) && v.t.data.every(Number.isInteger)) return;
    throw new UnsupportedOpError(
      `node '${node.name}' (${node.op}): parameter '${name}' [${v.t.shape.join('×')}] can only be a constant of the circuit, so --param-visibility ${visibility} would leave it visible`,
      { hint: `compile with --param-visibility fixed (the default); private and hashed parameters are supported in the slots of ${[...OPS].filter(([, o]) => o.paramInputs?.length).map(([n]) => n).join(', ')}` },
    );
  });
}
