/**
 * Every visibility combination on one model: compile → dev setup → prove → verify, with the cost of each.
 *   node --import tsx scripts/visibility-matrix.ts <model.onnx> <input> [--calibration P] [--scale N] [--input-scale N] [--param-bits N] [--input-range LO,HI] [--params fixed,hashed] [--inputs public,private,hashed] [--outputs public,hashed]
 * Prints a Markdown table (constraints, public signals, seconds, verified).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileModel } from '../src/compile.js';
import { setupKeys } from '../src/setup.js';
import { proveInference } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { calibration: { type: 'string' }, scale: { type: 'string' }, 'input-scale': { type: 'string' }, 'param-bits': { type: 'string' }, 'input-range': { type: 'string' }, params: { type: 'string', default: 'fixed' }, inputs: { type: 'string', default: 'public,private,hashed' }, outputs: { type: 'string', default: 'public,hashed' } },
});
const [model, input] = positionals;
if (!model || !input) {
  console.error('usage: visibility-matrix.ts <model.onnx> <input> [--calibration P] [--scale N] [--input-scale N] [--param-bits N] [--input-range LO,HI] [--params fixed,hashed]');
  process.exit(2);
}
const rows: string[] = ['| input | output | params | constraints | public signals | compile s | setup s | prove s | verified |', '|---|---|---|---|---|---|---|---|---|'];
for (const params of values.params!.split(',') as ('fixed' | 'private' | 'hashed')[]) {
  for (const inputVisibility of values.inputs!.split(',') as ('public' | 'private' | 'hashed')[]) {
    for (const outputVisibility of values.outputs!.split(',') as ('public' | 'hashed')[]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-vis-'));
      const t0 = performance.now();
      const c = await compileModel({
        modelPath: model, outDir: dir, calibration: values.calibration, inputVisibility, outputVisibility, paramVisibility: params,
        scale: values.scale ? Number(values.scale) : undefined, inputScale: values['input-scale'] ? Number(values['input-scale']) : undefined,
        paramBits: values['param-bits'] ? Number(values['param-bits']) : undefined,
        inputRange: values['input-range'] ? (values['input-range'].split(',').map(Number) as [number, number]) : undefined,
      });
      const t1 = performance.now();
      await setupKeys({ dir });
      const t2 = performance.now();
      const p = await proveInference({ dir, inputPath: input });
      const v = await verifyReceipt({ receipt: p.receipt, opening: p.opening });
      const row = `| ${inputVisibility} | ${outputVisibility} | ${params} | ${c.info.constraints.total} | ${c.info.nPublic} | ${((t1 - t0) / 1000).toFixed(1)} | ${((t2 - t1) / 1000).toFixed(1)} | ${p.seconds.prove.toFixed(1)} | ${v.ok} |`;
      rows.push(row);
      console.error(row);
    }
  }
}
console.log(rows.join('\n'));
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
