/** Synthetic models: y = x·W (MatMul, 4 inputs → n outputs) for gas curves; tiny y = relu(x·W) models for trust tests. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeOnnxModel } from '../../src/export/onnx-writer.js';
import { vkHash } from '../../src/receipt.js';
import type { KeyBinding, Receipt } from '../../src/receipt.js';

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

/** Writes DIR/<name>.onnx: y = relu(x · W), x 1×4 in [-1, 1], W 4×3 from a seed (other seeds, other weights). */
export function tinyReluModel(dir: string, name: string, seed: number): string {
  const w = Float32Array.from({ length: 12 }, (_, i) => ((((i + 1) * (seed + 7) * 37) % 17) - 8) / 8);
  const file = path.join(dir, `${name}.onnx`);
  writeFileSync(
    file,
    writeOnnxModel({
      graphName: name,
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
      initializers: [{ name: 'W', shape: [4, 3], data: w }],
      nodes: [
        { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] },
        { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['y'] },
      ],
      metadata: { 'zkinfer.input_range': '-1,1' },
    }),
  );
  return file;
}

/** A receipt of another model relabelled as `honest`: its embedded key's binding and its model fields say honest's model and circuit, and vkHash is recomputed (the relabelled-key attack). */
export function relabel(other: Receipt, honest: Receipt): Receipt {
  const attack = structuredClone(other);
  const b = (attack.verificationKey as { zkinfer: KeyBinding }).zkinfer;
  const hb = (honest.verificationKey as { zkinfer: KeyBinding }).zkinfer;
  Object.assign(b, { circuitHash: hb.circuitHash, model: hb.model, settings: hb.settings });
  return Object.assign(attack, { model: honest.model, circuitHash: honest.circuitHash, vkHash: vkHash(attack.verificationKey) });
}
