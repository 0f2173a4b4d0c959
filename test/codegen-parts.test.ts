/**
 * Parts (src/codegen/circom.ts, TEMPLATE_BYTES): a program whose witness code would pass one template's budget
 * — one wasm function, which V8 refuses past 7.65 MB — is written as several templates of consecutive steps.
 * Forced here on a tiny CNN with a tiny budget: the same constraints as one template (the exact count, which
 * the estimate checks against circom elsewhere), compile's witness-equals-program check over every signal,
 * a proof that verifies, and every single-wire forgery of the witness caught by a constraint.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { estimateModel } from '../src/estimate/estimate.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { loadR1cs } from '../src/toolchain/r1cs.js';
import { inputSignalName } from '../src/codegen/circom.js';
import { wasmFunctionSizes } from '../src/toolchain/wasm-size.js';
import { expectPinned } from './helpers/forge.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

/** x[1,1,6,6] → Conv 3×3 (2 channels) → Relu → Conv 3×3×2 (4 channels) → Relu → Flatten → Gemm 16→4 → Relu → Gemm 4→3: 9-term steps, then 18-term windows, each kernel at 4 places (pattern loops), then rows written inline. */
function tinyCnn(dir: string): string {
  const w = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => ((((i + k) * 37) % 17) - 8) / 16);
  const file = path.join(dir, 'tiny-cnn.onnx');
  writeFileSync(
    file,
    writeOnnxModel({
      graphName: 'tiny-cnn',
      inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
      initializers: [
        { name: 'K', shape: [2, 1, 3, 3], data: w(18, 1) },
        { name: 'B', shape: [2], data: w(2, 2) },
        { name: 'K2', shape: [4, 2, 3, 3], data: w(72, 5) },
        { name: 'W1', shape: [4, 16], data: w(64, 3).map((v) => v || 0.5) }, // no zero: 16-term rows
        { name: 'W2', shape: [3, 4], data: w(12, 4) },
      ],
      nodes: [
        { opType: 'Conv', name: 'conv', inputs: ['x', 'K', 'B'], outputs: ['c'], attributes: { kernel_shape: [3, 3] } },
        { opType: 'Relu', name: 'relu1', inputs: ['c'], outputs: ['r'] },
        { opType: 'Conv', name: 'conv2', inputs: ['r', 'K2'], outputs: ['c2'], attributes: { kernel_shape: [3, 3] } },
        { opType: 'Relu', name: 'relu1b', inputs: ['c2'], outputs: ['r2'] },
        { opType: 'Flatten', name: 'flat', inputs: ['r2'], outputs: ['f'], attributes: { axis: 1 } },
        { opType: 'Gemm', name: 'fc1', inputs: ['f', 'W1'], outputs: ['h'], attributes: { transB: 1 } },
        { opType: 'Relu', name: 'relu2', inputs: ['h'], outputs: ['a'] },
        { opType: 'Gemm', name: 'fc2', inputs: ['a', 'W2'], outputs: ['y'], attributes: { transB: 1 } },
      ],
    }),
  );
  return file;
}

describe('a program written as several templates', () => {
  it('same constraints, witness = program, proves and verifies; every single-wire forgery fails', async () => {
    const dir = tempDir('zkinfer-parts-');
    const modelPath = tinyCnn(dir);
    const x = Array.from({ length: 36 }, (_, i) => (i * 7) % 16);
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ input: [[0, 1, 2, 3, 4, 5].map((r) => x.slice(6 * r, 6 * r + 6))] }));
    const settings = { modelPath, inputRange: [0, 15] as [number, number], inputScale: 0, scale: 4, paramBits: 6 };
    const before = process.env['ZKINFER_TEMPLATE_BYTES'];
    process.env['ZKINFER_TEMPLATE_BYTES'] = '5000'; // a few steps per template (this budget gives both kinds of part, see below)
    try {
      const r = await provePipeline({ ...settings, input, outDir: path.join(dir, 'out') });
      expect(r.verified.ok).toBe(true);
      const paths = artifactPaths(path.join(dir, 'out'));
      const source = readFileSync(paths.source, 'utf8');
      const parts = source.match(/^template Model_Part\d+\(\)/gm) ?? [];
      expect(parts.length).toBeGreaterThanOrEqual(4);
      expect(source).toMatch(/var P\d+c\[\d+\] = /); // conv2's windows stay pattern loops inside their part
      // both kinds of part: steps over inputs x and outputs y in place, and (a window reads conv outputs from
      // before the part and from it) every value in one array s
      const bodies = source.split(/^template /m).filter((t) => t.startsWith('Model_Part'));
      expect(bodies.some((t) => t.includes('signal s['))).toBe(true);
      expect(bodies.some((t) => !t.includes('signal s['))).toBe(true);
      const e = estimateModel(settings).constraints; // the single template's counts
      expect([r.compiled.info.constraints.total, r.compiled.info.constraints.wires]).toEqual([e.total, e.wires]);
      // one function per part besides main's: no function holds the whole model
      expect(wasmFunctionSizes(readFileSync(paths.wasm)).length).toBeGreaterThan(parts.length);
      const r1cs = await loadR1cs(paths.r1cs);
      const w = await calculateWitness({ wasmPath: paths.wasm, input: { [inputSignalName(0)]: x.map(BigInt) } });
      expectPinned(r1cs, w);
    } finally {
      if (before === undefined) delete process.env['ZKINFER_TEMPLATE_BYTES'];
      else process.env['ZKINFER_TEMPLATE_BYTES'] = before;
    }
  }, 300_000);
});
