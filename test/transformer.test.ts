/**
 * The small transformer of issue 16: the bundled, trained models/mnist-transformer (2-layer encoder, 2-head
 * attention, LayerNorm, GELU in PyTorch's Erf form, mean-pool) through zkinfer's integer program — the
 * witness's exact twin — against onnxruntime-node on the bundled digits and held-out digits; and, since
 * proving the bundled one takes minutes, a transformer of the same graph at toy width (seeded weights)
 * compiled, set up, proven and verified, its receipt's integers equal to the integer program's and its
 * logits within the bar of onnxruntime's.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { quantizeModel } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import { quantizeInput } from '../src/quantize/input.js';
import { estimateModel } from '../src/estimate/estimate.js';
import { mulberry32 } from '../src/export/prng.js';
import { seededParams, transformerOnnx } from '../scripts/transformer.js';
import type { TransformerConfig } from '../scripts/transformer.js';
import { argmax, MODEL_DIR, readHeldOut } from '../scripts/transformer-accuracy.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { compileModel } from '../src/compile.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { loadR1cs } from '../src/toolchain/r1cs.js';
import { expectPinned } from './helpers/forge.js';
import { inputSignalName } from '../src/codegen/circom.js';
import { erfF } from '../src/ops/erf.js';
import { parseOnnx } from '../src/import/onnx.js';
import { optimizeGraph } from '../src/quantize/passes.js';

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

async function ortLogits(session: ort.InferenceSession, x: number[], shape: number[]): Promise<number[]> {
  const out = await session.run({ tokens: new ort.Tensor('float32', Float32Array.from(x), shape) });
  return Array.from(out['logits']!.data as Float32Array);
}

describe('bundled transformer (models/mnist-transformer)', () => {
  it('integer program vs onnxruntime on the bundled and 16 held-out digits: same digit, logits within 2^-6·(1 + max|logit|)', async () => {
    const modelPath = path.join(MODEL_DIR, 'model.onnx');
    const bytes = readFileSync(modelPath);
    const { program } = quantizeModel({ modelPath }, bytes, []); // compile's defaults: activations 2^12, 16-bit weights
    const byOp = estimateModel({ modelPath }).constraints.byOp;
    expect(byOp['Gelu'], 'the Erf-form GELU is fused into one Gelu node').toBeDefined();
    expect(byOp['Erf']).toBeUndefined();
    const session = await ort.InferenceSession.create(bytes);
    const spec = program.inputs[0]!;
    const files = ['input.json', ...[0, 3, 4, 8].map((d) => `inputs/digit-${d}.json`)];
    const h = readHeldOut();
    const size = h.seq * h.feat;
    const xs = [
      ...files.map((f) => flat((JSON.parse(readFileSync(path.join(MODEL_DIR, f), 'utf8')) as { input: unknown }).input)),
      ...Array.from({ length: 16 }, (_, i) => Array.from(h.tokens.subarray(i * size, (i + 1) * size))),
    ];
    for (const x of xs) {
      const ref = await ortLogits(session, x, [1, h.seq, h.feat]);
      const q = evaluate(program, [quantizeInput(x, spec, 'test')]).outputs[0]!.map((v) => Number(v) / 2 ** program.outputs[0]!.scale);
      const bar = 2 ** -6 * (1 + Math.max(...ref.map(Math.abs)));
      q.forEach((v, k) => expect(Math.abs(v - ref[k]!), `logit ${k}: ${v} vs ${ref[k]}`).toBeLessThanOrEqual(bar));
      expect(argmax(q)).toBe(argmax(ref));
    }
  }, 120_000);
});

describe('Erf as a piecewise polynomial (src/ops/erf.ts)', () => {
  // built from the Bits, Rescale and product constraints (each with its own forged-witness tests): on a real
  // Erf circuit fed negative, zero, every segment and saturated inputs, changing any one wire of the honest
  // witness (a bit of |x|, a one-hot product, a Horner product, the rescale, a select, the output) is rejected
  it('within 2^-S of erf; every single-wire forgery fails a constraint', async () => {
    const S = 6;
    const xs = [-5, -3.5, -1.75, -0.5, -1 / 64, 0, 1 / 64, 0.3, 0.8, 1.2, 1.7, 2.25, 2.6, 3.1, 3.9, 4, 4.5, 5.9];
    const bytes = writeOnnxModel({ graphName: 'erf', inputs: [{ name: 'X', shape: [xs.length] }], outputs: [{ name: 'Y', shape: [xs.length] }], initializers: [], nodes: [{ opType: 'Erf', name: 'erf', inputs: ['X'], outputs: ['Y'] }] });
    const dir = tempDir('zkinfer-erf-');
    const modelPath = path.join(dir, 'erf.onnx');
    writeFileSync(modelPath, bytes);
    const { program } = await compileModel({ modelPath, outDir: dir, scale: S, inputScale: S, inputRange: [-6, 6], inputVisibility: 'private' });
    const x = xs.map((v) => BigInt(Math.round(v * 2 ** S)));
    evaluate(program!, [x]).outputs[0]!.forEach((y, i) => expect(Math.abs(Number(y) / 2 ** S - erfF(xs[i]!)), `erf(${xs[i]})`).toBeLessThanOrEqual(2 ** -S));
    const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
    const w = await calculateWitness({ wasmPath: artifactPaths(dir).wasm, input: { [inputSignalName(0)]: x } });
    expectPinned(r1cs, w);
  }, 120_000);
});

describe('fuseGelu (src/quantize/passes.ts)', () => {
  /** x·0.5·(1 + erf(x/√2)) as torch.onnx writes it; `leak` also sends the Erf output to a second output. */
  const gelu = (leak: boolean): string[] => {
    const c = (name: string, v: number) => ({ name, shape: [] as number[], data: Float32Array.of(v) });
    const bytes = writeOnnxModel({
      graphName: 'gelu', inputs: [{ name: 'X', shape: [4] }], outputs: [{ name: 'Y', shape: [4] }, ...(leak ? [{ name: 'E', shape: [4] }] : [])],
      initializers: [c('sqrt2', Math.SQRT2), c('one', 1), c('half', 0.5)],
      nodes: [
        { opType: 'Div', name: 'div', inputs: ['X', 'sqrt2'], outputs: ['d'] },
        { opType: 'Erf', name: 'erf', inputs: ['d'], outputs: ['e'] },
        { opType: 'Add', name: 'add', inputs: ['one', 'e'], outputs: ['a'] },
        { opType: 'Mul', name: 'mul', inputs: ['a', 'X'], outputs: ['m'] },
        { opType: 'Mul', name: 'half', inputs: ['m', 'half'], outputs: ['Y'] },
        ...(leak ? [{ opType: 'Identity', name: 'leak', inputs: ['e'], outputs: ['E'] }] : []),
      ],
    });
    return optimizeGraph(parseOnnx(bytes, 'gelu.onnx')).nodes.map((n) => n.op);
  };
  it('fuses the pattern in either operand order, and not when a piece is used elsewhere', () => {
    expect(gelu(false)).toEqual(['Gelu']);
    expect(gelu(true)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul', 'Identity']);
  });
});

