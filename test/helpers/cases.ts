/**
 * Conformance cases: discovery over ../shared/conformance (every case, with the reason when skipped) and
 * the integer-path check (quantize → integer evaluator vs the float reference, no circuit). The
 * conformance runner (scripts/conformance.ts) and the tests share these.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseOnnx } from '../../src/import/onnx.js';
import type { Graph, Tensor } from '../../src/ir/graph.js';
import { intRange } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/index.js';
import { quantizeGraph, runFloat } from '../../src/quantize/quantize.js';
import { evaluate } from '../../src/quantize/program.js';
import type { Program } from '../../src/quantize/program.js';
import { quantizeInput } from '../../src/quantize/input.js';
import { caseDir, CONFORMANCE, loadDataSets } from './conformance.js';
import type { DataSet } from './conformance.js';

export interface Case {
  /** e.g. onnx-node/test_conv_with_strides_padding */
  id: string;
  dir: string;
  model: string;
  ops: string[];
  /** Why the case is out of scope; undefined when it runs. */
  skip?: string;
  /** For EZKL networks: the calibration / input file (input.json). */
  inputJson?: string;
  /** Settings: activation scale, param bits, input scale (default = scale). */
  scale: number;
  paramBits: number;
  inputScale?: number;
  /** Scales chosen by `--calibration` without `--scale` (compile's autoScale), calibrated on this directory's data sets. */
  autoScaleFrom?: string;
}

/** Activation scale used for the one-op cases: the tolerance derives from it. */
export const CASE_SCALE = 12;
/** Tolerance from the scale: 2^−(S−3) · (1 + |ref|), a few units of the activation scale, relative above 1. */
export const tolerance = (ref: number, scale = CASE_SCALE): number => 2 ** -(scale - 3) * (1 + Math.abs(ref));

/** Input positions that are parameters by the op's definition (constants in a real model). */
const PARAM_INPUTS: Record<string, number[]> = {
  BatchNormalization: [1, 2, 3, 4], PRelu: [1], Clip: [1, 2], Pad: [1, 2, 3],
  QuantizeLinear: [1, 2], DequantizeLinear: [1, 2], QLinearMatMul: [1, 2, 4, 5, 6, 7], QLinearConv: [1, 2, 4, 5, 6, 7, 8], MatMulInteger: [2, 3], ConvInteger: [2, 3],
};
/** Input positions of the integer ops that take integer data (uint8 / int8 / int32 tensors proved as exact integers). */
const INT_DATA_INPUTS: Record<string, number[]> = { DequantizeLinear: [0], QLinearMatMul: [0, 3], QLinearConv: [0, 3], MatMulInteger: [0, 1], ConvInteger: [0, 1] };
const INT_OPS = new Set(['QuantizeLinear', ...Object.keys(INT_DATA_INPUTS)]);
const feeds = (g: Graph, name: string, table: Record<string, number[]>) => {
  const uses = g.nodes.filter((n) => n.inputs.includes(name));
  return uses.length > 0 && uses.every((n) => n.inputs.some((x, k) => x === name && (table[n.op] ?? []).includes(k)));
};

/**
 * Graph inputs to fix as constants for a case: integer-typed ones (indices, shapes, axes) except integer data of
 * the int8 ops, and those feeding a parameter position (BatchNormalization statistics, PRelu slope, Clip bounds,
 * quantization scales and zero points). The backend tests feed them as inputs; in a deployed model they are
 * initializers, and zkinfer proves over the remaining tensors.
 */
export function paramInputs(g: Graph, ds: DataSet): number[] {
  return g.inputs
    .map((vi, i) => i)
    .filter((i) => {
      const dt = (ds.inputs[i] as Tensor & { dtype?: string }).dtype;
      const name = g.inputs[i]!.name;
      if (dt !== 'float32' && dt !== 'float64') return !feeds(g, name, INT_DATA_INPUTS);
      return feeds(g, name, PARAM_INPUTS);
    });
}

/** Reference outputs of integer type are compared exactly (error 0). */
export const isIntegerOutput = (t: Tensor): boolean => intRange(t.dtype) !== undefined;

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { onnx } = require('onnx-proto') as { onnx: any };

/**
 * A derived case directory where the parameter inputs are initializers (from the data set) and the data set
 * keeps only the remaining inputs. Returns the case unchanged when there is nothing to fix.
 */
