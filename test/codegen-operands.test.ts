/**
 * Long operands in generated circom (issue 18 §1): every step kind whose operands are long linear
 * combinations (pattern loops from 16 terms, blocked loops from 64, balanced sums over several arrays) must
 * compute in the witness exactly what the integer program computes. Once, a product of two long sums was
 * written as `(lc) * (lc)`: the square of the second. compile's self-check (src/check-circuit.ts) compares
 * every signal; here it runs on hand-built programs, on a source with that bug put back, and on the issue's
 * ONNX repro Mul(ReduceSum(x[16]), ReduceSum(y[16])).
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCircom } from '../src/codegen/circom.js';
import { checkCircuit } from '../src/check-circuit.js';
import { CIRCOMLIB_DIR, CIRCUITS_DIR, PACKAGE_ROOT, commonAncestor, compileModel } from '../src/compile.js';
import { linAdd, linAddScaled, linConst, linSignal } from '../src/quantize/lin.js';
import type { Lin } from '../src/quantize/lin.js';
import { ProgramBuilder, bitLength, evaluate } from '../src/quantize/program.js';
import type { Program } from '../src/quantize/program.js';
import { makeLayout } from '../src/quantize/layout.js';
import type { Visibility } from '../src/quantize/layout.js';
import { compileCircuit } from '../src/toolchain/circom.js';
import { loadSymbols } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { CircuitMismatchError } from '../src/errors.js';
import { GADGET_WORK } from './helpers/gadget.js';
import { tempDir } from './helpers/pipeline.js';
import { artifactPaths } from '../src/artifacts/layout.js';

/** Σ k(i)·xs[i] + c */
const sum = (xs: Lin[], k: (i: number) => bigint, c = 0n): Lin => xs.reduce((acc, e, i) => linAddScaled(acc, e, k(i)), linConst(c));

/** One step of every kind, each with two (or three) different long operands of n terms or more. */
function longOperands(n: number): Program {
  const b = new ProgramBuilder();
  const x = b.addInput('x', [n + 3], 0, -100n, 100n, n + 3).map(linSignal);
  const y = b.addInput('y', [n], 0, -100n, 100n, n).map(linSignal);
  const u = b.addInput('u', [n], 0, 0n, 100n, n).map(linSignal);
  const A = sum(x.slice(0, n), (i) => BigInt((i % 7) + 1), 3n); // one array: a pattern loop
  const B = sum(y, (i) => BigInt(2 * i - 9)); // another pattern
  const M = linAdd(sum(x.slice(1, n + 1), () => 1n), sum(u, (i) => BigInt(i + 1))); // two arrays: a sum written out
  const N = linAdd(sum(y, () => -2n), sum(u, () => 3n, -5n));
  const den = sum(u, () => 1n, 1n); // ≥ 1
  const den2 = linAdd(den, sum(u, (i) => BigInt(i % 3)));
  const outs: Lin[] = [];
  outs.push(b.mul(A, B, 'mul-AB'), b.mul(M, N, 'mul-MN'), b.mul(A, M, 'mul-AM'));
  outs.push(b.div(M, den, 'div-M-den'), b.div(A, den2, 'div-A-den2'));
  outs.push(b.max(A, B, 'max-AB'), b.max(M, N, 'max-MN'));
  const bit = b.bits(u[0]!, 7, 'bit')[0]!;
  outs.push(b.select(bit, A, B, 'select-AB'), b.select(bit, M, N, 'select-MN'));
  outs.push(b.rescale(M, 3, false, 'rescale-M'), b.rescale(B, 2, true, 'relu-B'));
  outs.push(b.sqrt(den2, 'sqrt-den2'));
  const [, hi] = b.bounds(den2);
  outs.push(...b.bits(den2, bitLength(hi), 'bits-den2').slice(0, 2));
  b.addOutput('steps', [outs.length], 0, outs, 'steps');
  // long output combinations: packed flat, and (windows of one pattern) packed element by element
  b.addOutput('sums', [3], 0, [A, M, N], 'sums');
  b.addOutput('windows', [4], 0, [0, 1, 2, 3].map((j) => sum(x.slice(j, j + n), (i) => BigInt((i % 5) - 2))), 'windows');
  return b.build();
}

