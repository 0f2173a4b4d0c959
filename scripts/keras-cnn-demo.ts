/**
 * The Keras-example MNIST CNN (models/keras-cnn, trained by scripts/train-keras-cnn.ts) end to end; numbers for
 * the README and issue 19 (not part of npm test: long).
 *
 *   node --import tsx scripts/keras-cnn-demo.ts accuracy [N]   float (onnxruntime) and quantized (the integer
 *       program, bit-exact to the witness) accuracy on the first N held-out digits of each label (default all 200)
 *
 *   node --import tsx scripts/keras-cnn-demo.ts prove [JOBS]   the CLI steps one after the other, each under
 *       `nice -n 19 /usr/bin/time -v` (peak memory of the step's largest process): estimate --segments auto,
 *       compile --segments auto, setup, prove --jobs JOBS (default 1), verify; artifacts in $ZKINFER_DEMO_DIR
 *       (default /tmp/zkinfer-keras-cnn), input models/keras-cnn/input.json; MAX_CONSTRAINTS=N passes
 *       --max-constraints N; SKIP_ESTIMATE=1 leaves out the estimate step
 *
 * Settings: the model's metadata (raw pixels 0..255, input scale 0), activation scale $SCALE (default 6),
 * parameter bits $PARAM_BITS (default 8).
 */
import path from 'node:path';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { quantizeModel } from '../src/compile.js';
import type { CompileParams } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import type { Program } from '../src/quantize/program.js';
import type { Lin } from '../src/quantize/lin.js';
import { argmax, loadDigits } from './mnist-digits.ts';

const MODEL = process.env.KERAS_CNN ?? path.resolve(import.meta.dirname, '..', 'models', 'keras-cnn', 'model.onnx');
export const SETTINGS: Omit<CompileParams, 'outDir'> = {
  modelPath: MODEL,
  inputRange: [0, 255],
  inputScale: 0,
  scale: Number(process.env.SCALE ?? 6),
  paramBits: Number(process.env.PARAM_BITS ?? 8),
};
const HELD_OUT_PER_LABEL = 200; // as scripts/train-keras-cnn.ts



/**
 * The integer program evaluated in float64 where that is exact: every linear combination's Σ|coefficient × value|
 * is tracked and must stay below 2^53 (else it is evaluated again in bigint), so the outputs are bit-identical to
 * `evaluate` (checked on the first digits) at a fraction of its cost. Steps of kinds this CNN lacks are refused.
 */
function numberEvaluator(p: Program): (input: Uint8Array) => number[] {
  type L = { ids: Int32Array; cs: Float64Array; c: number; lin: Lin };
  const comp = (e: Lin): L => {
    const ids = Int32Array.from(e.terms.keys());
    const cs = Float64Array.from(e.terms.values(), Number);
    if (cs.some((c) => !Number.isSafeInteger(c)) || !Number.isSafeInteger(Number(e.c))) throw new Error('coefficient beyond 2^53');
    return { ids, cs, c: Number(e.c), lin: e };
  };
  type S = { kind: 'input' | 'param'; ids: number[]; vals: number[] } | { kind: 'rescale'; out: number; in: L; div: number; relu: boolean } | { kind: 'max'; out: number; a: L; b: L };
  const steps: S[] = p.steps.map((st): S => {
    switch (st.kind) {
      case 'input': return { kind: 'input', ids: st.signals, vals: [] };
      case 'param': return { kind: 'param', ids: st.signals, vals: p.params[st.param]!.values.map(Number) };
      case 'rescale': return { kind: 'rescale', out: st.out, in: comp(st.in), div: 2 ** st.k, relu: st.relu };
      case 'max': return { kind: 'max', out: st.out, a: comp(st.a), b: comp(st.b) };
      default: throw new Error(`numberEvaluator: step kind '${st.kind}' not handled`);
    }
  });
  const outs = p.outputs.flatMap((o) => o.exprs.map(comp));
  return (input) => {
    const v = new Float64Array(p.nSignals);
    const ev = (e: L): number => {
      let s = e.c;
      let bound = Math.abs(e.c);
      for (let i = 0; i < e.ids.length; i++) {
        const t = e.cs[i]! * v[e.ids[i]!]!;
        s += t;
        bound += Math.abs(t);
      }
      if (bound < 2 ** 53) return s;
      let b = e.lin.c; // exact fallback
      for (const [id, c] of e.lin.terms) b += c * BigInt(v[id]!);
      const n = Number(b);
      if (!Number.isSafeInteger(n)) throw new Error('value beyond 2^53');
      return n;
    };
    for (const st of steps) {
      if (st.kind === 'input' || st.kind === 'param') st.ids.forEach((id, j) => (v[id] = st.kind === 'input' ? input[j]! : st.vals[j]!));
      else if (st.kind === 'rescale') {
        const q = Math.floor(ev(st.in) / st.div); // exact: a power-of-two division of a safe integer
        v[st.out] = st.relu && q < 0 ? 0 : q;
      } else if (st.kind === 'max') v[st.out] = Math.max(ev(st.a), ev(st.b));
    }
    return outs.map(ev);
  };
}

