/**
 * Scales cannot run away (issue 14): linear chains without a non-linearity are rebased at the cheaper point,
 * outputs get a sensible default precision (its cost and error reported), and the PyTorch-style MLP
 * MatMul → BatchNorm → MatMul → BatchNorm → MatMul (whose outputs once reached 2^89) proves, verifies and
 * matches onnxruntime within 2^-6·(1 + max|ref|).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import type { OnnxInitializer, OnnxNode } from '../src/export/onnx-writer.js';
import { mulberry32 } from '../src/export/prng.js';
import { parseModel } from '../src/import/model.js';
import { quantizeGraph, runFloat, scaleLimit } from '../src/quantize/quantize.js';
import type { QuantizeSettings } from '../src/quantize/quantize.js';
import { bitLength, evaluate } from '../src/quantize/program.js';
import { linBounds } from '../src/quantize/lin.js';
import { outputPrecision } from '../src/compile.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

const rand = mulberry32(14);
const normal = (sd: number) => Array.from({ length: 1 }, () => (rand() + rand() + rand() - 1.5) * 2 * sd)[0]!;
const tensor = (name: string, shape: number[], f: () => number): OnnxInitializer => ({ name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f) });

/** MatMul → BatchNormalization → MatMul → BatchNormalization → MatMul, as PyTorch exports an MLP of Linear + BatchNorm1d. */
function pytorchMlp(dims = [8, 16, 16, 4]): Uint8Array {
  const inits: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  let x = 'x';
  for (let l = 0; l + 1 < dims.length; l++) {
    inits.push(tensor(`W${l}`, [dims[l]!, dims[l + 1]!], () => normal(0.4)));
    nodes.push({ opType: 'MatMul', name: `mm${l}`, inputs: [x, `W${l}`], outputs: [`h${l}`] });
    x = `h${l}`;
    if (l + 2 < dims.length) {
      const c = dims[l + 1]!;
      inits.push(tensor(`g${l}`, [c], () => 1 + normal(0.3)), tensor(`b${l}`, [c], () => normal(0.2)), tensor(`m${l}`, [c], () => normal(0.5)), tensor(`v${l}`, [c], () => 0.5 + rand() * 1.5));
      nodes.push({ opType: 'BatchNormalization', name: `bn${l}`, inputs: [x, `g${l}`, `b${l}`, `m${l}`, `v${l}`], outputs: [`n${l}`] });
      x = `n${l}`;
    }
  }
  nodes[nodes.length - 1]!.outputs = ['network_output'];
  return writeOnnxModel({
    graphName: 'pytorch-mlp-bn',
    inputs: [{ name: 'x', shape: [1, dims[0]!] }],
    outputs: [{ name: 'network_output', shape: [1, dims[dims.length - 1]!] }],
    initializers: inits,
    nodes,
    metadata: { 'zkinfer.input_range': '-1,1' },
  });
}

/** x → (MatMul by W_i, Mul by a constant, + residual) × depth: linear all the way. */
function linearChain(depth: number): Uint8Array {
  const inits: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  let x = 'x';
  for (let l = 0; l < depth; l++) {
    inits.push(tensor(`W${l}`, [6, 6], () => normal(0.3)), tensor(`c${l}`, [1], () => 0.7 + 0.1 * l));
    nodes.push(
      { opType: 'MatMul', name: `mm${l}`, inputs: [x, `W${l}`], outputs: [`a${l}`] },
      { opType: 'Mul', name: `mul${l}`, inputs: [`a${l}`, `c${l}`], outputs: [`b${l}`] },
      { opType: 'Add', name: `res${l}`, inputs: [`b${l}`, x], outputs: [`y${l}`] },
    );
    x = `y${l}`;
  }
  nodes[nodes.length - 1]!.outputs = ['y'];
  return writeOnnxModel({ graphName: `chain-${depth}`, inputs: [{ name: 'x', shape: [1, 6] }], outputs: [{ name: 'y', shape: [1, 6] }], initializers: inits, nodes });
}

