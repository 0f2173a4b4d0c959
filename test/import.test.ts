import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { parseOnnx, loadTensorProto } from '../src/import/onnx.js';
import { ModelParseError, UnsupportedOpError } from '../src/errors.js';
import { checkSupported } from '../src/quantize/quantize.js';
import { caseDir } from './helpers/conformance.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';

describe('ONNX import', () => {
  it('reads initializers from raw_data and the typed fields, and resolves symbolic batch dims', () => {
    const g = parseOnnx(readFileSync(caseDir('models', 'ezkl', '1l_mlp', 'model.onnx')), '1l_mlp');
    expect(g.inputs).toMatchObject([{ name: 'input', shape: [1, 3], dtype: 'float32', symbolic: [0] }]);
    expect(g.nodes.map((n) => n.op)).toEqual(['Gemm', 'Relu']);
    expect(g.constants.get('dense.weight')!.shape).toEqual([4, 3]);
    expect(g.nodes[0]!.attrs).toMatchObject({ alpha: 1, beta: 1, transB: 1 });
  });

  it('parses every conformance model and data file it is given', () => {
    const dirs = readdirSync(caseDir('onnx-node')).filter((d) => /^test_(gemm|matmul|add|relu)/.test(d));
    expect(dirs.length).toBeGreaterThan(20);
    for (const d of dirs) {
      const g = parseOnnx(readFileSync(caseDir('onnx-node', d, 'model.onnx')), d);
      expect(g.nodes.length).toBeGreaterThan(0);
      const t = loadTensorProto(readFileSync(caseDir('onnx-node', d, 'test_data_set_0', 'input_0.pb')), 'input_0.pb');
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
  });

  it('turns Constant nodes into constants', () => {
    const g = parseOnnx(readFileSync(caseDir('models', 'ezkl', '1l_reshape', 'model.onnx')), '1l_reshape');
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape']);
    expect(g.constants.size).toBe(1);
  });

  it('rejects a truncated model with a typed error naming the file', () => {
    const bytes = readFileSync(caseDir('models', 'ezkl', '1l_mlp', 'model.onnx'));
    for (const cut of [10, bytes.length >> 1, bytes.length - 7]) {
      const f = () => parseOnnx(bytes.subarray(0, cut), 'cut.onnx');
      expect(f).toThrow(ModelParseError);
      expect(f).toThrow(/^cut\.onnx: /);
    }
  });

  it('rejects random bytes and empty files', () => {
    let seed = 7;
    const rnd = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    expect(() => parseOnnx(rnd, 'random.onnx')).toThrow(ModelParseError);
    expect(() => parseOnnx(new Uint8Array(0), 'empty.onnx')).toThrow(/empty/);
  });

  it('names the node, the op and the supported ops for an unknown op', () => {
    // LSTM: a recurrent op zkinfer does not lower (written here, so newly supported ops never make this pass)
    const bytes = writeOnnxModel({
      graphName: 'lstm', inputs: [{ name: 'x', shape: [1, 1, 2] }], outputs: [{ name: 'y', shape: [1, 1, 1, 3] }],
      initializers: [
        { name: 'W', shape: [1, 12, 2], data: new Float32Array(24).fill(0.1) },
        { name: 'R', shape: [1, 12, 3], data: new Float32Array(36).fill(0.1) },
      ],
      nodes: [{ opType: 'LSTM', name: 'LSTM_0', inputs: ['x', 'W', 'R'], outputs: ['y'], attributes: { hidden_size: { int: 3 } } }],
    });
    const g = parseOnnx(bytes, 'lstm.onnx');
    try {
      checkSupported(g, 'lstm.onnx');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedOpError);
      expect((e as UnsupportedOpError).message).toMatch(/node 'LSTM_0' uses op LSTM/);
      expect((e as UnsupportedOpError).hint).toMatch(/Gemm.*MatMul.*Relu/);
    }
  });
});