async function accuracy(perLabel: number): Promise<void> {
  const test = loadDigits(HELD_OUT_PER_LABEL).test.filter((_, i) => i % HELD_OUT_PER_LABEL < perLabel);
  const bytes = readFileSync(MODEL);
  const { program } = quantizeModel(SETTINGS, bytes, []);
  const session = await ort.InferenceSession.create(bytes);
  const fast = numberEvaluator(program);
  for (const d of test.slice(0, 2)) {
    const exact = evaluate(program, [Array.from(d.pixels, BigInt)]).outputs[0]!.map(Number);
    if (fast(d.pixels).some((x, k) => x !== exact[k])) throw new Error('numberEvaluator differs from evaluate');
  }
  let float = 0;
  let quant = 0;
  let agree = 0;
  const t0 = performance.now();
  for (const [n, d] of test.entries()) {
    const out = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(d.pixels), [1, 1, 28, 28]) });
    const f = argmax(out['logits']!.data as Float32Array);
    const q = argmax(fast(d.pixels));
    float += Number(f === d.label);
    quant += Number(q === d.label);
    agree += Number(f === q);
    if ((n + 1) % 100 === 0) console.error(`  ${n + 1}/${test.length}: float ${float}, quantized ${quant} (${((performance.now() - t0) / (n + 1)).toFixed(0)} ms/digit)`);
  }
  const pct = (x: number): string => `${((100 * x) / test.length).toFixed(2)}%`;
  console.log(`held-out digits ${test.length} (${perLabel} per label), scale 2^${SETTINGS.scale}, params ${SETTINGS.paramBits} bits`);
  console.log(`float (onnxruntime) ${float}/${test.length} = ${pct(float)}; quantized (integer program) ${quant}/${test.length} = ${pct(quant)}; same prediction ${agree}/${test.length}`);
}

/** One CLI step under `nice -n 19 /usr/bin/time -v`: wall seconds, peak RSS of its largest process, its output. */
function step(args: string[]): { seconds: number; peakMB: number; out: string } {
  const bin = path.resolve(import.meta.dirname, '..', 'bin', 'zkinfer.js');
  console.error(`$ zkinfer ${args.join(' ')}`);
  const r = spawnSync('nice', ['-n', '19', '/usr/bin/time', '-v', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  const peakMB = rss ? Number(rss[1]) / 1024 : NaN;
  // the CLI's human-readable output and progress are on stderr, /usr/bin/time's report after them
  const own = r.stderr.slice(0, Math.max(0, r.stderr.lastIndexOf('\tCommand being timed')));
  console.error([r.stdout.trim(), own.trim()].filter(Boolean).join('\n'));
  if (r.status !== 0) {
    console.error(r.stderr.slice(own.length));
    throw new Error(`zkinfer ${args[0]} failed (exit ${r.status})`);
  }
  console.error(`  ${seconds.toFixed(0)} s, peak ${peakMB.toFixed(0)} MB`);
  return { seconds, peakMB, out: r.stdout };
}

function prove(jobs: number): void {
  const dir = process.env.ZKINFER_DEMO_DIR ?? path.join(os.tmpdir(), 'zkinfer-keras-cnn');
  const input = path.join(path.dirname(MODEL), 'input.json');
  const settings = ['--input-range', '0,255', '--input-scale', '0', '--scale', String(SETTINGS.scale), '--param-bits', String(SETTINGS.paramBits), '--segments', 'auto', ...(process.env.MAX_CONSTRAINTS ? ['--max-constraints', process.env.MAX_CONSTRAINTS] : [])];
  const rows: string[] = [];
  let proved: { seconds: { segments: { witness: number; prove: number }[] } } | undefined;
  for (const [name, args] of [
    ['estimate', ['estimate', MODEL, ...settings]],
    ['compile', ['compile', MODEL, ...settings, '-o', dir]],
    ['setup', ['setup', dir]],
    ['prove', ['prove', dir, '--input', input, '--jobs', String(jobs), '-o', path.join(dir, 'receipt.json'), '--json']],
    ['verify', ['verify', path.join(dir, 'receipt.json'), '--dir', dir]],
  ] as const) {
    if (name === 'estimate' && process.env.SKIP_ESTIMATE) continue; // planned again by compile (minutes on this model)
    const r = step([...args]);
    console.error(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(', ')}`);
    rows.push(`| ${name} | ${r.seconds.toFixed(0)} | ${(r.peakMB / 1024).toFixed(2)} |`);
    if (name === 'prove') proved = JSON.parse(r.out) as typeof proved;
  }
  console.log(['| step | wall s | peak GB |', '| --- | --- | --- |', ...rows].join('\n'));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'segments.json'), 'utf8')) as { segments: { dir: string; constraints: number }[] };
  for (const [i, s] of manifest.segments.entries()) {
    const setup = JSON.parse(readFileSync(path.join(dir, s.dir, 'setup.json'), 'utf8')) as { seconds: number; ptau: { power: number } };
    const t = proved?.seconds.segments[i];
    console.log(`${s.dir}: ${s.constraints} constraints, setup ${setup.seconds.toFixed(0)} s (2^${setup.ptau.power}), prove ${t ? `${t.witness.toFixed(2)} s witness + ${t.prove.toFixed(2)} s Groth16` : '-'}`);
  }
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(', ')}`);
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'accuracy') await accuracy(Number(arg ?? HELD_OUT_PER_LABEL));
else if (cmd === 'prove') prove(Number(arg ?? 1));
else {
  console.error('usage: keras-cnn-demo.ts accuracy [N] | prove [JOBS]');
  process.exit(2);
}
