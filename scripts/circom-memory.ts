/**
 * circom2's peak memory on real circuits, against what the segment planner knows before compiling
 * (docs/scaling.md, "circom2's memory"). One circuit per run, compiled under /usr/bin/time -v:
 *
 *   nice -n 19 node --import tsx scripts/circom-memory.ts <case> [maxConstraints] [segment]
 *
 * <case>: mnist8 (conformance mnist-8, public weights), mnist8-private (--param-visibility private), keras
 * (models/keras-cnn at scale 6, 8-bit params), mlp-H (784 → H → H → 10, bench/models.ts). With maxConstraints
 * the model is cut by planSegments (--segments auto --max-constraints N; `auto`: without it) and segment `segment` (1-based,
 * default 1) compiled; with cut<F> (e.g. cut0.1) the program is cut once at that fraction of its steps
 * (streamed order, $ORDER) and segment 1 or 2 compiled (no planning); without, the whole model. Prints one JSON line: the planner's features of the circuit
 * (predictCircomMemory's inputs), the compiler's counts, r1cs terms, peak RSS (MB) and seconds. Appends it to
 * $OUT (default /tmp/circom-memory.jsonl).
 *
 *   node --import tsx scripts/circom-memory.ts fit [file.jsonl]
 *
 * fits peak RSS to the features (fitLinear: non-negative, relative error; up to 3 features) and prints the
 * fit, each circuit's prediction and error, the factor that makes it cover every measurement, and whether
 * it predicts more than circom2's 4 GiB for the circuits that ran out.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CIRCOMLIB_DIR, CIRCUITS_DIR, PACKAGE_ROOT, commonAncestor, quantizeModel } from '../src/compile.js';
import type { CompileParams } from '../src/compile.js';
import { generateCircom } from '../src/codegen/circom.js';
import { coreSteps, planSegments, splitProgram } from '../src/compose/segments.js';
import type { StepOrder } from '../src/compose/segments.js';
import { memoryFeatures, predictCircomMemoryMB, sourceMemoryFeatures } from '../src/compose/memory.js';
import type { MemoryFeatures } from '../src/compose/memory.js';
import { fitLinear, formula, predict } from '../src/estimate/cost-model.js';
import type { CircuitFeatures, Feature } from '../src/estimate/cost-model.js';
import { circomCliPath, circomLaunchArgs, stripAnsi } from '../src/toolchain/circom.js';
import { mlpModel } from '../bench/models.js';


const CONFORMANCE = path.resolve(import.meta.dirname, '..', '..', 'shared', 'conformance');
const MNIST8 = process.env.MNIST8 ?? path.join(CONFORMANCE, 'models', 'mnist-8', 'model.onnx');
const KERAS = path.resolve(import.meta.dirname, '..', 'models', 'keras-cnn', 'model.onnx');
const [which = 'mnist8', maxArg, segArg] = process.argv.slice(2);

function modelOf(name: string): { params: Omit<CompileParams, 'outDir'>; bytes: Uint8Array } {
  const mnist8 = { modelPath: MNIST8, inputRange: [0, 255] as [number, number], inputScale: 0, scale: 4, paramBits: 8 };
  if (name === 'mnist8') return { params: mnist8, bytes: readFileSync(MNIST8) };
  if (name === 'mnist8-private') return { params: { ...mnist8, paramVisibility: 'private' }, bytes: readFileSync(MNIST8) };
  if (name === 'keras') return { params: { modelPath: KERAS, inputRange: [0, 255], inputScale: 0, scale: 6, paramBits: 8 }, bytes: readFileSync(KERAS) };
  const mlp = /^mlp-(\d+)$/.exec(name);
  if (mlp) return { params: { modelPath: `${name}.onnx`, inputRange: [0, 255], inputScale: 0 }, bytes: mlpModel([Number(mlp[1]), Number(mlp[1])], name.replace('-', '_')) };
  throw new Error(`unknown case ${name}`);
}

/** Terms of the r1cs constraint section (A, B and C), from its size: per constraint 3 counts, per term a wire id and a 32-byte value. */
function r1csTerms(file: string, constraints: number): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 16);
  let pos = 12;
  let terms = -1;
  for (;;) {
    if (readSync(fd, buf, 0, 12, pos) < 12) break;
    const type = buf.readUInt32LE(0);
    const size = Number(buf.readBigUInt64LE(4));
    if (type === 2) terms = (size - 12 * constraints) / 36;
    pos += 12 + size;
  }
  closeSync(fd);
  return terms;
}

const FIT_FEATURES = ['constraints', 'wires', 'terms', 'paramTerms', 'gadgets', 'sourceBytes', 'arrayElements'] as const;
type Row = MemoryFeatures & { label: string; ok: boolean; sourceBytes: number; peakRssMB: number; seconds: number; load: string; circom: { r1csTerms?: number } };

