/** Synthetic models with a chosen number of outputs: y = x·W (MatMul, 4 inputs → n outputs), for gas curves. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeOnnxModel } from '../../src/export/onnx-writer.js';

/** Writes DIR/linear-<n>.onnx and DIR/linear-<n>-input.json; returns their paths. */
export function linearModel(dir: string, nOut: number): { model: string; input: string } {
  const w = Float32Array.from({ length: 4 * nOut }, (_, i) => (((i * 37) % 17) - 8) / 8);
  const bytes = writeOnnxModel({
    graphName: `linear-${nOut}`,
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, nOut] }],
    initializers: [{ name: 'W', shape: [4, nOut], data: w }],
    nodes: [{ opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['y'] }],
    metadata: { 'zkinfer.input_range': '-1,1' },
  });
  const model = path.join(dir, `linear-${nOut}.onnx`);
  const input = path.join(dir, `linear-${nOut}-input.json`);
  writeFileSync(model, bytes);
  writeFileSync(input, JSON.stringify({ input: [[0.5, -0.25, 0.75, -1]] }));
  return { model, input };
}
