/**
 * The property of issue 14, checked on one random graph (random-graphs.ts): compiled at default settings and
 * with calibration (`--calibration` samples, automatic scales), set up (dev keys), proved and verified,
 * every receipt verifies and its outputs are within 2^-6·(1 + max|reference|) of onnxruntime's float outputs
 * — or, with calibration, compile said before proving that the target could not be met.
 * Each outcome falls in one class, so that a run of hundreds of graphs can be summarised by failure class.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../src/compile.js';
import type { CompiledInfo } from '../../src/compile.js';
import { setupKeys } from '../../src/setup.js';
import { proveInference } from '../../src/prove/prove.js';
import { verifyReceipt } from '../../src/verify/verify.js';
import { CircomCompileError, ZkinferError } from '../../src/errors.js';
import type { RandomGraph } from './random-graphs.js';

export type Mode = 'default' | 'calibrated';

/**
 * pass: verified and within the bar. unmet-declared: calibrated, compile said the target was not met and the
 * default settings do no better (allowed). Failures: calibration-miss (calibrated, compile said the target
 * was not met, but the default settings meet the bar on the same graph: a setting existed, the search missed
 * it), not-verified (the receipt, or prove's own check, fails), scale-runaway (an output scale past
 * 2^-40: outputs too wide for a float64), wrong-answer (verified, error above the bar, nothing said),
 * refused (compile/prove stopped with a typed error), crash (an untyped/internal error), reference (onnxruntime
 * rejected the generated graph: a generator bug).
 */
export type Outcome = 'pass' | 'unmet-declared' | 'calibration-miss' | 'not-verified' | 'scale-runaway' | 'wrong-answer' | 'refused' | 'crash' | 'reference';
export const FAILURES: Outcome[] = ['calibration-miss', 'not-verified', 'scale-runaway', 'wrong-answer', 'refused', 'crash', 'reference'];

export interface CaseResult {
  id: string;
  mode: Mode;
  outcome: Outcome;
  detail: string;
  /** Largest error of each output tensor, and its bar. */
  errors?: { name: string; error: number; bar: number; scale: number }[];
  constraints?: number;
  settings?: { scale: number; paramBits: number };
  seconds: number;
  /** Seconds per stage (reference, compile, setup, prove, verify). */
  stages: Record<string, number>;
}

/** Output scales beyond this are a runaway (a float64 holds 53 bits; the outputs of a tiny graph need far fewer). */
export const RUNAWAY_SCALE = 40;
/** The bar of issue 14: |error| ≤ 2^-6 · (1 + max |reference|), per output tensor. */
export const barOf = (ref: ArrayLike<number>): number => 2 ** -6 * (1 + Math.max(0, ...Array.from(ref, Math.abs)));