const SETTINGS: QuantizeSettings = { scale: 12, paramBits: 16, inputs: [{ name: 'x', scale: 12, min: -1, max: 1 }] };

/** Widest proven bound (bits) over every signal and output of a program. */
const widest = (p: ReturnType<typeof quantizeGraph>) => {
  let w = 0;
  for (let i = 0; i < p.nSignals; i++) w = Math.max(w, bitLength(p.hi[i]!), bitLength(-p.lo[i]!));
  for (const o of p.outputs) for (const e of o.exprs) for (const b of linBounds(e, p.lo, p.hi)) w = Math.max(w, bitLength(b < 0n ? -b : b));
  return w;
};

async function onnxruntime(model: Uint8Array, x: number[], shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model);
  try {
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape) });
    return r[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('scales cannot run away', () => {
  it('linear chains (MatMul, Mul by constants, residual sums) stay below the scale limit, rebased where cheapest', () => {
    for (const depth of [1, 3, 12]) {
      const g = parseModel(linearChain(depth), 'chain.onnx');
      const p = quantizeGraph(g, SETTINGS);
      expect(p.outputs[0]!.scale).toBeLessThanOrEqual(scaleLimit(SETTINGS));
      expect(widest(p)).toBeLessThan(80);
      const rebases = p.steps.filter((s) => s.kind === 'rescale' && s.node.endsWith('(rebase)')).length;
      // the Mul by a constant after a MatMul is a second product: about one rescale of 6 values per layer
      expect(rebases).toBeGreaterThan(0);
      expect(rebases).toBeLessThanOrEqual(12 * depth);
    }
  });

  it('rebases where it is cheaper: before a MatMul that widens, after one that narrows', () => {
    const twoLayers = (a: number, b: number, c: number) =>
      parseModel(
        writeOnnxModel({
          graphName: `mm-${a}-${b}-${c}`,
          inputs: [{ name: 'x', shape: [1, a] }],
          outputs: [{ name: 'y', shape: [1, c] }],
          initializers: [tensor('W0', [a, b], () => normal(0.3)), tensor('W1', [b, c], () => normal(0.3))],
          nodes: [
            { opType: 'MatMul', name: 'mm0', inputs: ['x', 'W0'], outputs: ['h'] },
            { opType: 'MatMul', name: 'mm1', inputs: ['h', 'W1'], outputs: ['y'] },
          ],
        }),
        'mm.onnx',
      );
    const rebases = (g: ReturnType<typeof parseModel>) => quantizeGraph(g, SETTINGS).steps.filter((s) => s.kind === 'rescale' && s.node === 'mm1 (rebase)').length;
    expect(rebases(twoLayers(8, 64, 2))).toBe(2); // after mm1: 2 outputs instead of 64 inputs
    expect(rebases(twoLayers(8, 2, 64))).toBe(2); // before mm1: 2 inputs instead of 64 outputs
  });

  it('the PyTorch-style MLP without activations: bounded scales, outputs at a sensible default precision', () => {
    const g = parseModel(pytorchMlp(), 'mlp.onnx');
    const p = quantizeGraph(g, SETTINGS);
    expect(widest(p)).toBeLessThan(80);
    const [prec] = outputPrecision(p, SETTINGS.scale);
    expect(prec!.scale).toBeLessThanOrEqual(scaleLimit(SETTINGS));
    // --output-scale overrides the default, and the report gives the rounding's cost and error
    const q = quantizeGraph(g, { ...SETTINGS, outputScale: 8 });
    const [r] = outputPrecision(q, SETTINGS.scale);
    expect(r!.scale).toBe(8);
    expect(r!.computedScale).toBeGreaterThan(8);
    expect(r!.constraints).toBeGreaterThan(0);
    expect(r!.roundingError).toBe(2 ** -9);
  });

  it('BatchNormalization after a Gemm or a 2-D MatMul folds into it; after a 3-D MatMul it does not, and both equal float', () => {
    const bnInits = (c: number) => [tensor('g', [c], () => 1 + normal(0.3)), tensor('b', [c], () => normal(0.2)), tensor('m', [c], () => normal(0.5)), tensor('v', [c], () => 0.5 + rand())];
    const bn: OnnxNode = { opType: 'BatchNormalization', name: 'bn', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['y'] };
    const cases: { name: string; x: number[]; y: number[]; inits: OnnxInitializer[]; node: OnnxNode; folds: boolean }[] = [
      { name: 'gemm', x: [2, 5], y: [2, 3], inits: [tensor('W', [3, 5], () => normal(0.4)), tensor('C', [3], () => normal(0.3)), ...bnInits(3)], node: { opType: 'Gemm', name: 'mm', inputs: ['x', 'W', 'C'], outputs: ['h'], attributes: { transB: 1, alpha: 0.5, beta: 2 } }, folds: true },
      { name: 'matmul-2d', x: [2, 5], y: [2, 3], inits: [tensor('W', [5, 3], () => normal(0.4)), ...bnInits(3)], node: { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] }, folds: true },
      // [1, 3, 5]·[5, 3]: BatchNormalization's channels are axis 1 (3 rows), not the 3 columns
      { name: 'matmul-3d', x: [1, 3, 5], y: [1, 3, 3], inits: [tensor('W', [5, 3], () => normal(0.4)), ...bnInits(3)], node: { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] }, folds: false },
    ];
    for (const c of cases) {
      const g = parseModel(writeOnnxModel({ graphName: c.name, inputs: [{ name: 'x', shape: c.x }], outputs: [{ name: 'y', shape: c.y }], initializers: c.inits, nodes: [c.node, bn] }), `${c.name}.onnx`);
      const p = quantizeGraph(g, SETTINGS);
      const n = c.x.reduce((a, b) => a * b, 1);
      const xs = Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 0.9);
      const ints = xs.map((v) => BigInt(Math.round(v * 2 ** 12)));
      const got = evaluate(p, [ints]).outputs[0]!.map((v) => Number(v) / 2 ** p.outputs[0]!.scale);
      const ref = runFloat(g, [{ shape: c.x, data: Float64Array.from(ints, (v) => Number(v) / 2 ** 12) }])[0]!.data;
      got.forEach((v, j) => expect(Math.abs(v - ref[j]!), c.name).toBeLessThan(2 ** -9 * (1 + Math.abs(ref[j]!))));
      // folded: one product by a parameter, below the limit; not folded: the BatchNormalization is a second one
      expect(p.steps.some((s) => s.kind === 'rescale'), c.name).toBe(!c.folds);
    }
  });

  it('proves, verifies and matches onnxruntime within 2^-6·(1 + max|ref|)', async () => {
    const dir = tempDir('zkinfer-mlp-bn-');
    const model = pytorchMlp();
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, model);
    const x = [0.5, -0.25, 0.75, -1, 0.125, 0.9, -0.6, 0.3];
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ input: [x] }));
    const r = await provePipeline({ modelPath, input, outDir: path.join(dir, 'out') });
    expect(r.verified.ok).toBe(true);
    const ref = await onnxruntime(model, x, [1, 8]);
    const out = r.proved.outputs[0]!;
    expect(Number(out.scale)).toBeLessThanOrEqual(40);
    const bar = 2 ** -6 * (1 + Math.max(...Array.from(ref, Math.abs)));
    const got = out.integers.map((v) => Number(BigInt(v)) / 2 ** Number(out.scale));
    expect(got).toHaveLength(ref.length);
    got.forEach((v, j) => expect(Math.abs(v - ref[j]!)).toBeLessThanOrEqual(bar));
    expect(r.compiled.info.outputPrecision?.[0]?.scale).toBe(Number(out.scale));
  }, 300_000);
});
