/**
 * The common ops that the shared conformance data has no case for (Pow, Exp, ReduceMax/Min/SumSquare/L2,
 * comparisons, Not/And/Or/Xor, Where, Expand, Tile, Split, Shape, ConstantOfShape, Cast, Resize in the configurations of
 * onnx's backend cases test_resize_*, which ../shared/conformance does not carry): one-node models
 * written with src/export/onnx-writer.ts, random inputs, onnxruntime-node as the reference. The float
 * reference must match it, and the integer program (the witness's exact twin) must be within the conformance
 * tolerance 2^−(S−3)·(1 + |ref|), booleans and integers exactly. A chain of them is compiled (which checks the
 * witness against the integer program signal by signal), proven and verified.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel, OnnxDataType } from '../src/export/onnx-writer.js';
import type { OnnxAttributeValue, OnnxInitializer } from '../src/export/onnx-writer.js';
import { parseOnnx } from '../src/import/onnx.js';
import { quantizeGraph, runFloat } from '../src/quantize/quantize.js';
import { evaluate } from '../src/quantize/program.js';
import { quantizeInput } from '../src/quantize/input.js';
import { mulberry32 } from '../src/export/prng.js';
import { tolerance } from './helpers/cases.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';
import { compileModel } from '../src/compile.js';

const S = 12;

interface OpCase {
  name: string;
  op: string;
  /** shapes of the float signal inputs X0, X1, … */
  ins: number[][];
  /** constant inputs after the signals (initializers) */
  consts?: OnnxInitializer[];
  attrs?: Record<string, OnnxAttributeValue>;
  outs?: number;
  /** inputs as 0/1 values (boolean ops take comparisons' outputs) */
  bool?: boolean;
  range?: [number, number];
  opset?: number;
}

const i64 = (name: string, v: number[], shape = [v.length]): OnnxInitializer => ({ name, shape, data: BigInt64Array.from(v.map(BigInt)) });
const f32 = (name: string, v: number[], shape: number[] = []): OnnxInitializer => ({ name, shape, data: Float32Array.from(v) });

