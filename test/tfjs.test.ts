/**
 * TF.js layers import: tfjs-examples' abalone model (Dense 8→50→50→1, sigmoid) from model.json + weights.bin
 * gives the reference outputs of @tensorflow/tfjs 4.22.0 on the float path, on the integer path, and proved.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseModel } from '../src/import/model.js';
import { quantizeGraph, runFloat } from '../src/quantize/quantize.js';
import { evaluate } from '../src/quantize/program.js';
import { ROOT, caseDir } from './helpers/conformance.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

const DIR = caseDir('models', 'tfjs-abalone');
const MODEL = path.join(DIR, 'model.json');
const REF = JSON.parse(readFileSync(path.join(DIR, 'reference_tfjs_sample20.json'), 'utf8')) as { inputs: number[][]; outputs: number[][] };
const SCALE = 12;

describe('TF.js layers model (tfjs-abalone)', () => {
  const g = parseModel(readFileSync(MODEL), MODEL);

  it('imports to the graph IR: MatMul + Add + Sigmoid per Dense layer', () => {
    expect(g.inputs[0]!.shape).toEqual([1, 8]);
    expect(g.nodes.map((n) => n.op)).toEqual(['MatMul', 'Add', 'Sigmoid', 'MatMul', 'Add', 'Sigmoid', 'MatMul', 'Add']);
  });

  it('float path equals TF.js on all 20 reference samples', () => {
    REF.inputs.forEach((x, i) => {
      const o = runFloat(g, [{ shape: [1, 8], data: Float64Array.from(x) }])[0]!;
      expect(Math.abs(o.data[0]! - REF.outputs[i]![0]!)).toBeLessThan(1e-4);
    });
  });

  it('integer path (scale 2^12) is within 2^-9·(1 + |ref|) of TF.js on all 20 samples', () => {
    const p = quantizeGraph(g, { scale: SCALE, paramBits: 16, inputs: [{ name: g.inputs[0]!.name, scale: SCALE, min: 0, max: 3 }] });
    REF.inputs.forEach((x, i) => {
      const r = evaluate(p, [x.map((v) => BigInt(Math.round(v * 2 ** SCALE)))]);
      const ref = REF.outputs[i]![0]!;
      expect(Math.abs(Number(r.outputs[0]![0]!) / 2 ** p.outputs[0]!.scale - ref)).toBeLessThanOrEqual(2 ** -(SCALE - 3) * (1 + Math.abs(ref)));
    });
  });

  it('`compile model.json` detects the format; a sample proves, verifies and matches TF.js', async () => {
    const dir = tempDir('zkinfer-tfjs-');
    const cal = path.join(dir, 'calibration');
    mkdirSync(cal);
    REF.inputs.forEach((x, i) => writeFileSync(path.join(cal, `sample${i}.json`), JSON.stringify({ input: [x] })));
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ input: [REF.inputs[0]] }));
    const r = await provePipeline({ modelPath: MODEL, calibration: cal, input, scale: SCALE, outDir: path.join(dir, 'build') });
    expect(r.verified.ok).toBe(true);
    const ref = REF.outputs[0]![0]!;
    expect(Math.abs(r.proved.outputs[0]!.data[0]! - ref)).toBeLessThanOrEqual(2 ** -(SCALE - 3) * (1 + Math.abs(ref)));
  }, 600_000);

  it('`zkinfer inspect model.json` reads it as a model (not a receipt) and prints its hashes', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'zkinfer.js'), 'inspect', MODEL, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { kind: string; fileSha256: string; ops: Record<string, number>; circuitHash: string };
    expect(out.kind).toBe('model');
    expect(out.fileSha256).toBe(createHash('sha256').update(readFileSync(MODEL)).digest('hex'));
    expect(out.ops).toEqual({ MatMul: 3, Add: 3, Sigmoid: 2 });
    expect(out.circuitHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
