/**
 * The int8 ops' arithmetic (src/ops/quant.ts, ProgramBuilder.roundHalfEven): round half to even is exact on
 * both of its paths (one rescale when the bounds exclude ties, the bit decomposition otherwise), float32
 * scales are dyadic and represented exactly, and bad quantization parameters are refused naming the node.
 * The circuits themselves are checked against the evaluator in quantize.test.ts and proved in conformance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ProgramBuilder, evaluate } from '../src/quantize/program.js';
import { linSignal } from '../src/quantize/lin.js';
import { dyadic, rintDyadic, rintF, rintRatio } from '../src/ops/quant.js';
import { parseOnnx } from '../src/import/onnx.js';
import { quantizeGraph } from '../src/quantize/quantize.js';
import { UnsupportedOpError } from '../src/errors.js';
import { caseDir } from './helpers/conformance.js';
import { withFixedParams } from './helpers/cases.js';
import { compileModel, quantizeModel } from '../src/compile.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { checkWitness, loadR1cs } from '../src/toolchain/r1cs.js';
import { inputSignalName } from '../src/codegen/circom.js';
import { tempDir } from './helpers/pipeline.js';
import { expectPinned } from './helpers/forge.js';
import { inputSpecs, quantizeInput } from '../src/quantize/input.js';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { writeOnnxModel, OnnxDataType } from '../src/export/onnx-writer.js';
import { runFloat } from '../src/quantize/quantize.js';
import { mulberry32 } from '../src/export/prng.js';

describe('round half to even', () => {
  it('dyadic() writes float32 scales exactly as m · 2^e with m odd', () => {
    for (const x of [2, 0.5, 0.006599999964237213, Math.fround(0.0066 * 0.00705), 5, 3 * 2 ** -30]) {
      const { m, e } = dyadic(x);
      expect(m % 2n).not.toBe(0n);
      expect(Number(m) * 2 ** e).toBe(x);
    }
    expect(dyadic(0)).toEqual({ m: 0n, e: 0 });
  });

  it('rintDyadic and rintF agree with ties to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(rintF)).toEqual([0, 2, 2, 0, -2, -2, 2, -3]);
    expect([[1.5, 3], [7.5, 3], [36.25, 2.5], [-4.5, 3], [10, 4], [1, 3]].map(([x, y]) => rintRatio(x!, y!) + 0)).toEqual([0, 2, 14, -2, 2, 0]);
    for (let v = -40; v <= 40; v++) for (const [m, e] of [[1, -1], [3, -2], [5, -3], [1, -4], [7, 1]] as const) {
      expect(Number(rintDyadic(BigInt(v), BigInt(m), e))).toBe(rintF(v * m * 2 ** e) + 0);
    }
  });

  // every value of a 7-bit signed input, for multipliers and shifts that do and do not admit ties
  for (const [m, k, lo, hi, path] of [
    [1n, 1, -64n, 63n, 'bits'],
    [3n, 2, -64n, 63n, 'bits'],
    [5n, 3, -64n, 63n, 'bits'],
    [-3n, 2, -64n, 63n, 'bits'],
    [3n, 9, -64n, 63n, 'rescale'],
    [12345n, 20, -300n, 300n, 'rescale'],
    [1n, 6, 0n, 127n, 'bits'],
  ] as const) {
    it(`x · ${m} / 2^${k} for x in ${lo}..${hi} (${path} path)`, () => {
      const b = new ProgramBuilder();
      const [x] = b.addInput('x', [1], 0, lo, hi, 1);
      const out = b.roundHalfEven(linSignal(x!), m, k, 'r');
      b.addOutput('y', [1], 0, [out], 'r');
      const p = b.build();
      expect(p.steps.some((s) => s.kind === 'bits')).toBe(path === 'bits');
      for (let v = lo; v <= hi; v++) {
        const y = evaluate(p, [[v]]).outputs[0]![0]!;
        expect(y, `x = ${v}`).toBe(rintDyadic(v, m, -k));
        const [blo, bhi] = b.bounds(out);
        expect(y >= blo && y <= bhi).toBe(true);
      }
    });
  }
});

describe('division by a scale that is not a power of two, ties to even', () => {
  for (const [d, k] of [[3n, 0], [5n, 1], [5n, -2], [3n, 3], [12345n, 4], [7n, -5]] as const) {
    it(`x / (${d} · 2^${k}) for x in −200..200`, () => {
      const b = new ProgramBuilder();
      const [x] = b.addInput('x', [1], 0, -200n, 200n, 1);
      const out = b.roundDivHalfEven(linSignal(x!), d, k, 'r');
      b.addOutput('y', [1], 0, [out], 'r');
      const p = b.build();
      for (let v = -200; v <= 200; v++) {
        const y = evaluate(p, [[BigInt(v)]]).outputs[0]![0]!;
        expect(Number(y), `x = ${v}`).toBe(rintRatio(v, Number(d) * 2 ** k) + 0);
        const [lo, hi] = b.bounds(out);
        expect(y >= lo && y <= hi).toBe(true);
      }
    });
  }
});

describe('int8 ops refuse what they cannot prove exactly, naming the node', () => {
  const g = (id: string) => parseOnnx(readFileSync(caseDir('onnx-node', id, 'model.onnx')), id);

  it('a scale that is a graph input', () => {
    const graph = g('test_quantizelinear_blocked_asymmetric');
    const decls = graph.inputs.map((vi) => ({ name: vi.name, scale: 8, min: -64, max: 64 }));
    expect(() => quantizeGraph(graph, { scale: 8, paramBits: 16, inputs: decls })).toThrow(UnsupportedOpError);
    expect(() => quantizeGraph(graph, { scale: 8, paramBits: 16, inputs: decls })).toThrow(/node 'QuantizeLinear_0' \(QuantizeLinear\): scale must be a constant/);
  });

  it('blocks that do not fit the input', () => {
    const graph = g('test_quantizelinear_blocked_asymmetric');
    const ys = graph.inputs.findIndex((vi) => vi.name === 'y_scale');
    graph.constants.set('y_scale', { shape: [3, 3], data: new Float64Array(9).fill(2) }); // 4 columns in blocks of 2: 2 entries
    graph.inputs.splice(ys, 1);
    graph.nodes[0]!.inputs = graph.nodes[0]!.inputs.slice(0, 2);
    const decls = graph.inputs.map((vi) => ({ name: vi.name, scale: 8, min: -64, max: 64 }));
    expect(() => quantizeGraph(graph, { scale: 8, paramBits: 16, inputs: decls })).toThrow(/node 'QuantizeLinear_0' \(QuantizeLinear\): scale of shape \[3,3\] does not fit blocks of 2 along axis 1 of \[3,4\]/);
  });

  it('a scale computed from the input', () => {
    const graph = g('test_qlinearmatmul_2D_uint8_float32');
    const decls = graph.inputs.map((vi) => ({ name: vi.name, scale: 8, min: 0, max: 1 }));
    expect(() => quantizeGraph(graph, { scale: 8, paramBits: 16, inputs: decls })).toThrow(/node 'QLinearMatMul_0' \(QLinearMatMul\): a_zero_point must be a constant/);
  });
});

describe('the rounding circuits pin every signal', () => {
  // roundHalfEven / roundDivHalfEven are built from the Bits, Rescale and DivFloor gadgets (each with its own
  // forged-witness tests); here, on real QuantizeLinear circuits fed exact ties (x / 2 for odd x: the bit path;
  // x / 5 = ±0.5, ±1.5: the division path), changing any one wire of the honest witness — a parity or sticky bit,
  // a quotient, a remainder, the output — is rejected.
  for (const [name, n] of [['test_quantizelinear', 6], ['test_quantizelinear_axis', 18]] as const) {
    it(`${name}: every single-wire forgery fails a constraint`, async () => {
      const id = `onnx-node/${name}`;
      const c = withFixedParams({ id, dir: caseDir(id), model: caseDir(id, 'model.onnx'), ops: [], scale: 2, paramBits: 16 });
      const dir = tempDir();
      const { program } = await compileModel({ modelPath: c.model, outDir: dir, scale: 2, inputScale: 2, inputRange: [-8, 8], inputVisibility: 'private' });
      expect(program!.steps.some((s) => s.kind === 'bits')).toBe(true);
      const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
      // −7.5, −5, −2.5, −1, 1, 2.5, 5, 7.5, … at scale 2^2
      const ties = [-30n, -20n, -10n, -4n, 4n, 10n, 20n, 30n, 6n, -6n];
      const xs = Array.from({ length: n }, (_, j) => ties[j % ties.length]!);
      const w = await calculateWitness({ wasmPath: artifactPaths(dir).wasm, input: { [inputSignalName(0)]: xs } });
      expect(checkWitness(r1cs, w)).toEqual({ ok: true });
      expectPinned(r1cs, w);
    }, 120_000);
  }

  it('ties go to even: x / 2 for x = −2.5 … 2.5', async () => {
    const id = 'onnx-node/test_quantizelinear';
    const c = withFixedParams({ id, dir: caseDir(id), model: caseDir(id, 'model.onnx'), ops: [], scale: 2, paramBits: 16 });
    const q = quantizeModel({ modelPath: c.model, scale: 2, inputScale: 2, inputRange: [-8, 8] }, readFileSync(c.model), []);
    const xs = Array.from({ length: 6 }, (_, j) => BigInt(4 * (2 * j - 5)));
    expect(evaluate(q.program, [xs]).outputs[0]).toEqual([-2n, -2n, 0n, 0n, 2n, 2n].map((v) => v + 128n));
  });
});

describe('integer-typed inputs', () => {
  it('are whole numbers at scale 0 over the type range; a fraction is refused naming the input', async () => {
    const id = 'onnx-node/test_matmulinteger';
    const c = withFixedParams({ id, dir: caseDir(id), model: caseDir(id, 'model.onnx'), ops: [], scale: 12, paramBits: 16 });
    const { info } = await compileModel({ modelPath: c.model, outDir: tempDir(), calibration: path.join(c.dir, 'test_data_set_0') });
    expect(info.inputs.map((i) => [i.scale, i.lo, i.hi, i.dtype])).toEqual([[0, '0', '255', 'uint8'], [0, '0', '255', 'uint8']]);
    const specs = inputSpecs(info);
    expect(quantizeInput([3, 255], { ...specs[0]!, shape: [2] }, 'x.json')).toEqual([3n, 255n]);
    expect(() => quantizeInput([3.5], { ...specs[0]!, shape: [1] }, 'x.json')).toThrow(/x\.json: input 'A'\[0\] = 3\.5 is not a whole number; the model declares it uint8/);
  });
});

/** A one-node DynamicQuantizeLinear model on n floats. */
const dqlModel = (n: number): Uint8Array => writeOnnxModel({
  graphName: 'dql', inputs: [{ name: 'x', shape: [n] }], initializers: [], opset: 13,
  outputs: [{ name: 'y', shape: [n], elemType: OnnxDataType.UINT8 }, { name: 'y_scale', shape: [] }, { name: 'y_zero_point', shape: [], elemType: OnnxDataType.UINT8 }],
  nodes: [{ opType: 'DynamicQuantizeLinear', name: 'dql', inputs: ['x'], outputs: ['y', 'y_scale', 'y_zero_point'] }],
});

