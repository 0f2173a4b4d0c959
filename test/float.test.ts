/** The float path: our float reference of every op against onnxruntime-node and the reference outputs. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { parseOnnx } from '../src/import/onnx.js';
import { runFloat } from '../src/quantize/quantize.js';
import { intRange } from '../src/ir/graph.js';
import { caseDir, loadDataSets } from './helpers/conformance.js';

const FLOAT_CASES = [
  ...readdirSync(caseDir('onnx-node'))
    .filter((d) => /^test_(gemm|matmul|add|relu)/.test(d) && !/int|uint/.test(d))
    .map((d) => ['onnx-node', d]),
  ...['1l_mlp', '1l_relu', '1l_linear', '1l_flatten', '1l_reshape', '1l_identity'].map((d) => ['models', 'ezkl', d]),
  ['models', 'sine-tflm-helloworld-onnx2c'],
];

describe('float reference vs onnxruntime-node', () => {
  for (const parts of FLOAT_CASES) {
    const name = parts.at(-1)!;
    it(name, async () => {
      const dir = caseDir(...parts);
      const bytes = readFileSync(`${dir}/model.onnx`);
      const g = parseOnnx(bytes, name);
      const [ds] = loadDataSets(dir);
      const ours = runFloat(g, ds!.inputs);
      const session = await ort.InferenceSession.create(bytes);
      const feeds: Record<string, ort.Tensor> = {};
      g.inputs.forEach((vi, i) => (feeds[vi.name] = new ort.Tensor('float32', Float32Array.from(ds!.inputs[i]!.data), ds!.inputs[i]!.shape)));
      const res = await session.run(feeds);
      g.outputs.forEach((o, i) => {
        const ref = res[o.name]!.data as Float32Array;
        expect(ours[i]!.data.length).toBe(ref.length);
        ours[i]!.data.forEach((v, j) => {
          expect(Math.abs(v - ref[j]!)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(ref[j]!));
          expect(Math.abs(v - ds!.outputs[i]!.data[j]!)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(ref[j]!));
        });
      });
      await session.release();
    });
  }
});

/**
 * The int8 ops' semantics (our float reference, which the integer program equals exactly: quantize.test.ts)
 * against onnxruntime on random integer data over the full type range (scales and zero points from the case).
 * Exact, except one documented divergence of QLinear* and QuantizeLinear: onnxruntime rounds acc·M (x / scale) to
 * float32 before rint (double rounding), zkinfer rounds the exact value; they differ by 1 when it lies within half
 * a float32 ulp of a half-integer (1 of 1,200 elements of the QLinearMatMul case; with scales like 4.9 for
 * QuantizeLinear). ConvInteger with per-channel w_zero_point is left out: onnxruntime
 * refuses it ("Non per-tensor quantization is not supported now").
 */
describe('int8 ops vs onnxruntime-node on random inputs', () => {
  const ARRAYS = { uint8: Uint8Array, int8: Int8Array, int32: Int32Array, float32: Float32Array } as const;
  const CASES = ['test_qlinearmatmul_2D_uint8_float32', 'test_qlinearmatmul_3D_int8_float32', 'test_qlinearconv', 'test_matmulinteger', 'test_convinteger_without_padding', 'test_quantizelinear', 'test_quantizelinear_axis', 'test_quantizelinear_blocked_asymmetric', 'test_quantizelinear_blocked_symmetric', 'test_dequantizelinear_axis', 'test_dequantizelinear_blocked'];
  for (const name of CASES) {
    it(name, async () => {
      let seed = 12345;
      const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      const dir = caseDir('onnx-node', name);
      const bytes = readFileSync(`${dir}/model.onnx`);
      const g = parseOnnx(bytes, name);
      const [ds] = loadDataSets(dir);
      // the data inputs: a / b, x / w, A / B; every other input is a scale or zero point
      const data = new Set(/qlinear/.test(name) ? [0, 3] : /integer/.test(name) ? [0, 1] : [0]);
      const session = await ort.InferenceSession.create(bytes);
      let n = 0;
      let differ = 0;
      for (let trial = 0; trial < 200; trial++) {
        const ins = ds!.inputs.map((t, i) => {
          if (!data.has(i)) return t;
          const r = intRange(t.dtype);
          // integers over the type's range; floats: multiples of 0.5 and 1.25 (exact ties of x / scale)
          const xs = t.data.map(() => (r ? Math.floor(r[0] + rnd() * (r[1] - r[0] + 1)) : (Math.round((rnd() - 0.5) * 800) / 2) * (trial % 2 ? 1 : 2.5)));
          return { ...t, data: xs };
        });
        const ours = runFloat(g, ins);
        const feeds: Record<string, ort.Tensor> = {};
        g.inputs.forEach((vi, i) => (feeds[vi.name] = new ort.Tensor(ins[i]!.dtype as keyof typeof ARRAYS, ARRAYS[ins[i]!.dtype as keyof typeof ARRAYS].from(ins[i]!.data), ins[i]!.shape)));
        const res = await session.run(feeds);
        g.outputs.forEach((o, k) => {
          const ref = res[o.name]!.data as ArrayLike<number>;
          ours[k]!.data.forEach((v, j) => {
            n++;
            if (v === Number(ref[j])) return;
            differ++;
            expect(/qlinear|quantizelinear/.test(name) && Math.abs(v - Number(ref[j])) === 1, `${v} vs onnxruntime ${ref[j]}`).toBe(true);
          });
        });
      }
      await session.release();
      expect(differ, `${differ} of ${n} differ`).toBeLessThanOrEqual(n / 200);
    });
  }
});
