/**
 * Every in-scope one-op case of the ONNX backend tests (onnx-node, onnx-pytorch) and EZKL's networks, on
 * the fast paths (no circuit): the float reference of each op matches the upstream reference output, and
 * the quantized integer program (what the circuit computes, see quantize.test.ts) stays within the
 * tolerance derived from the activation scale. The full prove/verify run of the same cases is
 * `npm run conformance`; test/conformance.test.ts proves a subset.
 */
import { describe, expect, it } from 'vitest';
import { allCases, floatCheck, integerCheck } from './helpers/cases.js';

const CASES = allCases().filter((c) => !c.skip && !/mnist/.test(c.id));

describe('float reference and integer program match the upstream reference', () => {
  it('covers the listed op families', () => {
    const ops = new Set(CASES.flatMap((c) => c.ops));
    for (const op of ['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization', 'Transpose', 'Concat', 'Pad', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'Sub', 'Mul', 'Clip', 'LeakyRelu', 'PRelu', 'HardSigmoid', 'ReduceMean', 'ReduceSum', 'QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'MatMulInteger', 'ConvInteger']) {
      expect(ops.has(op), op).toBe(true);
    }
  });
  for (const c of CASES) {
    it(c.id, () => {
      expect(floatCheck(c)).toBeLessThanOrEqual(1);
      const r = integerCheck(c);
      expect(r.worstRatio, `max abs error ${r.maxAbsError}`).toBeLessThanOrEqual(1);
    });
  }
});
