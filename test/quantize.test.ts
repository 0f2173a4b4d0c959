/**
 * The integer reference evaluator is the living definition of the circuit: its outputs must equal the
 * witness outputs computed by circom's generated code exactly, for random inputs across the range.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileModel } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { checkWitness, loadR1cs } from '../src/toolchain/r1cs.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { inputSignalName } from '../src/codegen/circom.js';
import { FIELD_P } from '../src/receipt.js';
import { unpackValues } from '../src/quantize/layout.js';
import { expectedSignals } from '../src/verify/signals.js';
import { caseDir, ROOT } from './helpers/conformance.js';

const CASES: [string, string, string | undefined][] = [
  ['bundled mnist-mlp', path.join(ROOT, 'models/mnist-mlp/model.onnx'), path.join(ROOT, 'models/mnist-mlp/inputs')],
  ['ezkl 1l_mlp', caseDir('models/ezkl/1l_mlp/model.onnx'), caseDir('models/ezkl/1l_mlp/input.json')],
  ['gemm all attributes (signal × signal)', caseDir('onnx-node/test_gemm_all_attributes/model.onnx'), caseDir('onnx-node/test_gemm_all_attributes')],
  ['matmul bcast', caseDir('onnx-node/test_matmul_bcast/model.onnx'), caseDir('onnx-node/test_matmul_bcast')],
  ['sine', caseDir('models/sine-tflm-helloworld-onnx2c/model.onnx'), caseDir('models/sine-tflm-helloworld-onnx2c')],
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('integer evaluator equals the witness', () => {
  for (const [name, model, cal] of CASES) {
    it(name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-q-'));
      const { program, info } = await compileModel({ modelPath: model, outDir: dir, calibration: cal, inputVisibility: 'private' });
      const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
      expect(r1cs.nConstraints).toBe(info.constraints.total);
      const rand = rng(42);
      for (let trial = 0; trial < 4; trial++) {
        // trial 0: the extremes of the enforced range; then uniform random values
        const ints = program!.inputs.map((inp) =>
          inp.signals.map((_, j) => {
            if (trial === 0) return j % 2 ? inp.hi : inp.lo;
            return inp.lo + BigInt(Math.floor(rand() * Number(inp.hi - inp.lo + 1n)));
          }),
        );
        const ref = evaluate(program!, ints);
        const input: Record<string, bigint[]> = {};
        ints.forEach((xs, i) => (input[inputSignalName(i)] = xs));
        const w = await calculateWitness({ wasmPath: artifactPaths(dir).wasm, input });
        expect(checkWitness(r1cs, w)).toEqual({ ok: true });
        // public signals = the outputs packed per the layout; unpack them and compare element by element
        const layout = info.layout;
        const proved: bigint[][] = layout.outputs.map(() => []);
        layout.signals.forEach((g, i) => {
          if (g.kind === 'packed' && g.of === 'output') proved[g.tensor]!.push(...unpackValues(w[1 + i]!, layout.outputs[g.tensor]!, g.count));
        });
        expect(proved).toEqual(ref.outputs);
        expect(w.slice(1, 1 + layout.signals.length)).toEqual(await expectedSignals(layout, ints, ref.outputs, {}));
        // the witness never wraps: every output is far from p/2
        for (const v of ref.outputs.flat()) expect(v < FIELD_P / 2n ** 20n && v > -(FIELD_P / 2n ** 20n)).toBe(true);
      }
    });
  }
});
