/**
 * The benchmark harness: for each model, estimate (no circom), then compile, dev setup, witness, prove and
 * verify in child processes, N runs each (medians), the ptau of the circuit's power, repeated proving in
 * one process, and the error against the float model; optionally circom --O1 vs --O2 on one model.
 * Models whose ops are not supported are reported as skipped, never as failures of the run.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { estimateModel } from '../estimate/estimate.js';
import type { Estimate } from '../estimate/estimate.js';
import type { BenchStep } from '../estimate/cost-model.js';
import { predictVerifyGas } from '../chain/gas.js';
import { parseOnnx } from '../import/onnx.js';
import { runFloat } from '../quantize/quantize.js';
import { readInputFile } from '../prove/input.js';
import { inputSpecs } from '../compile.js';
import type { CompileParams } from '../compile.js';
import { readCompiled } from '../setup.js';
import { circuitInputFor } from '../prove/prove.js';
import { artifactPaths } from '../artifacts/layout.js';
import type { ReceiptTensor } from '../receipt.js';
import type { CircomOptimization } from '../toolchain/circom.js';
import { StepError, median, repeat, runStep, stats } from './steps.js';
import type { StepRun } from './steps.js';
import type { BenchModel, StepStats } from './types.js';

export interface RunBenchParams {
  models: BenchModel[];
  /** Runs per step (medians are reported). Default 3. */
  runs?: number;
  /** Proofs in the repeated-proving run (inputs cycled). Default 5. */
  manyProofs?: number;
  /** Scratch directory for artifacts (default: a new temp dir, removed at the end). */
  workDir?: string;
  /** Model (by name) on which to compare circom --O1 and --O2. */
  compareOptimizations?: string;
  onProgress?: (message: string) => void;
}

export interface ModelResult {
  name: string;
  group: BenchModel['group'];
  family?: string;
  modelPath: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  target?: BenchModel['target'];
  estimate?: Omit<Estimate, 'costModel'>;
  /** Hashed input, outputs rounded to the activation scale (--output-scale): the on-chain gas target's setting. */
  hashedInputGas?: { gas: number; nPublic: number; outputs: number; outputScale: number };
  measured?: {
    constraints: { total: number; nonLinear: number; linear: number; wires: number };
    nPublic: number;
    ptauPower: number;
    ops: Record<string, number>;
    steps: Record<BenchStep, StepStats>;
    /** Median witness / Groth16 seconds inside the prove runs, and the witness share of their sum. */
    split: { witness: number; prove: number; witnessShare: number };
    ptau: { power: number; seconds: number; bytes: number };
    zkeyBytes: number;
    proofBytes: { raw: number; json: number };
    proveMany: { proofs: number; seconds: number; load: number; proofsPerMinute: number; medianProve: number; medianWitness: number };
    /** One profiled Groth16 run: seconds per phase of snarkjs's prover. */
    proverPhases: Record<string, number>;
    maxAbsError: number;
  };
}

export interface OptimizationVariant {
  optimize: CircomOptimization;
  constraints: { nonLinear: number; linear: number; total: number; wires: number };
  compile: StepStats;
  setup: StepStats;
  zkeyBytes: number;
  groth16: StepStats;
  witness: number;
}

export interface BenchReport {
  format: 'zkinfer.bench/1';
  startedAt: string;
  finishedAt: string;
  runs: number;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string };
  /** 1-minute load average: at start, at the end, and the range seen at step starts. */
  load: { start: number[]; end: number[]; min: number; max: number; median: number };
  /** Peak RSS of a worker that does nothing (Node + tsx + imports): the floor of every step's memory. */
  baselineRssMB: number;
  models: ModelResult[];
  optimizations?: { model: string; variants: OptimizationVariant[]; fasterToProve: CircomOptimization };
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Largest |proved − float| over the proved inputs. */
function maxAbsError(modelPath: string, dir: string, proved: { input: string; outputs: ReceiptTensor[] }[]): number {
  const graph = parseOnnx(readFileSync(modelPath), modelPath);
  const compiled = readCompiled(dir);
  const specs = inputSpecs(compiled);
  let err = 0;
  for (const p of proved) {
    const xs = readInputFile(p.input, specs);
    const ref = runFloat(graph, xs.map((x, i) => ({ shape: compiled.inputs[i]!.shape, data: Float64Array.from(x) })));
    p.outputs.forEach((o, k) => o.data.forEach((v, j) => (err = Math.max(err, Math.abs(v - ref[k]!.data[j]!)))));
  }
  return err;
}

