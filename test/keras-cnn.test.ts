/**
 * The bundled Keras-example MNIST CNN (models/keras-cnn, scripts/train-keras-cnn.ts): its ONNX reads, our float
 * reference of it equals onnxruntime's on two digits, and the demo input is a 7. Fast: no circuit (the proving
 * demonstration is scripts/keras-cnn-demo.ts, minutes).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseOnnx } from '../src/import/onnx.js';
import { runFloat } from '../src/quantize/quantize.js';
import { argmax, loadDigits } from '../scripts/mnist-digits.js';

const DIR = path.resolve(import.meta.dirname, '..', 'models', 'keras-cnn');

describe('bundled Keras MNIST CNN', () => {
  it('float reference = onnxruntime on the demo input and a held-out digit', async () => {
    const bytes = readFileSync(path.join(DIR, 'model.onnx'));
    const g = parseOnnx(bytes, 'keras-cnn');
    expect(g.metadata['zkinfer.trained_by']).toBe('scripts/train-keras-cnn.ts');
    expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm']);
    const demo = (JSON.parse(readFileSync(path.join(DIR, 'input.json'), 'utf8')) as { input: number[][][][] }).input.flat(3);
    const other = loadDigits(200).test.find((d) => d.label === 3)!;
    const session = await ort.InferenceSession.create(bytes);
    for (const pixels of [demo, Array.from(other.pixels)]) {
      const ours = runFloat(g, [{ shape: [1, 1, 28, 28], data: Float64Array.from(pixels) }])[0]!.data;
      const ref = (await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(pixels), [1, 1, 28, 28]) }))['logits']!.data as Float32Array;
      expect(ours.length).toBe(10);
      ours.forEach((v, k) => expect(Math.abs(v - ref[k]!)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(ref[k]!)));
      expect(argmax(ours)).toBe(argmax(ref));
    }
    expect(argmax(runFloat(g, [{ shape: [1, 1, 28, 28], data: Float64Array.from(demo) }])[0]!.data)).toBe(7);
    await session.release();
  });
});