const CASES: OpCase[] = [
  { name: 'Pow x^2', op: 'Pow', ins: [[2, 5]], consts: [f32('e', [2])] },
  { name: 'Pow x^3', op: 'Pow', ins: [[7]], consts: [f32('e', [3])] },
  { name: 'Pow x^0.5 (Sqrt)', op: 'Pow', ins: [[6]], consts: [f32('e', [0.5])], range: [0, 4] },
  { name: 'Exp', op: 'Exp', ins: [[2, 4]], range: [-4, 3] },
  { name: 'ReduceMax axis 1', op: 'ReduceMax', ins: [[3, 5]], attrs: { axes: [1], keepdims: 1 }, opset: 13 },
  { name: 'ReduceMin all', op: 'ReduceMin', ins: [[3, 4]], attrs: { keepdims: 0 }, opset: 13 },
  { name: 'ReduceSumSquare axis 0', op: 'ReduceSumSquare', ins: [[3, 4]], attrs: { axes: [0], keepdims: 0 }, opset: 13 },
  { name: 'ReduceL2 axis -1', op: 'ReduceL2', ins: [[2, 6]], attrs: { axes: [-1], keepdims: 1 }, opset: 13 },
  { name: 'Less (two signals)', op: 'Less', ins: [[3, 4], [4]] },
  { name: 'GreaterOrEqual (two signals)', op: 'GreaterOrEqual', ins: [[12], [12]] },
  { name: 'Greater than a constant', op: 'Greater', ins: [[12]], consts: [f32('c', [0.3])] },
  { name: 'LessOrEqual than a constant', op: 'LessOrEqual', ins: [[12]], consts: [f32('c', [-0.7])] },
  { name: 'Equal (two signals)', op: 'Equal', ins: [[10], [10]], range: [-2, 2] },
  { name: 'And', op: 'And', ins: [[8], [8]], bool: true },
  { name: 'Or', op: 'Or', ins: [[8], [8]], bool: true },
  { name: 'Xor', op: 'Xor', ins: [[8], [8]], bool: true },
  { name: 'Not', op: 'Not', ins: [[8]], bool: true },
  { name: 'Where', op: 'Where', ins: [[6], [6], [6]], bool: true },
  { name: 'Expand', op: 'Expand', ins: [[3, 1]], consts: [i64('shape', [2, 3, 4])] },
  { name: 'Tile', op: 'Tile', ins: [[2, 3]], consts: [i64('reps', [2, 2])] },
  { name: 'Split (sizes input)', op: 'Split', ins: [[2, 6]], consts: [i64('split', [2, 4])], attrs: { axis: 1 }, outs: 2 },
  { name: 'Split (num_outputs)', op: 'Split', ins: [[6, 2]], attrs: { num_outputs: 3 }, outs: 3 },
  { name: 'Einsum matmul with a constant', op: 'Einsum', ins: [[2, 3]], consts: [f32('w', [0.5, -1, 0.25, 2, 1.5, -0.75], [3, 2])], attrs: { equation: 'ij,jk->ik' } },
  { name: 'Einsum batched, two signals (attention)', op: 'Einsum', ins: [[2, 2, 3], [2, 3, 2]], attrs: { equation: 'bij,bjk->bik' } },
  { name: 'Einsum transpose and implicit output', op: 'Einsum', ins: [[2, 3]], attrs: { equation: 'ij' } },
  { name: 'Einsum trace', op: 'Einsum', ins: [[3, 3]], attrs: { equation: 'ii->' } },
  { name: 'Resize nearest (half_pixel, round_prefer_floor)', op: 'Resize', ins: [[1, 1, 2, 3]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 1.5], [4])], opset: 13 },
  { name: 'Resize nearest (asymmetric, floor, sizes)', op: 'Resize', ins: [[1, 1, 3, 2]], consts: [f32('roi', [], [0]), f32('scales', [], [0]), i64('sizes', [1, 1, 5, 5])], attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, opset: 13 },
  { name: 'Resize nearest (align_corners, round_prefer_ceil)', op: 'Resize', ins: [[1, 2, 3]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2.5], [3])], attrs: { coordinate_transformation_mode: 'align_corners', nearest_mode: 'round_prefer_ceil' }, opset: 13 },
  // linear and cubic: the configurations of onnx's backend cases test_resize_* (onnx v1.22), random data
  { name: 'Resize linear x2 (half_pixel): exact weights', op: 'Resize', ins: [[1, 1, 2, 2]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'linear' }, opset: 13 },
  { name: 'Resize linear x2 (align_corners): weights in thirds, rounded', op: 'Resize', ins: [[1, 1, 3, 3]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, opset: 13 },
  { name: 'Resize linear x4 (asymmetric)', op: 'Resize', ins: [[1, 2, 2, 3]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 4, 4], [4])], attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, opset: 13 },
  { name: 'Resize linear x0.6 (half_pixel, downsample)', op: 'Resize', ins: [[1, 1, 2, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 0.6, 0.6], [4])], attrs: { mode: 'linear' }, opset: 13 },
  { name: 'Resize linear x0.6 (align_corners, downsample)', op: 'Resize', ins: [[1, 1, 2, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 0.6, 0.6], [4])], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, opset: 13 },
  { name: 'Resize linear sizes (pytorch_half_pixel, to 3×1)', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [], [0]), i64('sizes', [1, 1, 3, 1])], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, opset: 13 },
  { name: 'Resize linear x2.3/x2.94 (half_pixel_symmetric)', op: 'Resize', ins: [[1, 1, 2, 2]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2.3, 2.94], [4])], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19 },
  { name: 'Resize linear tf_crop_and_resize (extrapolation_value 10)', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], [8]), f32('scales', [], [0]), i64('sizes', [1, 1, 3, 3])], attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: { float: 10 } }, opset: 13 },
  { name: 'Resize cubic x2 (half_pixel)', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'cubic' }, opset: 13 },
  { name: 'Resize cubic x2 (A = -0.5, exclude_outside)', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'cubic', cubic_coeff_a: { float: -0.5 }, exclude_outside: 1 }, opset: 13 },
  { name: 'Resize cubic x2 (align_corners)', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'cubic', coordinate_transformation_mode: 'align_corners' }, opset: 13 },
  { name: 'Resize linear antialias x0.6', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 0.6, 0.6], [4])], attrs: { mode: 'linear', antialias: 1 }, opset: 18 },
  { name: 'Resize linear antialias sizes 3×3', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [], [0]), i64('sizes', [1, 1, 3, 3])], attrs: { mode: 'linear', antialias: 1 }, opset: 18 },
  { name: 'Resize linear antialias x0.25 (wide kernel at the edges)', op: 'Resize', ins: [[1, 1, 8, 8]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 0.25, 0.375], [4])], attrs: { mode: 'linear', antialias: 1 }, opset: 18 },
  { name: 'Resize cubic antialias x0.6', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [1, 1, 0.6, 0.6], [4])], attrs: { mode: 'cubic', antialias: 1 }, opset: 18 },
  { name: 'Resize cubic antialias sizes 3×3', op: 'Resize', ins: [[1, 1, 4, 4]], consts: [f32('roi', [], [0]), f32('scales', [], [0]), i64('sizes', [1, 1, 3, 3])], attrs: { mode: 'cubic', antialias: 1 }, opset: 18 },
  { name: 'Resize nearest with axes [3, 2]', op: 'Resize', ins: [[1, 1, 2, 2]], consts: [f32('roi', [], [0]), f32('scales', [3, 2], [2])], attrs: { axes: [3, 2] }, opset: 18 },
  { name: 'Resize nearest sizes, keep_aspect_ratio_policy not_smaller', op: 'Resize', ins: [[1, 1, 2, 2]], consts: [f32('roi', [], [0]), f32('scales', [], [0]), i64('sizes', [7, 8])], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, opset: 18 },
  { name: 'Resize opset 10 (X, scales), nearest (floor up, ceil down)', op: 'Resize', ins: [[1, 1, 4, 5]], consts: [f32('scales', [1, 1, 0.6, 2.5], [4])], opset: 10 },
  { name: 'Resize opset 10 (X, scales), linear', op: 'Resize', ins: [[1, 1, 2, 3]], consts: [f32('scales', [1, 1, 2, 2], [4])], attrs: { mode: 'linear' }, opset: 10 },
  { name: 'LayerNormalization (last axis, Scale and B)', op: 'LayerNormalization', ins: [[2, 8]], consts: [f32('g', [1, 0.5, -1, 2, 1, 1, 0.25, 1.5], [8]), f32('b', [0, 0.1, -0.2, 0.3, 0, 0, 1, -1], [8])], opset: 17 },
  { name: 'LayerNormalization (axis 1 of 3, no B)', op: 'LayerNormalization', ins: [[2, 3, 4]], consts: [f32('g', Array.from({ length: 12 }, (_, i) => 0.5 + i / 8), [3, 4])], attrs: { axis: 1, epsilon: { float: 1e-3 } }, opset: 17 },
  { name: 'Log', op: 'Log', ins: [[12]], range: [0.05, 8] },
  { name: 'Erf', op: 'Erf', ins: [[12]], range: [-3, 3] },
  { name: 'Gelu', op: 'Gelu', ins: [[12]], range: [-4, 4], opset: 20 },
  { name: 'Gelu (approximate tanh)', op: 'Gelu', ins: [[12]], range: [-4, 4], attrs: { approximate: 'tanh' }, opset: 20 },
  { name: 'Cast to int32 (truncation)', op: 'Cast', ins: [[10]], attrs: { to: 6 }, range: [-5, 5] },
  { name: 'Cast to bool', op: 'Cast', ins: [[10]], attrs: { to: 9 }, range: [-2, 2] },
];

