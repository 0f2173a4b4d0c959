/**
 * Conformance runner: every case in ../shared/conformance (skipping only those out of scope, with the
 * reason) through compile → setup (dev) → prove → verify, compared with the float reference.
 * Writes conformance/results.md (a table: case, ops, constraints, max abs error vs the float reference,
 * the bar it must meet, EZKL's error where known, verified, pass) and prints a summary.
 *
 *   npm run conformance                      # everything (tens of minutes on 2 cores)
 *   npm run conformance -- --filter 'conv|pool' --out conformance/conv.md
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AUTO_REL_ERROR } from '../src/quantize/calibrate.js';
import { estimateModel } from '../src/estimate/estimate.js';
import { allCases, isIntegerOutput, tolerance, withFixedParams } from '../test/helpers/cases.js';
import type { Case } from '../test/helpers/cases.js';
import { ezklError, loadDataSets, ROOT } from '../test/helpers/conformance.js';
import type { DataSet } from '../test/helpers/conformance.js';
import { provePipeline, terminateCurve } from '../test/helpers/pipeline.js';

interface Row {
  id: string;
  ops: string;
  constraints?: number;
  maxAbsError?: number;
  bar?: string;
  ezkl?: string;
  verified?: boolean;
  pass: boolean | 'skip';
  note: string;
  proveSeconds?: number;
}

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = new RegExp(opt('--filter') ?? '.');
const outFile = path.resolve(ROOT, opt('--out') ?? 'conformance/results.md');

const argmax = (xs: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[b]!) b = i;
  return b;
};

/**
 * mnist-8: sets 0–2 have pixels 0..255 (logits ≈ ±7,000), sets 3–5 pixels in [0, 1] (logits ≈ ±20). One circuit
 * for all six: calibrated on every set's input, the scales chosen automatically (no hand settings).
 */
async function mnist8(c: Case): Promise<Row[]> {
  const sets = loadDataSets(c.dir);
  const dir = path.join(ROOT, '.zkinfer', 'conformance', `${path.basename(c.dir)}-auto`);
  const rows: Row[] = [];
  for (const ds of sets) {
    const t = Date.now();
    const r = await provePipeline({ modelPath: c.model, input: ds.dir, outDir: dir, calibration: c.dir, autoScale: true, inputVisibility: 'public' });
    const out = r.proved.outputs[0]!.data;
    const ref = ds.outputs[0]!.data;
    const err = Math.max(...out.map((v, j) => Math.abs(v - ref[j]!)));
    const agree = argmax(out) === argmax(ref);
    const s = r.compiled.info.settings;
    rows.push({
      id: `${c.id} ${path.basename(ds.dir)}`,
      ops: c.ops.join(' '),
      constraints: r.compiled.info.constraints.total,
      maxAbsError: err,
      bar: 'reference argmax',
      verified: r.verified.ok,
      pass: r.verified.ok && agree,
      note: `argmax ${argmax(out)} (ref ${argmax(ref)}); logits up to ${Math.max(...Array.from(ref, Math.abs)).toFixed(1)}; auto scales: activations 2^${s.scale}, params ${s.paramBits} bits, input 2^${r.compiled.info.inputs[0]!.scale}; prove ${((Date.now() - t) / 1000).toFixed(1)} s incl. setup when first`,
    });
  }
  return rows;
}

/**
 * A data directory holding `from`'s data sets except those whose input equals `input` (links, in a temp
 * dir): calibration data that leaves the tested input out.
 */
function calibrationWithout(from: string, input: DataSet): { dir: string; left: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-cal-'));
  const left: string[] = [];
  for (const ds of loadDataSets(from)) {
    const same = ds.inputs[0]!.data.length === input.inputs[0]!.data.length && ds.inputs[0]!.data.every((v, j) => v === input.inputs[0]!.data[j]);
    if (same) left.push(path.basename(ds.dir));
    else symlinkSync(ds.dir, path.join(dir, path.basename(ds.dir)));
  }
  return { dir, left };
}