export function withFixedParams(c: Case): Case & { fixed: string[] } {
  const g = parseOnnx(readFileSync(c.model), c.model);
  const [ds] = loadDataSets(c.dir);
  if (!ds) return { ...c, fixed: [] };
  const fix = paramInputs(g, ds);
  if (fix.length === 0) return { ...c, fixed: [] };
  const out = path.join(os.tmpdir(), 'zkinfer-cases', c.id.replace(/[\/]/g, '__'));
  const set = path.join(out, 'test_data_set_0');
  mkdirSync(set, { recursive: true });
  const m = onnx.ModelProto.decode(readFileSync(c.model));
  const names = fix.map((i) => g.inputs[i]!.name);
  const setDir = ds.dir;
  const files = readdirSync(setDir).filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const graphInputs = m.graph.input.filter((v: { name: string }) => !m.graph.initializer.some((t: { name: string }) => t.name === v.name));
  graphInputs.forEach((v: { name: string }, i: number) => {
    const bytes = readFileSync(path.join(setDir, files[i]!));
    if (names.includes(v.name)) {
      const t = onnx.TensorProto.decode(bytes);
      t.name = v.name;
      m.graph.initializer.push(t);
    }
  });
  m.graph.input = m.graph.input.filter((v: { name: string }) => !names.includes(v.name));
  let k = 0;
  graphInputs.forEach((v: { name: string }, i: number) => {
    if (!names.includes(v.name)) writeFileSync(path.join(set, `input_${k++}.pb`), readFileSync(path.join(setDir, files[i]!)));
  });
  for (const f of readdirSync(setDir).filter((f) => f.startsWith('output_'))) writeFileSync(path.join(set, f), readFileSync(path.join(setDir, f)));
  const model = path.join(out, 'model.onnx');
  writeFileSync(model, onnx.ModelProto.encode(m).finish());
  return { ...c, dir: out, model, fixed: names };
}

function opsOf(g: Graph): string[] {
  return [...new Set(g.nodes.map((n) => n.op))].sort();
}

/** Graph outputs computed from constants alone (no path from a graph input that is a signal). */
function constantOutputs(g: Graph, fixedInputs: number[]): string[] {
  const live = new Set(g.inputs.filter((_, i) => !fixedInputs.includes(i)).map((v) => v.name));
  for (const n of g.nodes) if (n.inputs.some((t) => live.has(t))) for (const t of n.outputs) live.add(t);
  return g.outputs.filter((o) => !live.has(o.name)).map((o) => `'${o.name}'`);
}

function scopeReason(g: Graph, dir: string): string | undefined {
  const bad = opsOf(g).filter((o) => !OPS.has(o));
  if (bad.length) return `op ${bad.join(', ')} not supported`;
  if (g.nodes.every((n) => OPS.get(n.op)?.shapeOnly)) return 'the output is the static input shape: a constant, nothing to prove';
  const [ds] = loadDataSets(dir);
  if (!ds) return 'no reference data set';
  const fixed = paramInputs(g, ds);
  const signals = ds.inputs.filter((_, i) => !fixed.includes(i));
  // ArgMax's output is an integer index (int64 reference compared as a number); the int8 ops take and give
  // integer tensors (exact integers at scale 0)
  const intOps = g.nodes.some((n) => INT_OPS.has(n.op));
  const outs = opsOf(g).includes('ArgMax') || intOps ? [] : ds.outputs;
  const dtypes = [...new Set([...(intOps ? [] : signals), ...outs].map((t) => (t as Tensor & { dtype?: string }).dtype))];
  if (dtypes.some((d) => d !== 'float32' && d !== 'float64')) return `integer-typed data (${dtypes.join(', ')}): an integer op, not a float model to prove in fixed point`;
  if (signals.some((t) => t.data.length === 0)) return 'empty input tensor: nothing to prove';
  if (ds.outputs.some((t) => t.data.some((v) => Number.isNaN(v)))) return 'reference output has NaN (e.g. sqrt of a negative): no fixed-point value to prove';
  if (signals.length === 0) return 'no graph inputs left (constant model)';
  const constant = constantOutputs(g, fixed);
  if (constant.length) return `graph output ${constant.join(', ')} does not depend on any graph input: a constant, nothing to prove`;
  if (signals.some((t) => t.data.some((v) => Math.abs(v) > 1e30))) return 'reference inputs are uninitialized memory (|x| up to 1e200+): refused at compile as overflow, as it must be';
  return undefined;
}

function onnxCases(suite: string): Case[] {
  const root = caseDir(suite);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'model.onnx')))
    .sort()
    .map((d) => {
      const dir = path.join(root, d);
      const model = path.join(dir, 'model.onnx');
      let g: Graph;
      try {
        g = parseOnnx(readFileSync(model), model);
      } catch (e) {
        return { id: `${suite}/${d}`, dir, model, ops: [], skip: `does not parse: ${(e as Error).message}`, scale: CASE_SCALE, paramBits: 16 };
      }
      return { id: `${suite}/${d}`, dir, model, ops: opsOf(g), skip: scopeReason(g, dir), scale: CASE_SCALE, paramBits: 16 };
    });
}

