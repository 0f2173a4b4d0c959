/**
 * Automatic scales from calibration samples (src/quantize/calibrate.ts): mnist-8 calibrated on all six reference
 * inputs (pixels 0..255 and [0, 1]) with no hand settings gives the reference argmax and a small relative error on
 * every set, through the integer evaluator (which equals the witness, quantize.test.ts); given settings stay fixed;
 * whole-number inputs get scale 0.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listSampleFiles, quantizeModel, readModelFile } from '../src/compile.js';
import type { CompileParams } from '../src/compile.js';
import { AUTO_REL_ERROR, autoInputScale } from '../src/quantize/calibrate.js';
import { evaluate } from '../src/quantize/program.js';
import { quantizeInput } from '../src/quantize/input.js';
import { InputError } from '../src/errors.js';
import { caseDir, loadDataSets, ROOT } from './helpers/conformance.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import type { OnnxInitializer, OnnxNode } from '../src/export/onnx-writer.js';
import { mulberry32 } from '../src/export/prng.js';
import { runFloat } from '../src/quantize/quantize.js';

const argmax = (xs: ArrayLike<number>): number => Array.from(xs).indexOf(Math.max(...Array.from(xs)));
const quantize = (p: Omit<CompileParams, 'outDir'>) => quantizeModel(p, readModelFile(p.modelPath), p.calibration ? listSampleFiles(p.calibration) : []);

describe('automatic scales', () => {
  it('input scale: 0 for whole numbers, enough bits for fractions', () => {
    expect(autoInputScale([[[0, 3, 255]]], 0)).toBe(0);
    expect(autoInputScale([[[0, 0.5, 0.25]]], 0)).toBe(2);
    expect(autoInputScale([[[0, 1 / 3, 1]]], 0)).toBe(9); // |x − round(x·2^s)/2^s| ≤ 2^−10
  });

  it('mnist-8 from all six sets: the reference argmax and a small error on each, one circuit', () => {
    const dir = caseDir('models', 'mnist-8');
    const q = quantize({ modelPath: path.join(dir, 'model.onnx'), calibration: dir, autoScale: true });
    expect(q.auto!.metTarget).toBe(true);
    const p = q.program;
    for (const ds of loadDataSets(dir)) {
      const ints = [quantizeInput(Array.from(ds.inputs[0]!.data), { ...p.inputs[0]! }, 'set')];
      const out = evaluate(p, ints).outputs[0]!.map((v) => Number(v) / 2 ** p.outputs[0]!.scale);
      const ref = ds.outputs[0]!.data;
      expect(argmax(out), ds.dir).toBe(argmax(ref));
      const big = Math.max(...Array.from(ref, Math.abs));
      out.forEach((v, j) => expect(Math.abs(v - ref[j]!)).toBeLessThanOrEqual(AUTO_REL_ERROR * big));
    }
  }, 300_000);

  it('keeps what is given: --scale, --param-bits and the model\'s input scale', () => {
    const m = path.join(ROOT, 'models', 'mnist-mlp');
    const q = quantize({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'inputs'), autoScale: true, paramBits: 12 });
    expect(q.paramBits).toBe(12);
    expect(q.program.inputs[0]!.scale).toBe(0); // zkinfer.input_scale = 0 in the model's metadata
    const r = quantize({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'inputs'), autoScale: true, scale: 6 });
    expect(r.scale).toBe(6);
  });

  it('a calibration directory may hold links to sample directories', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-cal-links-'));
    const sets = loadDataSets(caseDir('models', 'mnist-8')).slice(1, 3);
    for (const ds of sets) symlinkSync(ds.dir, path.join(dir, path.basename(ds.dir)));
    expect(listSampleFiles(dir)).toEqual(sets.map((ds) => path.join(dir, path.basename(ds.dir), 'input_0.pb')));
  });

  it('needs samples', () => {
    expect(() => quantize({ modelPath: path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx'), autoScale: true })).toThrow(InputError);
  });
});

/** A model file and calibration samples (inputs of shape [1, n] uniform in [-1, 1]) in a temp dir. */
function modelWithSamples(name: string, n: number, nOut: number, inits: OnnxInitializer[], nodes: OnnxNode[], count = 8) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `zkinfer-cal-${name}-`));
  const modelPath = path.join(dir, 'model.onnx');
  writeFileSync(modelPath, writeOnnxModel({ graphName: name, inputs: [{ name: 'x', shape: [1, n] }], outputs: [{ name: 'y', shape: [1, nOut] }], initializers: inits, nodes }));
  const rand = mulberry32(7);
  mkdirSync(path.join(dir, 'cal'));
  for (let i = 0; i < count; i++) writeFileSync(path.join(dir, 'cal', `s${i}.json`), JSON.stringify({ input: [Array.from({ length: n }, () => 2 * rand() - 1)] }));
  return { modelPath, calibration: path.join(dir, 'cal') };
}