/**
 * A network cut (mnist-layers-connxr: mnist-8's activations after each layer): scales chosen automatically
 * from calibration data that does not contain the tested input. Automatic scales aim at errors within
 * AUTO_REL_ERROR (2^-7) of the largest |output| on the calibration samples; on an unseen input the bar is
 * twice that: max abs error ≤ 2^-6 · max |ref|.
 */
async function autoScaled(c: Case): Promise<Row[]> {
  const [ds] = loadDataSets(c.dir);
  const cal = calibrationWithout(c.autoScaleFrom!, ds!);
  const t = Date.now();
  const r = await provePipeline({ modelPath: c.model, input: ds!.dir, calibration: cal.dir, autoScale: true, inputVisibility: 'public' });
  const proveSeconds = (Date.now() - t) / 1000;
  let err = 0;
  let top = 0;
  r.proved.outputs.forEach((o, k) => o.data.forEach((v, j) => {
    const ref = ds!.outputs[k]!.data[j]!;
    err = Math.max(err, Math.abs(v - ref));
    top = Math.max(top, Math.abs(ref));
  }));
  const bar = 2 * AUTO_REL_ERROR * top;
  const s = r.compiled.info.settings;
  return [{
    id: c.id,
    ops: c.ops.join(' '),
    constraints: r.compiled.info.constraints.total,
    maxAbsError: err,
    bar: `≤ 2^-6·max|ref| = ${bar.toPrecision(3)}`,
    verified: r.verified.ok,
    pass: r.verified.ok && err <= bar,
    note: `auto scales from ${path.basename(c.autoScaleFrom!)} sets other than the tested input (${cal.left.join(', ') || 'none'} left out): activations 2^${s.scale}, params ${s.paramBits} bits, input 2^${r.compiled.info.inputs[0]!.scale}; max|ref| ${top.toPrecision(4)}`,
    proveSeconds,
  }];
}

/** Above this many constraints circom2 (32-bit WebAssembly, 4 GiB) does not get through (968k and 2.2M crashed it). */
const CIRCOM2_REACH = 900_000;

async function runCase(c0: Case): Promise<Row[]> {
  const base = { id: c0.id, ops: c0.ops.join(' ') };
  if (c0.skip) return [{ ...base, pass: 'skip', note: c0.skip }];
  if (/models\/mnist-8$/.test(c0.id) || /mnist-8-opt-wonnx$/.test(c0.id)) return mnist8(c0);
  if (c0.autoScaleFrom) return autoScaled(c0);
  const c = withFixedParams(c0);
  const [ds] = loadDataSets(c.dir);
  const cal = c.inputJson ?? ds!.dir;
  const settings = { modelPath: c.model, calibration: cal, scale: c.scale, paramBits: c.paramBits, inputScale: c.inputScale };
  const est = estimateModel(settings);
  if (est.constraints.total > CIRCOM2_REACH) {
    return [{ ...base, constraints: est.constraints.total, pass: 'skip', note: `out of reach: ${est.constraints.total.toLocaleString('en-US')} constraints (estimated) is beyond what circom2, 32-bit WebAssembly with 4 GiB, compiles (about ${CIRCOM2_REACH.toLocaleString('en-US')})` }];
  }
  const t = Date.now();
  const r = await provePipeline({ ...settings, input: cal });
  const proveSeconds = (Date.now() - t) / 1000;
  let err = 0;
  let ratio = 0;
  // integer-typed reference outputs (the int8 ops) must be met exactly
  const exact = ds!.outputs.every(isIntegerOutput);
  r.proved.outputs.forEach((o, k) =>
    o.data.forEach((v, j) => {
      const ref = ds!.outputs[k]!.data[j]!;
      err = Math.max(err, Math.abs(v - ref));
      ratio = Math.max(ratio, Math.abs(v - ref) / tolerance(ref, c.scale));
    }),
  );
  const name = path.basename(c0.dir);
  const isEzkl = c0.id.startsWith('models/ezkl/');
  const ez = isEzkl ? ezklError(name) : undefined;
  const bar = isEzkl ? Math.max(ez ?? 0, 1e-3) : undefined;
  const pass = r.verified.ok && (exact ? err === 0 : bar !== undefined ? err <= bar : ratio <= 1);
  const fixed = 'fixed' in c && (c as { fixed: string[] }).fixed.length ? `params fixed as constants: ${(c as { fixed: string[] }).fixed.join(', ')}` : '';
  return [{
    ...base,
    constraints: r.compiled.info.constraints.total,
    maxAbsError: err,
    bar: exact ? '= 0 (integer output)' : bar !== undefined ? `≤ ${bar}` : `2^-${c.scale - 3}·(1+|ref|)`,
    ezkl: isEzkl ? (ez === undefined ? 'n/a' : String(ez)) : '',
    verified: r.verified.ok,
    pass,
    note: fixed,
    proveSeconds,
  }];
}