async function compileProgram(program: Program, key: string, visibility: Visibility, edit: (src: string) => string = (s) => s) {
  const dir = path.join(GADGET_WORK, key);
  mkdirSync(dir, { recursive: true });
  const layout = makeLayout(program, visibility);
  const source = edit(generateCircom(program, { layout }));
  const sourcePath = path.join(dir, 'model.circom');
  writeFileSync(sourcePath, source);
  const c = await compileCircuit({ sourcePath, outDir: dir, includeDirs: [CIRCUITS_DIR, CIRCOMLIB_DIR], optimize: 'O1', projectRoot: commonAncestor([PACKAGE_ROOT, CIRCOMLIB_DIR]) });
  return { c, layout, source };
}

const PUBLIC: Visibility = { input: 'public', output: 'public', params: 'fixed' };

describe('long operands: the witness equals the integer program', () => {
  for (const n of [16, 64]) {
    it(`every step kind with ${n}-term operands`, async () => {
      const program = longOperands(n);
      const { c, layout, source } = await compileProgram(program, `operands-${n}`, n === 16 ? PUBLIC : { input: 'hashed', output: 'hashed', params: 'fixed' });
      expect(source).toMatch(/<== \(lc\) \* \(lc2\);/);
      const r = await checkCircuit({ program, layout, wasmPath: c.wasmPath, symPath: c.symPath, trials: 4 });
      expect(r.checked).toBe(4);
      // the product signal is kept by the compiler and was compared (not only the public signals)
      const sym = await loadSymbols(c.symPath);
      expect([...sym.keys()].filter((k) => /^main\.s\[\d+\]$/.test(k)).length).toBeGreaterThan(10);
      expect(r.signals).toBeGreaterThan(3 * n);
    }, 120_000);
  }

  it('the self-check names the first differing signal of a circuit with the shared-var bug put back', async () => {
    const program = longOperands(16);
    // the old emission: both operands of a product in `lc`
    const buggy = (s: string) => s.replace(/\blc2\b/g, 'lc').replace('    var lc;\n    var lc;\n', '    var lc;\n');
    const { c, layout, source } = await compileProgram(program, 'operands-bug', PUBLIC, buggy);
    expect(source).toMatch(/<== \(lc\) \* \(lc\);/);
    const err = await checkCircuit({ program, layout, wasmPath: c.wasmPath, symPath: c.symPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitMismatchError);
    const m = err as CircuitMismatchError;
    expect(m.code).toBe('circuit-mismatch');
    expect(m.signal).toMatch(/^s\[\d+\]$/);
    expect(m.message).toMatch(/mul step of node 'mul-AB'/);
  }, 120_000);

  it("issue 18's repro: Mul(ReduceSum(x[16]), ReduceSum(y[16])) at x = 0.5, y = 0.25 is 32", async () => {
    const dir = tempDir('zkinfer-mulsum-');
    const model = path.join(dir, 'mulsum.onnx');
    writeFileSync(
      model,
      writeOnnxModel({
        graphName: 'mulsum',
        inputs: [{ name: 'x', shape: [1, 16] }, { name: 'y', shape: [1, 16] }],
        outputs: [{ name: 'z', shape: [1, 1] }],
        initializers: [],
        nodes: [
          { opType: 'ReduceSum', name: 'sx', inputs: ['x'], outputs: ['a'] },
          { opType: 'ReduceSum', name: 'sy', inputs: ['y'], outputs: ['b'] },
          { opType: 'Mul', name: 'mul', inputs: ['a', 'b'], outputs: ['z'] },
        ],
        metadata: { 'zkinfer.input_range': '-1,1' },
      }),
    );
    const compiled = await compileModel({ modelPath: model, outDir: dir, scale: 8 });
    const program = compiled.program!;
    expect(program.steps.some((s) => s.kind === 'mul' && s.a.terms.size === 16 && s.b.terms.size === 16)).toBe(true);
    const x = Array.from({ length: 16 }, () => 128n); // 0.5 at 2^8
    const y = Array.from({ length: 16 }, () => 64n); // 0.25
    const want = evaluate(program, [x, y]).outputs[0]![0]!;
    expect(Number(want) / 2 ** compiled.info.outputs[0]!.scale).toBe(32);
    const w = await calculateWitness({ wasmPath: artifactPaths(dir).wasm, input: { in0: x, in1: y } });
    const sym = await loadSymbols(artifactPaths(dir).sym);
    const layout = compiled.info.layout;
    const pk = layout.outputs[0]!;
    expect(w[sym.get('main.pub[0]')!]! + BigInt(pk.lo)).toBe(want);
  }, 120_000);
});
