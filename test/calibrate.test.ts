/**
 * Automatic scales from calibration samples (src/quantize/calibrate.ts): mnist-8 calibrated on all six reference
 * inputs (pixels 0..255 and [0, 1]) with no hand settings gives the reference argmax and a small relative error on
 * every set, through the integer evaluator (which equals the witness, quantize.test.ts); given settings stay fixed;
 * whole-number inputs get scale 0.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listSampleFiles, quantizeModel, readModelFile } from '../src/compile.js';
import type { CompileParams } from '../src/compile.js';
import { AUTO_REL_ERROR, autoInputScale } from '../src/quantize/calibrate.js';
import { evaluate } from '../src/quantize/program.js';
import { quantizeInput } from '../src/quantize/input.js';
import { InputError } from '../src/errors.js';
import { caseDir, loadDataSets, ROOT } from './helpers/conformance.js';

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
  }, 120_000);

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