const fmtErr = (e?: number) => (e === undefined ? '' : e === 0 ? '0' : e.toExponential(2));

async function main(): Promise<void> {
  const cases = allCases().filter((c) => filter.test(c.id));
  const rows: Row[] = [];
  for (const c of cases) {
    try {
      for (const row of await runCase(c)) {
        rows.push(row);
        console.error(`${row.pass === 'skip' ? 'skip' : row.pass ? 'pass' : 'FAIL'} ${row.id} ${row.constraints ?? ''} ${fmtErr(row.maxAbsError)} ${row.note}`);
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      rows.push({ id: c.id, ops: c.ops.join(' '), pass: false, note: `${err.name}${err.code ? `[${err.code}]` : ''}: ${err.message.replace(/\|/g, '/').slice(0, 200)}` });
      console.error(`FAIL ${c.id} ${err.message}`);
    }
  }
  const run = rows.filter((r) => r.pass !== 'skip');
  const passed = run.filter((r) => r.pass === true).length;
  const lines = [
    '# zkinfer conformance results',
    '',
    `Generated by \`npm run conformance\` on ${new Date().toISOString()} (circom2 → dev Groth16 setup → prove → verify).`,
    `${passed} of ${run.length} run cases pass; ${rows.length - run.length} skipped (reason given).`,
    'One-op cases: activation scale 2^12, params 16 bits, input range from the case data; pass = every output within',
    '2^-(12-3)·(1+|ref|) of the float reference. EZKL networks: max abs error ≤ EZKL\'s own (ezkl_vs_ort.tsv), 1e-3 where',
    'EZKL\'s is 0 or not listed. int8 ops (QuantizeLinear, DequantizeLinear, QLinearMatMul, QLinearConv, MatMulInteger,',
    'ConvInteger): integer outputs must equal the reference exactly; requantization rounds half to even like onnxruntime. mnist-8: one circuit for all six sets (pixels 0..255 and [0,1]), scales chosen automatically from the six inputs (--calibration), pass = reference argmax.',
    '',
    '| case | ops | constraints | max abs error | bar | EZKL error | verified | pass | note |',
    '| --- | --- | ---: | ---: | --- | ---: | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.id, r.ops, r.constraints ?? '', fmtErr(r.maxAbsError), r.bar ?? '', r.ezkl ?? '', r.verified === undefined ? '' : r.verified ? 'yes' : 'NO', r.pass === 'skip' ? 'skip' : r.pass ? 'pass' : 'FAIL', r.note].map((x) => String(x).replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
  ];
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, lines.join('\n'));
  console.log(`${passed}/${run.length} pass, ${rows.length - run.length} skipped → ${path.relative(ROOT, outFile)}`);
  await terminateCurve();
  if (passed !== run.length) process.exitCode = 1;
}

await main();