const OUT_TYPES: Record<string, number> = { Less: 9, Greater: 9, LessOrEqual: 9, GreaterOrEqual: 9, Equal: 9, And: 9, Or: 9, Xor: 9, Not: 9 };

/** A one-node model; boolean ops get their inputs from `Greater(X, 0)` so the graph inputs stay float. */
function model(c: OpCase): Uint8Array {
  const sig = c.ins.map((_, i) => `X${i}`);
  const nodes = [];
  let inputs = sig;
  const zero = f32('zero', [0]);
  if (c.bool) {
    const nb = c.op === 'Where' ? 1 : sig.length;
    inputs = sig.map((n, i) => (i < nb ? `${n}_b` : n));
    for (let i = 0; i < nb; i++) nodes.push({ opType: 'Greater', name: `to_bool${i}`, inputs: [sig[i]!, 'zero'], outputs: [`${sig[i]}_b`] });
  }
  const outs = Array.from({ length: c.outs ?? 1 }, (_, i) => `Y${i}`);
  nodes.push({ opType: c.op, name: 'op', inputs: [...inputs, ...(c.consts ?? []).map((t) => t.name)], outputs: outs, attributes: c.attrs });
  const elem = c.op === 'Cast' ? (c.attrs!.to as number) : OUT_TYPES[c.op] ?? OnnxDataType.FLOAT;
  return writeOnnxModel({
    graphName: c.name,
    inputs: c.ins.map((shape, i) => ({ name: sig[i]!, shape })),
    outputs: outs.map((name) => ({ name, shape: [] as number[], elemType: elem })),
    initializers: [...(c.consts ?? []), ...(c.bool ? [zero] : [])],
    nodes,
    opset: c.opset ?? 18,
  });
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Random values on the input grid (scale S), so the fixed-point input is exact. */
function draw(c: OpCase, seed: number): number[][] {
  const rnd = mulberry32(seed);
  const [lo, hi] = c.range ?? [-2, 2];
  return c.ins.map((shape) => Array.from({ length: sizeOf(shape) }, () => Math.round((lo + rnd() * (hi - lo)) * 2 ** 6) / 2 ** 6));
}

async function check(c: OpCase, seed: number) {
  const bytes = model(c);
  const session = await ort.InferenceSession.create(bytes);
  const xs = draw(c, seed);
  const feeds = Object.fromEntries(xs.map((v, i) => [`X${i}`, new ort.Tensor('float32', Float32Array.from(v), c.ins[i]!)]));
  const ref = await session.run(feeds);
  const g = parseOnnx(bytes, `${c.name}.onnx`);
  const range = c.range ?? [-2, 2];
  const program = quantizeGraph(g, { scale: S, paramBits: 16, inputs: g.inputs.map((vi) => ({ name: vi.name, scale: S, min: range[0], max: range[1] })) });
  const ints = evaluate(program, xs.map((v, i) => quantizeInput(v, program.inputs[i]!, 'test'))).outputs;
  const fl = runFloat(g, xs.map((v, i) => ({ shape: c.ins[i]!, data: Float64Array.from(v) })));
  session.outputNames.forEach((n, k) => {
    const r = Array.from(ref[n]!.data as ArrayLike<number | bigint | boolean>, Number);
    expect(fl[k]!.shape.reduce((a, b) => a * b, 1), `${n} size`).toBe(r.length);
    const exact = !(ref[n]!.type === 'float32');
    r.forEach((v, j) => {
      expect(Math.abs(fl[k]!.data[j]! - v), `float ${n}[${j}]`).toBeLessThanOrEqual(exact ? 0 : 1e-5 * (1 + Math.abs(v)));
      const q = Number(ints[k]![j]!) / 2 ** program.outputs[k]!.scale;
      expect(Math.abs(q - v), `integer ${n}[${j}] = ${q}, reference ${v}`).toBeLessThanOrEqual(exact ? 0 : tolerance(v, S));
    });
  });
  return program;
}

describe('common ops vs onnxruntime-node (float reference and integer program)', () => {
  for (const c of CASES) it(c.name, async () => {
    for (const seed of [1, 2, 3]) await check(c, seed);
  });

  it('Resize linear x2 (test_resize_upsample_scales_linear): zero constraints and the exact upstream output; align_corners within its rounding bound', () => {
    const resize = (ctm: string) => writeOnnxModel({
      graphName: 'resize', inputs: [{ name: 'X', shape: [1, 1, 2, 2] }], outputs: [{ name: 'Y', shape: [1, 1, 4, 4] }], initializers: [f32('scales', [1, 1, 2, 2], [4])],
      nodes: [{ opType: 'Resize', name: 'r', inputs: ['X', '', 'scales'], outputs: ['Y'], attributes: { mode: 'linear', coordinate_transformation_mode: ctm } }],
    });
    const run = (ctm: string) => {
      const p = quantizeGraph(parseOnnx(resize(ctm), 'resize.onnx'), { scale: S, paramBits: 16, inputs: [{ name: 'X', scale: S, min: 0, max: 4 }] });
      // half_pixel: no constraint beyond the input range checks; align_corners (scale S + 32): the output rounded to S
      expect(p.steps.filter((st) => st.kind !== 'input').length).toBe(ctm === 'half_pixel' ? 0 : 16);
      return evaluate(p, [[1n, 2n, 3n, 4n].map((v) => v << BigInt(S))]).outputs[0]!.map((v) => Number(v) / 2 ** p.outputs[0]!.scale);
    };
    expect(run('half_pixel')).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    const third = [1, 4 / 3, 5 / 3, 2, 5 / 3, 2, 7 / 3, 8 / 3, 7 / 3, 8 / 3, 3, 10 / 3, 3, 10 / 3, 11 / 3, 4];
    // weights rounded at 2^-16 (the largest tap takes the remainder): ≤ 2 axes · 2^-17 · (max − min of the taps = 2),
    // then the output rounded to 2^-S
    run('align_corners').forEach((v, j) => expect(Math.abs(v - third[j]!)).toBeLessThanOrEqual(2 * 2 ** -17 * 2 + 2 ** -(S + 1)));
  });

  it('Shape and ConstantOfShape of a signal are constants (PyTorch shape arithmetic folds away)', () => {
    const bytes = writeOnnxModel({
      graphName: 'shape', inputs: [{ name: 'X', shape: [2, 3] }], outputs: [{ name: 'Y', shape: [2, 3] }], initializers: [],
      nodes: [
        { opType: 'Shape', name: 'shape', inputs: ['X'], outputs: ['s'] },
        { opType: 'ConstantOfShape', name: 'zeros', inputs: ['s'], outputs: ['o'] },
        { opType: 'Add', name: 'add', inputs: ['X', 'o'], outputs: ['Y'] },
      ],
    });
    const g = parseOnnx(bytes, 'shape.onnx');
    const p = quantizeGraph(g, { scale: S, paramBits: 16, inputs: [{ name: 'X', scale: S, min: -1, max: 1 }] });
    expect(p.steps.filter((s) => s.kind !== 'input')).toEqual([]);
    expect(evaluate(p, [[0n, 1n, 2n, 3n, 4n, 5n]]).outputs[0]).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
  });
});

describe('common ops end to end', () => {
  afterAll(terminateCurve);
  it('Log, Exp and Erf compile: the witness equals the integer program signal by signal (compile checks it)', async () => {
    const dir = tempDir('zkinfer-ops-extra-');
    const modelPath = path.join(dir, 'log.onnx');
    writeFileSync(modelPath, writeOnnxModel({
      graphName: 'log', inputs: [{ name: 'x', shape: [4] }], outputs: [{ name: 'y', shape: [4] }, { name: 'z', shape: [4] }], initializers: [],
      nodes: [
        { opType: 'Log', name: 'log', inputs: ['x'], outputs: ['l'] },
        { opType: 'Exp', name: 'exp', inputs: ['l'], outputs: ['y'] },
        { opType: 'Erf', name: 'erf', inputs: ['l'], outputs: ['z'] },
      ],
    }));
    const c = await compileModel({ modelPath, outDir: path.join(dir, 'c'), inputRange: [0.1, 4] });
    expect(c.info.constraints.total).toBeGreaterThan(0);
  }, 180_000);

  it('Where(Less(x, y), Pow(x, 2), ReduceMax(y)) with Tile: compiled (witness = integer program), proven, verified', async () => {
    const dir = tempDir('zkinfer-ops-extra-');
    const modelPath = path.join(dir, 'm.onnx');
    writeFileSync(modelPath, writeOnnxModel({
      graphName: 'chain', inputs: [{ name: 'x', shape: [2, 3] }, { name: 'y', shape: [2, 3] }], outputs: [{ name: 'z', shape: [2, 6] }],
      initializers: [f32('two', [2]), i64('reps', [1, 2])],
      nodes: [
        { opType: 'Less', name: 'lt', inputs: ['x', 'y'], outputs: ['c'] },
        { opType: 'Pow', name: 'sq', inputs: ['x', 'two'], outputs: ['x2'] },
        { opType: 'ReduceMax', name: 'mx', inputs: ['y'], outputs: ['m'], attributes: { axes: [1], keepdims: 1 } },
        { opType: 'Where', name: 'w', inputs: ['c', 'x2', 'm'], outputs: ['v'] },
        { opType: 'Tile', name: 't', inputs: ['v', 'reps'], outputs: ['z'] },
      ],
      opset: 13,
    }));
    const input = path.join(dir, 'in.json');
    writeFileSync(input, JSON.stringify({ x: [[0.5, -1, 1.5], [2, 0, -0.25]], y: [[1, -1.5, 0], [1, 1, 1]] }));
    const r = await provePipeline({ modelPath, input, inputRange: [-2, 2] });
    expect(r.verified.ok).toBe(true);
    // x < y ? x² : max(y row): row 0 max 1 → [0.25, 1, 1], row 1 max 1 → [1, 0, 0.0625]; tiled twice
    expect(r.receipt.outputs![0]!.data).toEqual([0.25, 1, 1, 0.25, 1, 1, 1, 0, 0.0625, 1, 0, 0.0625]);
  }, 180_000);

  it('Resize linear x2 → Relu → Resize cubic x2: compiled (witness = integer program), proven, verified, within tolerance of onnxruntime', async () => {
    const dir = tempDir('zkinfer-ops-extra-');
    const modelPath = path.join(dir, 'resize.onnx');
    const bytes = writeOnnxModel({
      graphName: 'resize', inputs: [{ name: 'x', shape: [1, 1, 2, 3] }], outputs: [{ name: 'z', shape: [1, 1, 8, 12] }],
      initializers: [f32('roi', [], [0]), f32('scales', [1, 1, 2, 2], [4])],
      nodes: [
        { opType: 'Resize', name: 'lin', inputs: ['x', 'roi', 'scales'], outputs: ['a'], attributes: { mode: 'linear' } },
        { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['b'] },
        { opType: 'Resize', name: 'cub', inputs: ['b', 'roi', 'scales'], outputs: ['z'], attributes: { mode: 'cubic' } },
      ],
    });
    writeFileSync(modelPath, bytes);
    const x = [0.5, -1, 1.5, 0.25, 2, -0.75];
    const input = path.join(dir, 'in.json');
    writeFileSync(input, JSON.stringify({ x: [[[x.slice(0, 3), x.slice(3)]]] }));
    const r = await provePipeline({ modelPath, input, inputRange: [-2, 2] });
    expect(r.verified.ok).toBe(true);
    const ref = await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 1, 2, 3]) });
    Array.from(ref.z!.data as Float32Array).forEach((v, j) => expect(Math.abs(r.receipt.outputs![0]!.data[j]! - v), `z[${j}]`).toBeLessThanOrEqual(tolerance(v, S)));
  }, 180_000);

  it('LayerNormalization → Gelu → Einsum of two signals (y·yᵀ, attention scores): proven, verified, within tolerance of onnxruntime', async () => {
    const dir = tempDir('zkinfer-ops-extra-');
    const modelPath = path.join(dir, 'ln.onnx');
    const bytes = writeOnnxModel({
      graphName: 'ln', inputs: [{ name: 'x', shape: [3, 4] }], outputs: [{ name: 'z', shape: [3, 3] }],
      initializers: [f32('g', [1, 0.5, 1.5, 1], [4]), f32('b', [0, 0.25, 0, -0.25], [4])],
      nodes: [
        { opType: 'LayerNormalization', name: 'ln', inputs: ['x', 'g', 'b'], outputs: ['y0'] },
        { opType: 'Gelu', name: 'gelu', inputs: ['y0'], outputs: ['y'] },
        { opType: 'Einsum', name: 'qk', inputs: ['y', 'y'], outputs: ['z'], attributes: { equation: 'ik,jk->ij' } },
      ],
      opset: 20,
    });
    writeFileSync(modelPath, bytes);
    const x = [0.5, -1, 1.5, 0.25, 2, 0, -0.5, 1, -1.25, 0.75, 0.5, -2];
    const input = path.join(dir, 'in.json');
    writeFileSync(input, JSON.stringify({ x: [x.slice(0, 4), x.slice(4, 8), x.slice(8)] }));
    const r = await provePipeline({ modelPath, input, inputRange: [-2, 2] });
    expect(r.verified.ok).toBe(true);
    const ref = await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', Float32Array.from(x), [3, 4]) });
    Array.from(ref.z!.data as Float32Array).forEach((v, j) => expect(Math.abs(r.receipt.outputs![0]!.data[j]! - v), `z[${j}]`).toBeLessThanOrEqual(tolerance(v, S)));
  }, 180_000);
});