describe('a toy-width transformer of the same graph, end to end', () => {
  afterAll(terminateCurve);
  it('compiled, proven and verified: receipt integers = integer program, logits within the bar of onnxruntime, constraints as estimated', async () => {
    const cfg: TransformerConfig = { seq: 4, feat: 6, d: 8, heads: 2, ff: 8, layers: 1, classes: 3 };
    const bytes = transformerOnnx(cfg, seededParams(cfg, 16), { graphName: 'toy_transformer', metadata: { 'zkinfer.input_range': '-1,1', 'zkinfer.input_scale': '6' } });
    const dir = tempDir('zkinfer-transformer-');
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, bytes);
    const rnd = mulberry32(16);
    const x = Array.from({ length: cfg.seq * cfg.feat }, () => Math.round((2 * rnd() - 1) * 64) / 64); // on the input grid
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ input: [x] }));
    const { program } = quantizeModel({ modelPath }, bytes, []);
    const want = evaluate(program, [quantizeInput(x, program.inputs[0]!, 'test')]).outputs[0]!;
    const r = await provePipeline({ modelPath, input, outDir: path.join(dir, 'build') });
    expect(r.verified.ok).toBe(true);
    expect(r.receipt.outputs![0]!.integers).toEqual(want.map(String));
    expect(r.compiled.info.constraints.total).toBe(estimateModel({ modelPath }).constraints.total);
    const ref = await ortLogits(await ort.InferenceSession.create(bytes), x, [1, cfg.seq, cfg.feat]);
    const bar = 2 ** -6 * (1 + Math.max(...ref.map(Math.abs)));
    want.forEach((v, k) => expect(Math.abs(Number(v) / 2 ** program.outputs[0]!.scale - ref[k]!)).toBeLessThanOrEqual(bar));
  }, 300_000);
});
