/**
 * The estimator counts exactly what circom --O1 produces (constraints, wires) and what setup writes
 * (proving-key bytes), on real models with every visibility, without running circom itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileModel } from '../compile.js';
import type { CompileParams } from '../compile.js';
import { setupKeys } from '../setup.js';
import { artifactPaths } from '../artifacts/layout.js';
import { estimateModel, zkeyBytes } from './estimate.js';
import { fitLinear, formula, predict, slowdown } from './cost-model.js';
import { predictVerifyGas } from '../chain/gas.js';
import { caseDir } from '../../test/helpers/conformance.js';
import { tempDir, terminateCurve } from '../../test/helpers/pipeline.js';

afterAll(terminateCurve);

const ezkl = (name: string) => ({ modelPath: caseDir('models', 'ezkl', name, 'model.onnx'), calibration: caseDir('models', 'ezkl', name, 'input.json') });

const CASES: [string, Omit<CompileParams, 'outDir'>][] = [
  ['ezkl 1l_mlp, public', ezkl('1l_mlp')],
  ['ezkl 1l_mlp, hashed input and output', { ...ezkl('1l_mlp'), inputVisibility: 'hashed', outputVisibility: 'hashed' }],
  ['ezkl 1l_mlp, hashed input, --output-scale 10 (proven output rescales)', { ...ezkl('1l_mlp'), inputVisibility: 'hashed', outputScale: 10 }],
  ['ezkl 1l_relu, private input', { ...ezkl('1l_relu'), inputVisibility: 'private' }],
  ['onnx-node test_add (signed inputs, two tensors)', { modelPath: caseDir('onnx-node', 'test_add', 'model.onnx'), calibration: caseDir('onnx-node', 'test_add', 'test_data_set_0') }],
];

describe('estimate = compiler', () => {
  for (const [name, params] of CASES) {
    it(name, async () => {
      const e = estimateModel(params);
      const dir = tempDir();
      const { info } = await compileModel({ ...params, outDir: dir });
      expect({ nonLinear: e.constraints.nonLinear, linear: e.constraints.linear, wires: e.constraints.wires, nPublic: e.constraints.nPublic, power: e.constraints.ptauPower }).toEqual({
        nonLinear: info.constraints.nonLinear,
        linear: info.constraints.linear,
        wires: info.constraints.wires,
        nPublic: info.nPublic,
        power: info.ptauPower,
      });
      await setupKeys({ dir, cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
      expect(e.sizes.provingKeyBytes).toBe(statSync(artifactPaths(dir).zkey).size);
      expect(e.verifyGas.gas).toBe(predictVerifyGas(info.nPublic).gas);
    });
  }

  it('splits constraints by op type and counts the bundled MLP without compiling', () => {
    const e = estimateModel({ modelPath: path.join(import.meta.dirname, '..', '..', 'models', 'mnist-mlp', 'model.onnx') });
    // README: 784 × (8 + 1) input checks + Σ (m + 3) over 32 fused rescale+ReLUs + 28 packed public signals
    expect(e.constraints.total).toBe(8131);
    expect(Object.keys(e.constraints.byOp).sort()).toEqual(['Relu', 'input range checks', 'public outputs']);
    expect(e.constraints.byOp['input range checks']).toEqual({ nonLinear: 784 * 8, linear: 784 });
    expect(zkeyBytes(e.constraints)).toBe(e.sizes.provingKeyBytes);
  });
});

describe('cost-model fit', () => {
  const pt = (constraints: number, terms: number) => ({ constraints, wires: constraints, domain: 2 ** Math.ceil(Math.log2(constraints)), terms, nPublic: 1 });
  const xs = [300, 2_000, 8_000, 30_000, 120_000, 450_000].map((n, i) => pt(n, n * (1 + (i % 3))));

  it('recovers a linear cost of two features', () => {
    const f = fitLinear(xs.map((x) => ({ x, y: 0.5 + 2e-5 * x.constraints + 7e-5 * x.terms })), ['constraints', 'terms', 'domain']);
    expect(f.exponent).toBeUndefined();
    expect(f.maxRelError).toBeLessThan(1e-9);
    expect(predict(f, pt(1e6, 3e6))).toBeCloseTo(0.5 + 20 + 210, 6);
  });

  it('recovers a cost of three features when allowed three (the prover: wires, domain and non-zeros)', () => {
    const ys = xs.map((x) => ({ x, y: 0.3 + 6e-6 * x.wires + 2e-5 * x.domain + 3e-6 * x.terms }));
    expect(fitLinear(ys, ['wires', 'domain', 'terms']).maxRelError).toBeGreaterThan(1e-6);
    const f = fitLinear(ys, ['wires', 'domain', 'terms'], undefined, 3);
    expect(f.maxRelError).toBeLessThan(1e-9);
    expect(Object.keys(f.coef).sort()).toEqual(['domain', 'terms', 'wires']);
  });

  it('recovers a sublinear cost (circom memory grows with the square root of terms and slower)', () => {
    const f = fitLinear(xs.map((x) => ({ x, y: 280 + 0.9 * x.terms ** 0.625 })), ['constraints', 'terms']);
    expect(f.exponent).toEqual({ terms: 0.625 });
    expect(f.maxRelError).toBeLessThan(1e-9);
    expect(formula(f)).toMatch(/terms\^0\.625/);
  });
});

describe('slowdown under contention', () => {
  it('counts the step\'s own threads: a single-threaded step on 2 cores is not slowed by one other busy core, the prover is', () => {
    expect(slowdown('witness', 0, 2)).toBe(1);
    expect(slowdown('witness', 1, 2)).toBe(1);
    expect(slowdown('compile', 3, 2)).toBe(2);
    expect(slowdown('prove', 0, 2)).toBe(1);
    expect(slowdown('prove', 1, 2)).toBe(1.5);
    expect(slowdown('setup', 2, 2)).toBe(2);
  });
});