const weights = (name: string, shape: number[], sd: number, seed: number): OnnxInitializer => {
  const rand = mulberry32(seed);
  return { name, shape, data: Float32Array.from({ length: shape[0]! * (shape[1] ?? 1) }, () => (rand() + rand() + rand() - 1.5) * 2 * sd) };
};

/** Largest |quantized − float| of each sample's output over the tolerance the search aims for (≤ 1: met). */
function worstRatio(q: ReturnType<typeof quantize>): number {
  let worst = 0;
  for (const smp of q.samples!) {
    const p = q.program;
    const ints = smp.map((x, i) => quantizeInput(x, { ...p.inputs[i]! }, 'sample'));
    const out = evaluate(p, ints).outputs[0]!.map((v) => Number(v) / 2 ** p.outputs[0]!.scale);
    const ref = runFloat(q.graph, smp.map((x, i) => ({ shape: q.graph.inputs[i]!.shape, data: Float64Array.from(x) })))[0]!.data;
    const big = Math.max(2 ** -4, ...Array.from(ref, Math.abs));
    out.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref[j]!) / (AUTO_REL_ERROR * big))));
  }
  return worst;
}

describe('the calibration search finds a setting meeting the target whenever one exists', () => {
  // issue 14's repro: small weights make the error flat (everything rounds to zero) at coarse scales
  const gemmRelu = () =>
    modelWithSamples('gemm-relu-gemm', 16, 4, [weights('W0', [8, 16], 0.02, 1), weights('B0', [8], 0.01, 2), weights('W1', [4, 8], 0.05, 3), weights('B1', [4], 0.01, 4)], [
      { opType: 'Gemm', name: 'g0', inputs: ['x', 'W0', 'B0'], outputs: ['h'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'r0', inputs: ['h'], outputs: ['hr'] },
      { opType: 'Gemm', name: 'g1', inputs: ['hr', 'W1', 'B1'], outputs: ['y'], attributes: { transB: 1 } },
    ]);

  it('Gemm 16→8 with small weights → Relu → Gemm 8→4: scales that meet the target', () => {
    const m = gemmRelu();
    const q = quantize({ ...m, autoScale: true });
    expect(q.auto!.metTarget, q.auto!.detail).toBe(true);
    expect(q.auto!.targetRatio).toBeLessThanOrEqual(1);
    expect(worstRatio(q)).toBeLessThanOrEqual(1);
    expect(q.scale).toBeGreaterThan(2);
  });

  it('when no setting can meet it, says so with the best error found', () => {
    const messages: string[] = [];
    const q = quantize({ ...gemmRelu(), autoScale: true, scale: 0, onProgress: (s) => messages.push(s) });
    expect(q.auto!.metTarget).toBe(false);
    expect(q.auto!.detail).toMatch(/target not met .*best found: activations 2\^0, params \d+ bits, error .* on 'y'/);
    expect(messages.some((s) => /warning: the error target was not met/.test(s))).toBe(true);
  });

  it('outputs that are essentially zero, and exact ties of argmax, have a target that can be met', () => {
    const tiny = modelWithSamples('tiny', 4, 3, [weights('W', [4, 3], 1e-7, 5)], [{ opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['y'] }]);
    expect(quantize({ ...tiny, autoScale: true }).auto!.metTarget).toBe(true);
    // saturated sigmoids: several outputs exactly 1.0 in float, argmax is a tie and not demanded
    const big = { name: 'W', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => 60 + (i % 3) * 0.001) };
    const ties = modelWithSamples('ties', 4, 3, [big], [
      { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['z'] },
      { opType: 'Sigmoid', name: 's', inputs: ['z'], outputs: ['y'] },
    ]);
    expect(quantize({ ...ties, autoScale: true }).auto!.metTarget).toBe(true);
  });
});
