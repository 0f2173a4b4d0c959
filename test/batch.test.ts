/**
 * Batches: K inferences in one circuit, proven and verified by the ordinary pipeline; each inference's
 * outputs are the single-inference integer program's, and hashed inputs/outputs keep two public signals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import { batchProgram, compileBatch } from '../src/compose/batch.js';
import { setupKeys } from '../src/setup.js';
import { proveInference } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

/** x[1,3] → MatMul → ReLU → MatMul → y[1,2] */
function tinyModel(dir: string): string {
  const bytes = writeOnnxModel({
    graphName: 'tiny-batch',
    inputs: [{ name: 'x', shape: [1, 3] }],
    outputs: [{ name: 'y', shape: [1, 2] }],
    initializers: [
      { name: 'W1', shape: [3, 4], data: Float32Array.from([0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, -0.5, 0.125, 1, -0.75, 0.5]) },
      { name: 'W2', shape: [4, 2], data: Float32Array.from([1, -0.5, 0.25, 0.75, -1, 0.5, 0.5, 0.25]) },
    ],
    nodes: [
      { opType: 'MatMul', name: 'mm1', inputs: ['x', 'W1'], outputs: ['h'] },
      { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['a'] },
      { opType: 'MatMul', name: 'mm2', inputs: ['a', 'W2'], outputs: ['y'] },
    ],
    metadata: { 'zkinfer.input_range': '-1,1' },
  });
  const f = path.join(dir, 'tiny-batch.onnx');
  writeFileSync(f, bytes);
  return f;
}

const XS = [[0.5, -0.25, 0.75], [-1, 1, 0.5], [0.125, 0, -0.5]];

describe('batches', () => {
  it('the batched program is K copies of the program: each inference gets its own outputs', () => {
    const model = tinyModel(tempDir());
    const q = quantizeModel({ modelPath: model }, readModelFile(model), []);
    const ints = XS.map((x) => x.map((v) => BigInt(Math.round(v * 2 ** 12))));
    const b = batchProgram(q.program, 3);
    expect(b.inputs.map((i) => i.name)).toEqual(['x#0', 'x#1', 'x#2']);
    expect(evaluate(b, ints.map((x) => x)).outputs).toEqual(ints.map((x) => evaluate(q.program, [x]).outputs[0]));
  });

  for (const vis of ['public', 'hashed'] as const) {
    it(`proves and verifies 3 inferences in one proof (input and output ${vis})`, async () => {
      const work = tempDir('zkinfer-batch-');
      const dir = path.join(work, 'b3');
      const info = await compileBatch({ modelPath: tinyModel(work), outDir: dir, batch: 3, inputVisibility: vis, outputVisibility: vis });
      if (vis === 'hashed') expect(info.nPublic).toBe(2); // one commitment for all inputs, one for all outputs
      await setupKeys({ dir, cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
      const input = path.join(work, 'in.json');
      writeFileSync(input, JSON.stringify({ input_data: XS }));
      const { receipt, outputs, opening } = await proveInference({ dir, inputPath: input });
      const v = await verifyReceipt({ receipt, opening });
      expect(v.ok, v.failed?.detail).toBe(true);
      expect(outputs.map((o) => o.name)).toEqual(['y#0', 'y#1', 'y#2']);
      if (vis === 'public') expect(receipt.inputs!.map((t) => t.data)).toEqual(XS);
      else expect(opening!.input!.tensors.map((t) => t.data)).toEqual(XS);
      // a tampered inference fails: the second inference's outputs swapped with the third's
      if (vis === 'public') {
        const bad = structuredClone(receipt);
        [bad.outputs![1], bad.outputs![2]] = [{ ...bad.outputs![2]!, name: 'y#1' }, { ...bad.outputs![1]!, name: 'y#2' }];
        const w = await verifyReceipt({ receipt: bad });
        expect(w.ok).toBe(false);
        expect(w.failed!.name).toBe('outputs');
      }
    }, 120_000);
  }
});
