/**
 * The integer reference evaluator is the living definition of the circuit: its outputs must equal the
 * witness outputs computed by circom's generated code exactly, for random inputs across the range.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { withFixedParams } from './helpers/cases.js';
import { InputError, WitnessError } from '../src/errors.js';
import { mlpModel } from '../bench/models.js';
import { estimateModel } from '../src/estimate/estimate.js';

/** 784 → 64 → 64 → 10: 54k unique terms (≈ 3.5 MB of witness code in one template; test/codegen-parts.test.ts splits programs). */
const SPLIT_MLP = path.join(mkdtempSync(path.join(os.tmpdir(), 'zkinfer-split-')), 'mlp-64x2.onnx');
writeFileSync(SPLIT_MLP, mlpModel([64, 64], 'mlp_64x2'));

const CASES: [string, string, string | undefined][] = [
  ['bundled mnist-mlp', path.join(ROOT, 'models/mnist-mlp/model.onnx'), path.join(ROOT, 'models/mnist-mlp/inputs')],
  ['ezkl 1l_mlp', caseDir('models/ezkl/1l_mlp/model.onnx'), caseDir('models/ezkl/1l_mlp/input.json')],
  ['MLP 784 → 64 → 64 → 10 (54k weights)', SPLIT_MLP, path.join(ROOT, 'models/mnist-mlp/inputs')],
  ['gemm all attributes (signal × signal)', caseDir('onnx-node/test_gemm_all_attributes/model.onnx'), caseDir('onnx-node/test_gemm_all_attributes')],
  ['matmul bcast', caseDir('onnx-node/test_matmul_bcast/model.onnx'), caseDir('onnx-node/test_matmul_bcast')],
  ['sine', caseDir('models/sine-tflm-helloworld-onnx2c/model.onnx'), caseDir('models/sine-tflm-helloworld-onnx2c')],
  // Conv / pooling / activations / remaps / division: every new step kind (max, div) and op
  ...[
    'onnx-node/test_conv_with_strides_and_asymmetric_padding',
    // its 160 outputs (18 terms each, a few weight patterns) are packed element by element (codegen `lcp`)
    'onnx-pytorch/test_Conv2d',
    'onnx-pytorch/test_Conv2d_depthwise_padded',
    'onnx-pytorch/test_Conv1d_dilated',
    'onnx-node/test_maxpool_2d_precomputed_pads',
    'onnx-node/test_maxpool_2d_ceil',
    'onnx-node/test_averagepool_2d_precomputed_pads_count_include_pad',
    'onnx-node/test_globalaveragepool',
    'onnx-pytorch/test_BatchNorm2d_eval',
    'onnx-node/test_leakyrelu',
    'onnx-pytorch/test_PReLU_2d_multiparam',
    'onnx-node/test_clip_splitbounds',
    'onnx-node/test_hardsigmoid',
    'onnx-node/test_div_bcast',
    'onnx-node/test_transpose_all_permutations_3',
    'onnx-node/test_constant_pad',
    // exp / division / square root / comparisons: steps bits, select, sqrt
    'onnx-node/test_sigmoid_example',
    'onnx-node/test_tanh_example',
    'onnx-node/test_softmax_example',
    'onnx-node/test_softmax_large_number',
    'onnx-node/test_sqrt_example',
    'onnx-node/test_argmax_keepdims_example',
    'onnx-node/test_argmax_no_keepdims_example_select_last_index',
    // int8 ops: integer inputs, zero points, exact accumulators, requantization with ties to even, saturation
    'onnx-node/test_quantizelinear',
    'onnx-node/test_quantizelinear_axis',
    'onnx-node/test_quantizelinear_blocked_asymmetric',
    'onnx-node/test_dequantizelinear_axis',
    'onnx-node/test_qlinearmatmul_2D_int8_float32',
    'onnx-node/test_qlinearconv',
    'onnx-node/test_matmulinteger',
    'onnx-node/test_convinteger_with_padding',
  ].map((id): [string, string, string] => {
    const c = withFixedParams({ id, dir: caseDir(id), model: caseDir(id, 'model.onnx'), ops: [], scale: 12, paramBits: 16 });
    return [id, c.model, path.join(c.dir, 'test_data_set_0')];
  }),
  ['ezkl 1l_var (products, means)', caseDir('models/ezkl/1l_var/model.onnx'), caseDir('models/ezkl/1l_var/input.json')],
  ['ezkl 1l_average (pad, average pool, gather)', caseDir('models/ezkl/1l_average/model.onnx'), caseDir('models/ezkl/1l_average/input.json')],
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
      if (name === 'onnx-pytorch/test_Conv2d') expect(readFileSync(artifactPaths(dir).source, 'utf8').match(/lcp \+=/g)).toHaveLength(160);
      if (model === SPLIT_MLP) {
        const e = estimateModel({ modelPath: model, calibration: cal, inputVisibility: 'private' });
        expect([e.constraints.total, e.constraints.wires]).toEqual([info.constraints.total, info.constraints.wires]);
      }
      const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
      expect(r1cs.nConstraints).toBe(info.constraints.total);
      const rand = rng(42);
      for (let trial = 0; trial < 5; trial++) {
        // trial 0: the extremes of the enforced range; then uniform random values; trial 4: random whole numbers
        // (multiples of 2^scale), where roundings hit exact ties (x / 2 for odd x)
        const ints = program!.inputs.map((inp) =>
          inp.signals.map((_, j) => {
            if (trial === 0) return j % 2 ? inp.hi : inp.lo;
            const v = inp.lo + BigInt(Math.floor(rand() * Number(inp.hi - inp.lo + 1n)));
            if (trial < 4 || inp.scale === 0) return v;
            const u = 1n << BigInt(inp.scale);
            const w = (v / u) * u;
            return w < inp.lo ? w + u : w;
          }),
        );
        const input: Record<string, bigint[]> = {};
        ints.forEach((xs, i) => (input[inputSignalName(i)] = xs));
        let ref: ReturnType<typeof evaluate>;
        try {
          ref = evaluate(program!, ints);
        } catch (e) {
          // a division by zero has no value in the evaluator and no witness in the circuit
          expect(e).toBeInstanceOf(InputError);
          await expect(calculateWitness({ wasmPath: artifactPaths(dir).wasm, input })).rejects.toBeInstanceOf(WitnessError);
          continue;
        }
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
