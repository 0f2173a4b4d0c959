import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { writeOnnxModel, type OnnxModelSpec } from './onnx-writer.ts';

const { onnx } = onnxProto;

// x[1,4] → Gemm(W1[3,4], b1[3], transB=1) → Relu → Gemm(W2[2,3], b2[2], transB=1) → y[1,2]
const W1 = [
  [0.5, -1, 0.25, 2],
  [-0.75, 0.5, 1, -0.5],
  [1.5, 0.25, -2, 0.125],
];
const B1 = [0.1, -0.2, 0.3];
const W2 = [
  [1, -0.5, 2],
  [-1.25, 0.75, 0.5],
];
const B2 = [0.05, -0.15];

function spec(batch: number | string = 1): OnnxModelSpec {
  return {
    graphName: 'mlp_test',
    inputs: [{ name: 'x', shape: [batch, 4] }],
    outputs: [{ name: 'y', shape: [batch, 2] }],
    initializers: [
      { name: 'W1', shape: [3, 4], data: Float32Array.from(W1.flat()) },
      { name: 'b1', shape: [3], data: Float32Array.from(B1) },
      { name: 'W2', shape: [2, 3], data: Float32Array.from(W2.flat()) },
      { name: 'b2', shape: [2], data: Float32Array.from(B2) },
    ],
    nodes: [
      // alpha/beta as explicit floats (1.0 would otherwise be encoded as INT and rejected by ORT).
      { opType: 'Gemm', name: 'fc1', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attributes: { transB: 1, alpha: { float: 1 }, beta: { float: 1 } } },
      { opType: 'Relu', name: 'relu1', inputs: ['h'], outputs: ['h_relu'] },
      { opType: 'Gemm', name: 'fc2', inputs: ['h_relu', 'W2', 'b2'], outputs: ['y'], attributes: { transB: 1 } },
    ],
    metadata: { 'zkinfer.test': 'yes', answer: '42' },
    producer: 'onnx-writer.test',
  };
}

function reference(x: number[]): number[] {
  const h = W1.map((row, o) => Math.max(0, row.reduce((s, w, i) => s + w * x[i]!, B1[o]!)));
  return W2.map((row, o) => row.reduce((s, w, i) => s + w * h[i]!, B2[o]!));
}

describe('writeOnnxModel', () => {
  it('produces a Gemm+Relu+Gemm model that onnxruntime runs and matches a hand computation', async () => {
    const bytes = writeOnnxModel(spec());
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const cases = [
      [1, 2, 3, 4],
      [-1, 0.5, 2, -3],
      [0, 0, 0, 0],
      [10, -7, 0.25, 3.5],
    ];
    let sawNegativePreactivation = false;
    for (const x of cases) {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
      const y = out['y']!;
      expect(y.dims).toEqual([1, 2]);
      const got = Array.from(y.data as Float32Array);
      const want = reference(x);
      for (let k = 0; k < 2; k++) expect(got[k]).toBeCloseTo(want[k]!, 5);
      if (W1.some((row, o) => row.reduce((s, w, i) => s + w * x[i]!, B1[o]!) < 0)) sawNegativePreactivation = true;
    }
    expect(sawNegativePreactivation).toBe(true); // the Relu was actually exercised
  });

  it('supports a symbolic batch dimension', async () => {
    const session = await ort.InferenceSession.create(writeOnnxModel(spec('N')));
    const xs = [
      [1, 2, 3, 4],
      [-1, 0.5, 2, -3],
      [5, -6, 7, -8],
    ];
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xs.flat()), [3, 4]) });
    const got = Array.from(out['y']!.data as Float32Array);
    xs.forEach((x, b) => {
      const want = reference(x);
      for (let k = 0; k < 2; k++) expect(got[b * 2 + k]).toBeCloseTo(want[k]!, 5);
    });
  });

  it('writes ir_version 8, opset 13, raw little-endian float data and metadata_props', () => {
    const bytes = writeOnnxModel(spec());
    const m = onnx.ModelProto.decode(bytes);
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    expect(m.producerName).toBe('onnx-writer.test');
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([
      ['zkinfer.test', 'yes'],
      ['answer', '42'],
    ]);
    const w1 = m.graph!.initializer!.find((t) => t.name === 'W1')!;
    expect(w1.dataType).toBe(1);
    expect(w1.dims!.map(Number)).toEqual([3, 4]);
    expect(w1.floatData).toHaveLength(0);
    const raw = w1.rawData!;
    expect(raw.length).toBe(48);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    expect(dv.getFloat32(0, true)).toBe(0.5);
    expect(dv.getFloat32(4, true)).toBe(-1);
    const fc1 = m.graph!.node![0]!;
    const attrs = Object.fromEntries(fc1.attribute!.map((a) => [a.name, a]));
    expect(attrs['transB']!.type).toBe(onnx.AttributeProto.AttributeType.INT);
    expect(Number(attrs['transB']!.i)).toBe(1);
    expect(attrs['alpha']!.type).toBe(onnx.AttributeProto.AttributeType.FLOAT);
    expect(attrs['alpha']!.f).toBe(1);
  });

  it('honours a custom opset and rejects malformed graphs', () => {
    const m = onnx.ModelProto.decode(writeOnnxModel({ ...spec(), opset: 17 }));
    expect(Number(m.opsetImport[0]!.version)).toBe(17);
    const s = spec();
    expect(() => writeOnnxModel({ ...s, nodes: [...s.nodes].reverse() })).toThrow(/not defined before use/);
    expect(() => writeOnnxModel({ ...s, outputs: [{ name: 'nope', shape: [1, 2] }] })).toThrow(/not produced/);
    expect(() =>
      writeOnnxModel({ ...s, initializers: [{ name: 'W1', shape: [3, 3], data: new Float32Array(12) }, ...s.initializers.slice(1)] }),
    ).toThrow(/12/);
  });
});