/** onnxruntime's float outputs of the graph on one sample, by output name. */
export async function reference(g: RandomGraph, sample: number[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(g.onnx);
  try {
    const res = await session.run({ [g.inputName]: new ort.Tensor('float32', Float32Array.from(sample), g.inputShape) });
    return g.outputNames.map((n) => res[n]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** Whether compile reported that the automatic scales miss the error target (before any proof). */
function declaredUnmet(info: CompiledInfo, messages: string[]): boolean {
  return info.auto?.metTarget === false || messages.some((m) => /target was not met/i.test(m));
}

const short = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 300);

/** Real outputs of a receipt tensor (exact integers + scale when present, else its decoded reals). */
function realValues(t: { data?: unknown; scale: number | string; integers?: unknown; values?: unknown; ints?: unknown }): number[] {
  const ints = (t.integers ?? t.ints ?? t.values) as unknown;
  if (Array.isArray(ints) && ints.every((v) => typeof v === 'string')) return ints.map((v) => Number(BigInt(v as string)) / 2 ** Number(t.scale));
  return (t.data as number[]).map(Number);
}

/**
 * Runs one graph in one mode in `workDir` (created, and removed afterwards unless `keep`).
 * `cacheDir` holds the dev ptau files shared by all runs.
 */
export async function runCase(g: RandomGraph, mode: Mode, opts: { workDir: string; cacheDir: string; keep?: boolean }): Promise<CaseResult> {
  const t0 = performance.now();
  const dir = opts.workDir;
  const stages: Record<string, number> = {};
  let t = t0;
  const lap = (name: string): void => {
    const now = performance.now();
    stages[name] = (now - t) / 1000;
    t = now;
  };
  const done = (r: Omit<CaseResult, 'id' | 'mode' | 'seconds' | 'stages'>): CaseResult => {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    return { id: g.id, mode, ...r, seconds: (performance.now() - t0) / 1000, stages };
  };
  mkdirSync(path.join(dir, 'cal'), { recursive: true });
  const modelPath = path.join(dir, 'model.onnx');
  writeFileSync(modelPath, g.onnx);
  g.samples.forEach((s, i) => writeFileSync(path.join(dir, 'cal', `sample_${i}.json`), JSON.stringify({ input: s })));
  const inputPath = path.join(dir, 'cal', 'sample_0.json');
  let ref: Float32Array[];
  try {
    ref = await reference(g, g.samples[0]!);
  } catch (e) {
    return done({ outcome: 'reference', detail: short(e) });
  }
  lap('reference');
  const messages: string[] = [];
  let info: CompiledInfo;
  let stage = 'compile';
  try {
    const out = path.join(dir, 'out');
    ({ info } = await compileModel({ modelPath, outDir: out, ...(mode === 'calibrated' ? { calibration: path.join(dir, 'cal'), autoScale: true } : {}), onProgress: (m) => messages.push(m) }));
    const base = { constraints: info.constraints.total, settings: { scale: info.settings.scale, paramBits: info.settings.paramBits } };
    const unmet = mode === 'calibrated' && declaredUnmet(info, messages);
    lap('compile');
    stage = 'setup';
    await setupKeys({ dir: out, cacheDir: opts.cacheDir });
    lap('setup');
    stage = 'prove';
    let proved;
    try {
      proved = await proveInference({ dir: out, inputPath });
    } catch (e) {
      // prove checks its own receipt: a receipt that would not verify is an error there
      if (/verif|self-?check|would not/i.test(short(e))) return done({ ...base, outcome: 'not-verified', detail: `prove: ${short(e)}` });
      throw e;
    }
    lap('prove');
    stage = 'verify';
    const v = await verifyReceipt({ receipt: JSON.parse(JSON.stringify(proved.receipt)) });
    lap('verify');
    const outs = proved.receipt.outputs ?? [];
    const errors = outs.map((t, k) => {
      const q = realValues(t);
      const r = ref[k]!;
      let error = 0;
      q.forEach((x, j) => (error = Math.max(error, Math.abs(x - r[j]!))));
      if (q.length !== r.length) error = Infinity;
      return { name: t.name, error, bar: barOf(r), scale: Number(t.scale) };
    });
    const widest = Math.max(...errors.map((e) => e.scale));
    const res = { ...base, errors };
    const errText = errors.map((e) => `${e.name}: ${e.error.toPrecision(3)} (bar ${e.bar.toPrecision(3)}, scale 2^-${e.scale})`).join('; ');
    if (!v.ok) return done({ ...res, outcome: widest > RUNAWAY_SCALE ? 'scale-runaway' : 'not-verified', detail: `verify: ${v.failed?.name}: ${v.failed?.detail.slice(0, 240)}` });
    if (widest > RUNAWAY_SCALE) return done({ ...res, outcome: 'scale-runaway', detail: `verified, but outputs at scale 2^-${widest}; ${errText}` });
    const wrong = errors.some((e) => !(e.error <= e.bar));
    if (wrong && unmet) return done({ ...res, outcome: 'unmet-declared', detail: errText });
    return done({ ...res, outcome: wrong ? 'wrong-answer' : 'pass', detail: errText });
  } catch (e) {
    // the user's model or settings stopped at compile with a clear error; anything else is ours
    const typed = stage === 'compile' && e instanceof ZkinferError && !(e instanceof CircomCompileError);
    return done({ outcome: typed ? 'refused' : 'crash', detail: `${stage}: ${short(e)}` });
  }
}

/**
 * Runs one graph in both modes (in `root`/<id>-<mode>): a calibrated run that declared its target unmet is a
 * calibration-miss when the default settings met the bar on the same graph.
 */
export async function runGraph(g: RandomGraph, opts: { root: string; cacheDir: string; keep?: boolean; modes?: Mode[]; onResult?: (r: CaseResult) => void }): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const mode of opts.modes ?? (['default', 'calibrated'] as Mode[])) {
    const r = await runCase(g, mode, { workDir: path.join(opts.root, `${g.id}-${mode}`), cacheDir: opts.cacheDir, keep: opts.keep });
    const dflt = out.find((x) => x.mode === 'default');
    if (r.outcome === 'unmet-declared' && dflt?.outcome === 'pass') {
      r.outcome = 'calibration-miss';
      r.detail += ` — yet the defaults (2^${dflt.settings?.scale}, ${dflt.settings?.paramBits}-bit params) meet the bar: ${dflt.detail}`;
    }
    out.push(r);
    opts.onResult?.(r);
  }
  return out;
}

/** A per-run temporary directory root. */
export const workRoot = (tag: string): string => path.join(os.tmpdir(), `zkinfer-proptest-${tag}-${process.pid}`);
