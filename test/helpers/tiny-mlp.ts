/** A tiny MLP in ONNX (x[1,4] → 3 MatMuls with ReLUs → y[1,3]): small enough to cut into segments and prove in a second. */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeOnnxModel } from '../../src/export/onnx-writer.js';
import { compileSegmented, setupSegments } from '../../src/compose/compile.js';
import { withDirLock } from './pipeline.js';

/** x[1,4] → MatMul → ReLU → MatMul → ReLU → MatMul → y[1,3]; `seed` varies the weights (another model). */
export function tinyMlp(dir: string, seed: number): string {
  const w = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => ((((i + k) * 37 + seed * 11) % 17) - 8) / 8);
  const bytes = writeOnnxModel({
    graphName: `tiny-mlp-${seed}`,
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'W1', shape: [4, 6], data: w(24, 1) },
      { name: 'W2', shape: [6, 6], data: w(36, 2) },
      { name: 'W3', shape: [6, 3], data: w(18, 3) },
    ],
    nodes: [
      { opType: 'MatMul', name: 'mm1', inputs: ['x', 'W1'], outputs: ['h1'] },
      { opType: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['a1'] },
      { opType: 'MatMul', name: 'mm2', inputs: ['a1', 'W2'], outputs: ['h2'] },
      { opType: 'Relu', name: 'relu2', inputs: ['h2'], outputs: ['a2'] },
      { opType: 'MatMul', name: 'mm3', inputs: ['a2', 'W3'], outputs: ['y'] },
    ],
    metadata: { 'zkinfer.input_range': '-1,1' },
  });
  const file = path.join(dir, `tiny-mlp-${seed}.onnx`);
  writeFileSync(file, bytes);
  return file;
}


/**
 * tinyMlp(seed) compiled in 3 segments and set up (dev keys), once per test run in a temp dir shared by the
 * test files (a lock directory makes them take turns), then copied into `outDir` (a test may write into it).
 */
export async function buildTinySegmented(seed: number, outDir: string): Promise<{ model: string; dir: string }> {
  const shared = path.join(os.tmpdir(), `zkinfer-tiny-seg-${seed}-${process.ppid}`); // the forks of one vitest run share its pid
  await withDirLock(`${shared}.lock`, async () => {
    if (existsSync(path.join(shared, 'm', 'segments.keys.json'))) return;
    mkdirSync(shared, { recursive: true });
    await compileSegmented({ modelPath: tinyMlp(shared, seed), outDir: path.join(shared, 'm'), segments: 3 });
    await setupSegments({ dir: path.join(shared, 'm'), cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
  });
  mkdirSync(outDir, { recursive: true });
  const model = path.join(outDir, `tiny-mlp-${seed}.onnx`);
  cpSync(path.join(shared, `tiny-mlp-${seed}.onnx`), model);
  const dir = path.join(outDir, `seg-${seed}`);
  cpSync(path.join(shared, 'm'), dir, { recursive: true });
  return { model, dir };
}