/** Every case in ../shared/conformance, in a stable order. */
export function allCases(): Case[] {
  const out: Case[] = [...onnxCases('onnx-node'), ...onnxCases('onnx-pytorch')];
  const models = onnxCases('models');
  for (const c of models) {
    if (c.id.endsWith('mnist-8') || c.id.endsWith('mnist-8-opt-wonnx')) out.push({ ...c, scale: 4, paramBits: 8, inputScale: 0 });
    else out.push(c);
  }
  // mnist-8 cut after each layer: one input each (pixels 0..255), so the scales are chosen automatically
  // from mnist-8's six reference inputs, as for the whole network
  for (const c of onnxCases(path.join('models', 'mnist-layers-connxr'))) out.push({ ...c, autoScaleFrom: caseDir('models', 'mnist-8') });
  // 1l_sigmoid: EZKL's error is 2.98e-8 (one float32 ulp); at scale 2^28 zkinfer's is 2.6e-8
  for (const c of onnxCases(path.join('models', 'ezkl'))) out.push({ ...c, inputJson: path.join(c.dir, 'input.json'), ...(c.id.endsWith('1l_sigmoid') ? { scale: 28 } : {}) });
  out.push({ id: 'models/tfjs-abalone', dir: caseDir('models', 'tfjs-abalone'), model: caseDir('models', 'tfjs-abalone', 'model.json'), ops: ['Dense', 'Sigmoid'], skip: 'TF.js reference format (reference_tfjs_*.json): proved in test/tfjs.test.ts', scale: CASE_SCALE, paramBits: 16 });
  return out;
}

export interface IntegerCheck {
  program: Program;
  maxAbsError: number;
  /** max over elements of |err| / tolerance(ref): ≤ 1 passes. */
  worstRatio: number;
  argmaxAgrees: boolean;
}

const argmax = (xs: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[b]!) b = i;
  return b;
};

/** Declared input ranges from the data sets themselves (what `--calibration` does). */
export function rangesFrom(g: Graph, sets: DataSet[], scale: number) {
  return g.inputs.map((vi, i) => {
    let min = Infinity;
    let max = -Infinity;
    for (const s of sets) for (const v of s.inputs[i]!.data) (min = Math.min(min, v)), (max = Math.max(max, v));
    return { name: vi.name, scale, min, max };
  });
}

/** Quantize with ranges from the data, evaluate the integer program, compare with the float reference. */
export function integerCheck(c0: Case): IntegerCheck {
  const c = withFixedParams(c0);
  const [ds] = loadDataSets(c.dir) as [DataSet];
  const g = parseOnnx(readFileSync(c.model), c.model);
  g.inputs.forEach((vi, i) => (vi.shape = ds.inputs[i]!.shape.length ? ds.inputs[i]!.shape : vi.shape));
  const program = quantizeGraph(g, { scale: c.scale, paramBits: c.paramBits, inputs: rangesFrom(g, [ds], c.inputScale ?? c.scale) });
  const ints = ds.inputs.map((t, i) => quantizeInput(Array.from(t.data), { ...program.inputs[i]! }, 'data set'));
  const r = evaluate(program, ints);
  let maxAbsError = 0;
  let worstRatio = 0;
  let argmaxAgrees = true;
  program.outputs.forEach((o, k) => {
    const ref = ds.outputs[k]!.data;
    const q = r.outputs[k]!.map((v) => Number(v) / 2 ** o.scale);
    if (q.length !== ref.length) throw new Error(`${c.id}: output ${k} has ${q.length} values, reference ${ref.length}`);
    const exact = isIntegerOutput(ds.outputs[k]!);
    q.forEach((v, j) => {
      const e = Math.abs(v - ref[j]!);
      maxAbsError = Math.max(maxAbsError, e);
      worstRatio = Math.max(worstRatio, exact && e > 0 ? Infinity : e / tolerance(ref[j]!, c.scale));
    });
    if (argmax(q) !== argmax(ref)) argmaxAgrees = false;
  });
  return { program, maxAbsError, worstRatio, argmaxAgrees };
}

/** The float reference path agrees with the ONNX reference data (checks each op's float semantics). */
export function floatCheck(c0: Case): number {
  const c = withFixedParams(c0);
  const [ds] = loadDataSets(c.dir) as [DataSet];
  const g = parseOnnx(readFileSync(c.model), c.model);
  g.inputs.forEach((vi, i) => (vi.shape = ds.inputs[i]!.shape.length ? ds.inputs[i]!.shape : vi.shape));
  const outs = runFloat(g, ds.inputs);
  let worst = 0;
  outs.forEach((o, k) => o.data.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ds.outputs[k]!.data[j]!) / (1e-4 * (1 + Math.abs(ds.outputs[k]!.data[j]!)))))));
  return worst;
}

export { CONFORMANCE };
