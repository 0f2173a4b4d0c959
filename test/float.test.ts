/** The float path: our float reference of every op against onnxruntime-node and the reference outputs. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { parseOnnx } from '../src/import/onnx.js';
import { runFloat } from '../src/quantize/quantize.js';
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
