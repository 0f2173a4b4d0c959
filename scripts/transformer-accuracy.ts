/**
 * Float vs quantized accuracy of the bundled transformer (models/mnist-transformer) on its held-out digits:
 * float = onnxruntime-node's logits (recorded in heldout.json by scripts/train-transformer.ts, re-checked
 * here on the first digits), quantized = zkinfer's integer program as compile builds it (quantizeModel, the
 * same settings), which the circuit's witness equals signal by signal.
 *
 *   node --import tsx scripts/transformer-accuracy.ts [--scale S] [--param-bits P] [--count N]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { quantizeModel } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import { estimateModel } from '../src/estimate/estimate.js';

export const MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', 'mnist-transformer');

export interface HeldOut {
  seq: number;
  feat: number;
  tokens: Uint8Array;
  labels: number[];
  logits: number[];
}

export function readHeldOut(dir = MODEL_DIR): HeldOut {
  const j = JSON.parse(readFileSync(path.join(dir, 'heldout.json'), 'utf8')) as Omit<HeldOut, 'tokens'> & { tokens: string };
  return { ...j, tokens: new Uint8Array(Buffer.from(j.tokens, 'base64')) };
}

export const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  return best;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scale: { type: 'string' }, 'param-bits': { type: 'string' }, count: { type: 'string' } } });
  const modelPath = path.join(MODEL_DIR, 'model.onnx');
  const bytes = readFileSync(modelPath);
  const h = readHeldOut();
  const n = Math.min(h.labels.length, Number(values.count ?? h.labels.length));
  const size = h.seq * h.feat;
  const settings = { modelPath, scale: values.scale ? Number(values.scale) : undefined, paramBits: values['param-bits'] ? Number(values['param-bits']) : undefined };
  const { program, scale, paramBits } = quantizeModel(settings, bytes, []);
  const est = estimateModel(settings);
  console.log(`model ${path.relative(process.cwd(), modelPath)}: activations 2^${scale}, params ${paramBits} bits, ${est.constraints.total} constraints`);

  // the recorded float logits are onnxruntime's: re-check a few
  const session = await ort.InferenceSession.create(bytes);
  for (let i = 0; i < Math.min(n, 20); i++) {
    const out = await session.run({ tokens: new ort.Tensor('float32', Float32Array.from(h.tokens.subarray(i * size, (i + 1) * size)), [1, h.seq, h.feat]) });
    const y = out['logits']!.data as Float32Array;
    y.forEach((v, k) => {
      if (Math.abs(v - h.logits[i * 10 + k]!) > 1e-4 * (1 + Math.abs(v))) throw new Error(`heldout.json logits of digit ${i} differ from onnxruntime's: rerun scripts/train-transformer.ts`);
    });
  }

  let floatOk = 0;
  let quantOk = 0;
  let agree = 0;
  let maxErr = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const x = Array.from(h.tokens.subarray(i * size, (i + 1) * size), (v) => BigInt(v)); // input scale 0
    const q = evaluate(program, [x]).outputs[0]!.map((v) => Number(v) / 2 ** program.outputs[0]!.scale);
    const f = h.logits.slice(i * 10, i * 10 + 10);
    q.forEach((v, k) => (maxErr = Math.max(maxErr, Math.abs(v - f[k]!))));
    const pf = argmax(f);
    const pq = argmax(q);
    if (pf === h.labels[i]) floatOk++;
    if (pq === h.labels[i]) quantOk++;
    if (pf === pq) agree++;
  }
  const pct = (k: number): string => `${((100 * k) / n).toFixed(2)}%`;
  console.log(`held-out digits: ${n} (integer program ${((performance.now() - t0) / n).toFixed(0)} ms per digit)`);
  console.log(`float (onnxruntime) accuracy ${pct(floatOk)} (${floatOk}/${n})`);
  console.log(`quantized (zkinfer integer program) accuracy ${pct(quantOk)} (${quantOk}/${n}); difference ${((100 * (floatOk - quantOk)) / n).toFixed(2)} points`);
  console.log(`argmax agreement ${agree}/${n}; max |logit error| ${maxErr.toFixed(4)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
