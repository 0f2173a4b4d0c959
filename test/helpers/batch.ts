/** Batch tests: a tiny model (compiles in seconds), three inputs for it, its proven batch, tampered copies. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { writeOnnxModel } from '../../src/export/onnx-writer.js';
import { compileBatch } from '../../src/compose/batch.js';
import { setupKeys } from '../../src/setup.js';
import { proveInference } from '../../src/prove/prove.js';
import type { Receipt } from '../../src/receipt.js';
import { tempDir } from './pipeline.js';

export const XS = [[0.5, -0.25, 0.75], [-1, 1, 0.5], [0.125, 0, -0.5]];

/** x[1,3] → MatMul → ReLU → MatMul → y[1,2] */
export function tinyModel(dir: string): string {
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


/** Tampered copies of a batch receipt, each with the check that must reject it. */
export function tampered(r: Receipt): [what: string, receipt: Receipt, check: string][] {
  const swapOut = structuredClone(r);
  const l = swapOut.batch!.inferences;
  [l[1]!.outputsHash, l[2]!.outputsHash] = [l[2]!.outputsHash, l[1]!.outputsHash];
  const reorder = structuredClone(r);
  [reorder.batch!.inferences[0], reorder.batch!.inferences[1]] = [reorder.batch!.inferences[1]!, reorder.batch!.inferences[0]!];
  const drop = structuredClone(r);
  drop.batch!.inferences.splice(1, 1);
  drop.batch!.size = 2;
  const none = structuredClone(r);
  delete none.batch;
  return [
    ["inference 1's and 2's outputs swapped in the list", swapOut, 'batch'],
    ['inferences 0 and 1 reordered', reorder, 'batch'],
    ['inference 1 dropped', drop, 'batch'],
    ['the list removed', none, 'batch'],
  ];
}


/** Compile, set up and prove a batch of the tiny model on XS (3 inferences) with this input/output visibility. */
export async function proveBatch(vis: 'public' | 'hashed') {
  const work = tempDir('zkinfer-batch-');
  const dir = path.join(work, 'b3');
  const info = await compileBatch({ modelPath: tinyModel(work), outDir: dir, batch: 3, inputVisibility: vis, outputVisibility: vis });
  await setupKeys({ dir, cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
  const input = path.join(work, 'in.json');
  writeFileSync(input, JSON.stringify({ input_data: XS }));
  return { dir, info, ...(await proveInference({ dir, inputPath: input })) };
}