/**
 * Benchmark models and return the report (write it with writeBenchResults).
 * @example const report = await runBench({ models: [{ name: 'mlp', group: 'bench', modelPath: 'model.onnx', inputs: ['input.json'] }] });
 */
export async function runBench(params: RunBenchParams): Promise<BenchReport> {
  const log = params.onProgress ?? (() => {});
  const N = params.runs ?? 3;
  const ownWork = !params.workDir;
  const work = params.workDir ?? path.join(os.tmpdir(), `zkinfer-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const cacheDir = path.join(work, 'cache');
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  const loads: number[] = [];
  const seen = (r: StepRun): void => void loads.push(r.load1);
  const ptauByPower = new Map<number, { seconds: number; bytes: number }>();

  const baseline = await runStep(work, { step: 'noop' });
  log(`bench: ${params.models.length} models, ${N} runs per step, load ${loadStart.map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores; worker baseline ${baseline.peakRssMB.toFixed(0)} MiB`);

  const ctx: Ctx = { work, cacheDir, N, manyProofs: params.manyProofs ?? 5, seen, ptauByPower };
  const models: ModelResult[] = [];
  let optimizations: BenchReport['optimizations'];
  for (const [mi, m] of params.models.entries()) {
    const tag = `bench [${mi + 1}/${params.models.length}] ${m.name}`;
    const say = (s: string) => log(`${tag}: ${s}`);
    const result: ModelResult = { name: m.name, group: m.group, family: m.family, modelPath: m.modelPath, status: 'ok', target: m.target };
    models.push(result);
    const { name: _n, group: _g, family: _f, inputs, target: _t, ...compileParams } = m;
    try {
      const { costModel: _c, ...estimate } = estimateModel(compileParams);
      result.estimate = estimate;
      const outputScale = compileParams.outputScale ?? compileParams.scale ?? 12;
      const hashed = predictVerifyGas(estimateModel({ ...compileParams, inputVisibility: 'hashed', outputScale }).constraints.nPublic);
      result.hashedInputGas = { gas: hashed.gas, nPublic: hashed.nPublic, outputs: estimate.outputElements, outputScale };
      say(`estimate ${estimate.constraints.total} constraints (2^${estimate.constraints.ptauPower}), predicted prove ${estimate.predicted?.prove.seconds.toFixed(2) ?? '?'} s`);
      const dir = path.join(work, slug(m.name));
      result.measured = await measureModel(ctx, { ...compileParams, outDir: dir }, inputs, say);
      if (params.compareOptimizations === m.name) optimizations = await compareOptimizations({ model: m.name, work, dir, input: inputs[0]!, runs: N, log: say, seen });
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      Object.assign(result, notMeasured(e));
      say(`${result.status}: ${result.reason}`);
    }
  }
  if (ownWork) rmSync(work, { recursive: true, force: true });
  const sorted = [...loads].sort((a, b) => a - b);
  return {
    format: 'zkinfer.bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    runs: N,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    load: { start: loadStart, end: os.loadavg(), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, median: median(sorted) },
    baselineRssMB: baseline.peakRssMB,
    models,
    optimizations,
  };
}

/** A model that could not be measured: skipped (an op the compiler does not support yet) or failed. */
function notMeasured(e: unknown): { status: 'skipped' | 'failed'; reason: string } {
  const name = e instanceof StepError ? e.errorName : ((e as Error)?.name ?? 'Error');
  const message = (e as Error)?.message ?? String(e);
  if (name === 'UnsupportedOpError') {
    const op = /uses op ([\w.]+)/.exec(message)?.[1];
    return { status: 'skipped', reason: op ? `unsupported op ${op}` : `unsupported: ${message}` };
  }
  return { status: 'failed', reason: e instanceof StepError ? `${e.step}: ${message}` : `${name}: ${message}` };
}

interface Ctx {
  work: string;
  cacheDir: string;
  N: number;
  manyProofs: number;
  seen: (r: StepRun) => void;
  /** Dev ptau seconds and bytes per power: generated once per power and run. */
  ptauByPower: Map<number, { seconds: number; bytes: number }>;
}

/** Every step of the pipeline on one model, N runs each, in child processes. */
async function measureModel(ctx: Ctx, params: Omit<CompileParams, 'onProgress'>, inputs: string[], say: (s: string) => void): Promise<NonNullable<ModelResult['measured']>> {
  const { work, N } = ctx;
  const dir = params.outDir;
  const name = path.basename(dir);
  const logRun = (s: string) => (i: number, r: StepRun) => {
    ctx.seen(r);
    say(`${s} ${i + 1}/${N} ${r.seconds.toFixed(2)} s, peak ${r.peakRssMB.toFixed(0)} MiB`);
  };
  const compile = await repeat(N, work, (i) => ({ step: 'compile', params: { ...params, outDir: i === 0 ? dir : `${dir}-c${i}` } }), logRun('compile'));
  for (let i = 1; i < N; i++) rmSync(`${dir}-c${i}`, { recursive: true, force: true });
  const info = compile[0]!.data as Pick<NonNullable<ModelResult['measured']>, 'constraints' | 'nPublic' | 'ptauPower' | 'ops'>;
  if (!ctx.ptauByPower.has(info.ptauPower)) {
    const file = path.join(work, `p${info.ptauPower}.ptau`);
    const r = await runStep(work, { step: 'ptau', power: info.ptauPower, path: file });
    ctx.seen(r);
    ctx.ptauByPower.set(info.ptauPower, { seconds: r.seconds, bytes: r.data!.ptauBytes as number });
    rmSync(file, { force: true });
    say(`dev ptau 2^${info.ptauPower} ${r.seconds.toFixed(2)} s`);
  }
  const setup = await repeat(N, work, () => ({ step: 'setup', dir, cacheDir: ctx.cacheDir }), logRun('setup'));
  const witness = await repeat(N, work, () => ({ step: 'witness', dir, input: inputs[0]! }), logRun('witness'));
  const receipt = path.join(work, `${name}.receipt.json`);
  const prove = await repeat(N, work, () => ({ step: 'prove', dir, input: inputs[0]!, receiptPath: receipt }), logRun('prove'));
  const verify = await repeat(N, work, () => ({ step: 'verify', receiptPath: receipt }), logRun('verify'));
  const manyInputs = Array.from({ length: ctx.manyProofs }, (_, i) => inputs[i % inputs.length]!);
  const many = await runStep(work, { step: 'prove-many', dir, inputs: manyInputs });
  ctx.seen(many);
  const md = many.data as { proofsPerMinute: number; load: number; proofs: { witness: number; prove: number }[]; outputs: ReceiptTensor[][] };
  say(`${manyInputs.length} proofs in one process: ${md.proofsPerMinute.toFixed(1)} proofs/min`);
  const art = artifactPaths(dir);
  const profile = await runStep(work, { step: 'groth16', wasmPath: art.wasm, zkeyPath: art.zkey, inputPath: writeCircuitInput(dir, inputs[0]!, path.join(work, `${name}.input.json`)), phases: true });
  ctx.seen(profile);
  const proved = [{ input: inputs[0]!, outputs: prove[0]!.data!.outputs as ReceiptTensor[] }, ...manyInputs.map((input, i) => ({ input, outputs: md.outputs[i]! }))];
  const split = { witness: median(prove.map((r) => r.split!.witness)), prove: median(prove.map((r) => r.split!.prove)) };
  return {
    constraints: info.constraints,
    nPublic: info.nPublic,
    ptauPower: info.ptauPower,
    ops: info.ops,
    steps: { compile: stats(compile), setup: stats(setup), witness: stats(witness), prove: stats(prove), verify: stats(verify) },
    split: { ...split, witnessShare: split.witness / (split.witness + split.prove) },
    ptau: { power: info.ptauPower, ...ctx.ptauByPower.get(info.ptauPower)! },
    zkeyBytes: setup.at(-1)!.data!.zkeyBytes as number,
    proofBytes: { raw: 256, json: prove[0]!.data!.proofBytes as number },
    proveMany: { proofs: manyInputs.length, seconds: many.seconds, load: md.load, proofsPerMinute: md.proofsPerMinute, medianProve: median(md.proofs.map((p) => p.prove)), medianWitness: median(md.proofs.map((p) => p.witness)) },
    proverPhases: profile.data!.phases as Record<string, number>,
    maxAbsError: maxAbsError(params.modelPath, dir, proved),
  };
}

/** An input file as the circuit's input signals, written as JSON for the raw Groth16 step. */
function writeCircuitInput(dir: string, input: string, file: string): string {
  const { circuitInput } = circuitInputFor(dir, input);
  writeFileSync(file, JSON.stringify(circuitInput, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  return file;
}

/** circom --O1 vs --O2 on one generated source: same witness input, runs interleaved so load hits both alike. */
async function compareOptimizations(p: { model: string; work: string; dir: string; input: string; runs: number; log: (s: string) => void; seen: (r: StepRun) => void }): Promise<NonNullable<BenchReport['optimizations']>> {
  const source = artifactPaths(p.dir).source;
  const inputPath = writeCircuitInput(p.dir, p.input, path.join(p.work, 'opt-input.json'));
  const levels: CircomOptimization[] = ['O1', 'O2'];
  const runs = new Map(levels.map((o) => [o, { compile: [] as StepRun[], setup: [] as StepRun[], groth16: [] as StepRun[] }]));
  const out = (o: string) => path.join(p.work, `opt-${o}`);
  for (let i = 0; i < p.runs; i++) for (const o of levels) runs.get(o)!.compile.push(await runStep(p.work, { step: 'circom', sourcePath: source, outDir: out(o), optimize: o }));
  for (let i = 0; i < p.runs; i++) for (const o of levels) runs.get(o)!.setup.push(await runStep(p.work, { step: 'devsetup', r1csPath: path.join(out(o), 'circuit.r1cs'), zkeyPath: path.join(out(o), 'circuit.zkey') }));
  for (let i = 0; i < p.runs; i++) for (const o of levels) runs.get(o)!.groth16.push(await runStep(p.work, { step: 'groth16', wasmPath: path.join(out(o), 'circuit_js', 'circuit.wasm'), zkeyPath: path.join(out(o), 'circuit.zkey'), inputPath }));
  const variants: OptimizationVariant[] = levels.map((o) => {
    const r = runs.get(o)!;
    [...r.compile, ...r.setup, ...r.groth16].forEach(p.seen);
    const c = r.compile[0]!.data as { nonLinear: number; linear: number; wires: number };
    return {
      optimize: o,
      constraints: { ...c, total: c.nonLinear + c.linear },
      compile: stats(r.compile),
      setup: stats(r.setup),
      zkeyBytes: r.setup.at(-1)!.data!.zkeyBytes as number,
      groth16: stats(r.groth16),
      witness: median(r.groth16.map((x) => x.split!.witness)),
    };
  });
  for (const v of variants) p.log(`--${v.optimize}: ${v.constraints.total} constraints, compile ${v.compile.seconds.toFixed(2)} s, Groth16 ${v.groth16.seconds.toFixed(2)} s`);
  for (const o of levels) rmSync(out(o), { recursive: true, force: true });
  const fasterToProve = variants.reduce((a, b) => (b.groth16.seconds < a.groth16.seconds ? b : a)).optimize;
  return { model: p.model, variants, fasterToProve };
}