function fit(file: string): void {
  const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  const ok = rows.filter((r) => r.ok);
  const f = fitLinear(ok.map((r) => ({ x: r as unknown as CircuitFeatures, y: r.peakRssMB })), FIT_FEATURES as unknown as Feature[], [1], 3);
  const cover = Math.max(...ok.map((r) => r.peakRssMB / predict(f, r as unknown as CircuitFeatures)));
  console.log(`fit: MB = ${formula(f)} (n ${f.n}, worst error ${(100 * f.maxRelError).toFixed(0)}%); × ${cover.toFixed(3)} covers every measurement`);
  const covered = { intercept: +(f.intercept * cover).toPrecision(3), ...Object.fromEntries(Object.entries(f.coef).map(([k, c]) => [k, +(c! * cover).toPrecision(3)])) };
  console.log(`MEMORY_FIT (covering): ${JSON.stringify(covered)}; MEMORY_LOWER (the fit without the source's terms): ${JSON.stringify({ intercept: +f.intercept.toPrecision(3), ...Object.fromEntries(Object.entries(f.coef).filter(([k]) => !['sourceBytes', 'arrayElements'].includes(k)).map(([k, c]) => [k, +c!.toPrecision(3)])) })}`);
  console.log('\n| circuit | constraints | wires | r1cs terms | gadgets | source KB | array elements | circom2 peak RSS MB | predicted MB | error | circom s | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const m = predict(f, r as unknown as CircuitFeatures) * cover;
    const n = (x: number | undefined): string => (x === undefined || x === null ? '–' : x.toLocaleString('en-US'));
    console.log(`| ${r.label} | ${n(r.constraints)} | ${n(r.wires)} | ${n(r.circom.r1csTerms)} | ${n(r.gadgets)} | ${n(Math.round(r.sourceBytes / 1024))} | ${n(r.arrayElements)} | ${r.ok ? n(r.peakRssMB) : `out of memory at ${n(r.peakRssMB)}`} | ${n(Math.round(m))} | ${r.ok ? `${(100 * (m / r.peakRssMB - 1)).toFixed(0)}%` : ''} | ${r.seconds} | ${r.load} |`);
  }
}

if (which === 'fit') {
  fit(maxArg ?? process.env.OUT ?? '/tmp/circom-memory.jsonl');
  process.exit(0);
}

const { params, bytes } = modelOf(which);
const q = quantizeModel(params, bytes, []);
let program = q.program;
let layout = q.layout;
let label = which;
if (maxArg?.startsWith('cut')) {
  // one cut at a fraction of the core steps (no planning: minutes on the Keras CNN): segment 1 or 2 of it
  const order = (process.env.ORDER ?? 'streamed') as StepOrder;
  const core = coreSteps(q.program, order);
  const segs = splitProgram(q.program, [Math.floor(core.length * Number(maxArg.slice(3)))], q.layout.visibility, order, core);
  const i = Number(segArg ?? 1) - 1;
  program = segs[i]!.program;
  layout = segs[i]!.layout;
  label = `${which} ${maxArg} ${order} segment ${i + 1}`;
} else if (maxArg) {
  const segs = planSegments(q.program, q.layout.visibility, { segments: 'auto', ...(maxArg === 'auto' ? {} : { maxConstraints: Number(maxArg) }) });
  const i = Number(segArg ?? 1) - 1;
  program = segs[i]!.program;
  layout = segs[i]!.layout;
  label = `${which} ${maxArg === 'auto' ? 'auto' : `max ${maxArg}`} segment ${i + 1}/${segs.length}`;
}
const source = generateCircom(program, { layout });
const f = { ...memoryFeatures(program, layout), ...sourceMemoryFeatures(source) };
const root = commonAncestor([PACKAGE_ROOT, CIRCOMLIB_DIR]);
const dir = path.join(os.tmpdir(), 'circom-memory', label.replace(/[^a-z0-9]+/gi, '-'));
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'circuit.circom'), source);
const rel = (p: string): string => path.relative(root, p);
const args = [rel(path.join(dir, 'circuit.circom')), '--r1cs', '--wasm', '--sym', '--O1', '-o', rel(dir), '-l', rel(CIRCUITS_DIR), '-l', rel(CIRCOMLIB_DIR)];
const load = os.loadavg()[0]!;
const t0 = performance.now();
const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...circomLaunchArgs(circomCliPath()), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
const stdout = stripAnsi(r.stdout);
const seconds = (performance.now() - t0) / 1000;
const rssKB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
const ok = /Everything went okay/.test(stdout);
const count = (l: string): number => Number(new RegExp(`^\\s*${l}:\\s*(\\d+)`, 'm').exec(stdout)?.[1] ?? NaN);
const constraints = count('non-linear constraints') + count('linear constraints');
const row = {
  label, ok, ...f, predictedMB: Math.round(predictCircomMemoryMB(f)),
  circom: { constraints, wires: count('wires'), templateInstances: count('template instances'), r1csTerms: ok ? r1csTerms(path.join(dir, 'circuit.r1cs'), constraints) : undefined },
  peakRssMB: Math.round(rssKB / 1024), seconds: Math.round(seconds), load: [load, os.loadavg()[0]!].map((x) => x.toFixed(1)).join('→'),
  ...(ok ? {} : { error: (r.stderr.split('\n').find((l) => /Error|error/.test(l)) ?? r.stderr.slice(-300)).trim() }),
};
console.log(JSON.stringify(row));
appendFileSync(process.env.OUT ?? '/tmp/circom-memory.jsonl', `${JSON.stringify(row)}\n`);