/** rint(a / b) for b > 0, ties to even (bigints). */
const rintBig = (a: bigint, b: bigint): bigint => {
  const q = a >= 0n ? a / b : -((-a + b - 1n) / b);
  const r2 = 2n * (a - q * b);
  return r2 > b || (r2 === b && q % 2n !== 0n) ? q + 1n : q;
};

describe('DynamicQuantizeLinear (src/ops/dynquant.ts)', () => {
  const S = 12;
  const n = 6;
  const bytes = dqlModel(n);
  const program = quantizeGraph(parseOnnx(bytes, 'dql.onnx'), { scale: S, paramBits: 16, inputs: [{ name: 'x', scale: S, min: -8, max: 8 }] });

  it('integer program = the exact formula; vs onnxruntime-node: float reference equal, y and zero point within 1 (onnx test_dynamicquantizelinear* and random vectors)', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const rnd = mulberry32(16);
    // onnx/backend/test/case/node/dynamicquantizelinear.py, then random vectors on the 2^-6 grid (some narrow)
    const sets = [[0, 2, -3, -2.5, 1.34, 0.5], [-1, -2.1, -1.3, -2.5, -3.34, -4], [1, 2.1, 1.3, 2.5, 3.34, 4], [0, 0, 0, 0, 0, 0]];
    for (let t = 0; t < 120; t++) sets.push(Array.from({ length: n }, () => (Math.round((rnd() * 8 - 4) * 64) / 64) * (t % 3 ? 1 : 0.25)));
    let differ = 0;
    for (const xs of sets) {
      const ref = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [n]) });
      const r = { y: Array.from(ref.y!.data as Uint8Array), scale: (ref.y_scale!.data as Float32Array)[0]!, zp: (ref.y_zero_point!.data as Uint8Array)[0]! };
      const fl = runFloat(parseOnnx(bytes, 'dql.onnx'), [{ shape: [n], data: Float64Array.from(xs, Math.fround) }]);
      expect([Array.from(fl[0]!.data), fl[1]!.data[0], fl[2]!.data[0]], `float reference of ${xs}`).toEqual([r.y, r.scale, r.zp]);
      const X = xs.map((v) => BigInt(Math.round(v * 2 ** S)));
      const [y, sc, zp] = evaluate(program, [X]).outputs as [bigint[], bigint[], bigint[]];
      // the stated semantics, computed independently
      const m = X.reduce((a, v) => (v < a ? v : a), 0n);
      const R = X.reduce((a, v) => (v > a ? v : a), 0n) - m;
      const D = R === 0n ? 1n : R;
      const zpExact = rintBig(-255n * m, D);
      expect(zp![0], `zero point of ${xs}`).toBe(zpExact);
      expect(y, `y of ${xs}`).toEqual(X.map((v) => { const q = rintBig(255n * v, D) + zpExact; return q < 0n ? 0n : q > 255n ? 255n : q; }));
      expect(Math.abs(Number(sc![0]) / 2 ** program.outputs[1]!.scale - r.scale)).toBeLessThanOrEqual(2 ** -(S + 16) + 2 ** -24 * r.scale);
      expect(Math.abs(Number(zp![0]) - r.zp)).toBeLessThanOrEqual(1);
      y.forEach((v, j) => {
        expect(Math.abs(Number(v) - r.y[j]!), `y[${j}] of ${xs}`).toBeLessThanOrEqual(1);
        if (Number(v) !== r.y[j]) differ++;
      });
    }
    // near ties only: the upstream case's −2.5 (exactly −127.5) and a few of the random elements
    expect(differ).toBeLessThanOrEqual(4);
    expect(differ).toBeGreaterThanOrEqual(1);
  });

  it('DynamicQuantizeLinear → MatMulInteger with its zero point (onnxruntime dynamic quantization): int32 exactly as onnxruntime where y agrees; compiled (witness = integer program)', async () => {
    const w = Uint8Array.from([3, 250, 128, 77, 0, 255, 140, 9, 201, 66, 128, 180]); // [3, 4] uint8, zero point 128
    const chain = writeOnnxModel({
      graphName: 'dyn', inputs: [{ name: 'x', shape: [2, 3] }], opset: 13,
      initializers: [{ name: 'w', shape: [3, 4], data: w }, { name: 'w_zp', shape: [], data: Uint8Array.of(128) }],
      outputs: [{ name: 'acc', shape: [2, 4], elemType: 6 }, { name: 'y', shape: [2, 3], elemType: OnnxDataType.UINT8 }],
      nodes: [
        { opType: 'DynamicQuantizeLinear', name: 'dql', inputs: ['x'], outputs: ['y', 'y_scale', 'y_zp'] },
        { opType: 'MatMulInteger', name: 'mmi', inputs: ['y', 'w', 'y_zp', 'w_zp'], outputs: ['acc'] },
      ],
    });
    const session = await ort.InferenceSession.create(chain);
    const g = parseOnnx(chain, 'dyn.onnx');
    const p = quantizeGraph(g, { scale: S, paramBits: 16, inputs: [{ name: 'x', scale: S, min: -4, max: 4 }] });
    const rnd = mulberry32(7);
    let compared = 0;
    for (let t = 0; t < 20; t++) {
      const xs = Array.from({ length: 6 }, () => Math.round((rnd() * 8 - 4) * 64) / 64);
      const ref = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [2, 3]) });
      const [acc, y] = evaluate(p, [xs.map((v) => BigInt(Math.round(v * 2 ** S)))]).outputs as [bigint[], bigint[]];
      if (!y.every((v, j) => Number(v) === (ref.y!.data as Uint8Array)[j])) continue; // a near-tie in y: see above
      expect(acc.map(Number), `acc of ${xs}`).toEqual(Array.from(ref.acc!.data as Int32Array));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(15);
    const dir = tempDir();
    const modelPath = path.join(dir, 'dyn.onnx');
    writeFileSync(modelPath, chain);
    const c = await compileModel({ modelPath, outDir: dir, scale: S, inputRange: [-4, 4] });
    expect(c.info.outputs.map((o) => o.scale)).toEqual([0, 0]);
  }, 180_000);

  it('every single-wire forgery fails a constraint (exact ties, a negative and a positive side, all-zero data)', async () => {
    const dir = tempDir();
    const modelPath = path.join(dir, 'dql.onnx');
    writeFileSync(modelPath, bytes);
    await compileModel({ modelPath, outDir: dir, scale: 2, inputScale: 2, inputRange: [-8, 8], inputVisibility: 'private' });
    const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
    // x = 0, 2, −3, −2.5, 1.25, 0.5 at scale 2^2: 255·x / 5 hits the ties ±127.5 and 25.5; then all zeros (R = 0)
    for (const xs of [[0n, 8n, -12n, -10n, 5n, 2n], [0n, 0n, 0n, 0n, 0n, 0n]]) {
      expectPinned(r1cs, await calculateWitness({ wasmPath: artifactPaths(dir).wasm, input: { [inputSignalName(0)]: xs } }));
    }
  }, 180_000);
});
