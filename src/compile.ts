/**
 * compile: model file → quantized program → circom source → r1cs + witness wasm (+ fidelity report).
 * Reruns only when the hash of its inputs (model bytes, settings, calibration data, tool versions) changes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModel } from './import/model.js';
import type { Graph, Tensor } from './ir/graph.js';
import { intRange, sizeOf } from './ir/graph.js';
import { checkSupported, integerInputDecl, quantizeGraph, runFloat } from './quantize/quantize.js';
import type { InputDecl } from './quantize/quantize.js';
import { chooseScales, measureFidelity } from './quantize/calibrate.js';
import type { AutoChoice, Fidelity } from './quantize/calibrate.js';
import type { Program } from './quantize/program.js';
import { signedWidth } from './quantize/program.js';
import { linBounds } from './quantize/lin.js';
import { feed, rescaleGadget, stepCost } from './estimate/constraints.js';
import type { GadgetCost } from './estimate/constraints.js';
import { generateCircom } from './codegen/circom.js';
import { checkCircuit } from './check-circuit.js';
import { makeLayout } from './quantize/layout.js';
import type { InputVisibility, Layout, OutputVisibility, ParamVisibility, Visibility } from './quantize/layout.js';
import { commitmentOf, packAll } from './quantize/layout.js';
import { poseidonChain, randomSalt } from './commit/poseidon.js';
import { programToJson } from './quantize/program.js';
import { createRequire } from 'node:module';
import { compileCircuit, circomVersion } from './toolchain/circom.js';
import { artifactPaths, readJson, writeFileAtomic, writeJson } from './artifacts/layout.js';
import { canonicalJson, sha256 } from './artifacts/hash.js';
import { readInputFile, readInputShapes } from './prove/input.js';
import { quantizeInput } from './quantize/input.js';
import type { InputTensorSpec } from './quantize/input.js';
import { InputError, ModelParseError } from './errors.js';
import { KEY_FORMAT } from './receipt.js';
import { runningSourcesHash } from './artifacts/build.js';

export type { Fidelity } from './quantize/calibrate.js';

export const ZKINFER_VERSION = '0.1.0';
export const COMPILED_FORMAT = 'zkinfer.compiled/1';
/**
 * This zkinfer's build: version, artifact and key-binding formats, and a hash of the compiler's own sources
 * (src/artifacts/build.ts). Part of the compile and setup cache keys, so a changed compiler — even under the same
 * version number — never reuses artifacts or keys another one made.
 */
export const buildToken = (): string => sha256(ZKINFER_VERSION, '\n', COMPILED_FORMAT, '\n', KEY_FORMAT, '\n', runningSourcesHash());
/** Root of the zkinfer package: circom runs here so that `circuits/` is below its working directory. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CIRCUITS_DIR = path.join(PACKAGE_ROOT, 'circuits');
/** circomlib's circuits (Poseidon), which must lie below PACKAGE_ROOT for circom2. */
export const CIRCOMLIB_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('circomlib/package.json')), 'circuits');
export const OPTIMIZE = 'O1' as const;

/** Deepest directory containing all paths: circom2 (WASI) only sees files below its working directory. */
export function commonAncestor(paths: string[]): string {
  const parts = paths.map((p) => path.resolve(p).split(path.sep));
  const out: string[] = [];
  for (let i = 0; parts.every((x) => i < x.length && x[i] === parts[0]![i]); i++) out.push(parts[0]![i]!);
  return out.join(path.sep) || path.sep;
}

export interface CompileParams {
  modelPath: string;
  outDir: string;
  /** Activation scale in bits (default 12). */
  scale?: number;
  /** Fixed-point scale of the inputs in bits (default: the activation scale). */
  inputScale?: number;
  /** Precision of constant parameters in bits (default 16). */
  paramBits?: number;
  /**
   * Choose the activation scale, the parameter bits and the input scales (those not given) from the calibration
   * samples (src/quantize/calibrate.ts); `scale` / `paramBits` / `inputScale`, when given, stay fixed.
   */
  autoScale?: boolean;
  /** A sample input file, or a directory of them (.json / .pb, searched recursively). */
  calibration?: string;
  /** Declared float range of every input, overriding calibration and model metadata. */
  inputRange?: [number, number];
  /** Exact input declarations (name, scale, range), e.g. from a receipt's key: reproduces a circuit. */
  inputDecls?: InputDecl[];
  /** public (packed into few public signals), private, or hashed (a salted Poseidon commitment is public). */
  inputVisibility?: InputVisibility;
  /** public (packed) or hashed. */
  outputVisibility?: OutputVisibility;
  /**
   * Round the outputs to this scale in bits (2^-bits; half up, a proven rescale per value) when they are finer.
   * Their proven range shrinks with it, so fewer bits per packed value: e.g. the bundled MLP's 10 logits fit one
   * public signal at --output-scale 12 instead of two (a public signal is ~6,700 gas on chain). Default: as computed.
   */
  outputScale?: number;
  /** fixed (constants of the circuit, default), private (range-checked private signals) or hashed (private + a Poseidon commitment is public). */
  paramVisibility?: ParamVisibility;
  /**
   * Bind every proof to a prover: one more public signal carries an address (`prove --prover`), squared in one
   * constraint so the proof binds it; a registry then accepts the proof only from that address (+1 constraint,
   * ~6,650 gas per verification).
   */
  bindProver?: boolean;
  onProgress?: (message: string) => void;
}

export interface TensorInfo {
  name: string;
  shape: number[];
  scale: number;
}

export interface CompiledInfo {
  format: typeof COMPILED_FORMAT;
  zkinferVersion: string;
  /** The zkinfer build that compiled it (buildToken). */
  build?: string;
  /** Hash of everything compile depends on, the zkinfer build included: reruns when it changes. */
  key: string;
  model: { file: string; name: string; fileSha256: string; quantizedSha256: string };
  circuitHash: string;
  settings: { scale: number; paramBits: number; autoScale?: boolean; inputVisibility: InputVisibility; paramVisibility: ParamVisibility; outputVisibility: OutputVisibility; optimize: string; outputScale?: number; bindProver?: boolean };
  /** With hashed params: the Poseidon commitment of the weights (salted; salt in params.opening.json). */
  paramsCommitment?: string;
  /** Number of parameters carried as private signals (param visibility private/hashed). */
  paramSignals: number;
  /** A batch circuit: the number of inferences it proves (compose/batch.ts). */
  batch?: number;
  /** Meaning of every public signal; copied into the verification key by setup. */
  layout: Layout;
  /** dtype: present for integer-typed inputs (whole numbers at scale 0). */
  inputs: (TensorInfo & { lo: string; hi: string; min: number; max: number; rangeSource: string; dtype?: string })[];
  outputs: TensorInfo[];
  constraints: { total: number; nonLinear: number; linear: number; wires: number };
  /** Number of public signals (see layout). */
  nPublic: number;
  ptauPower: number;
  compiler: { circom: string; optimize: string; seconds: number };
  ops: Record<string, number>;
  steps: { inputRangeChecks: number; rescales: number; relus: number; products: number };
  fidelity?: Fidelity;
  /** Precision of each output: rounded (cost, error) or kept as computed. */
  outputPrecision?: OutputPrecision[];
  /** With automatic scales (--calibration): whether the error target was met, the target and the best error found. */
  auto?: Omit<AutoChoice, 'fidelity' | 'inputScales' | 'scale' | 'paramBits'>;
}

/** The precision an output is given (issue 14: a sensible default, its cost and error shown). */
export interface OutputPrecision {
  name: string;
  /** Scale of the output (bits): values are multiples of 2^-scale. */
  scale: number;
  /** Scale the graph computed it at. */
  computedScale: number;
  /** Constraints of the rounding (0 when kept as computed). */
  constraints: number;
  /** Largest error the rounding adds: 2^-(scale+1), 0 when kept. */
  roundingError: number;
  /** When kept as computed and finer than the activations: what rounding to them would cost. */
  alternative?: { scale: number; constraints: number; roundingError: number };
}

/** Output precision chosen (or given), with the constraints and error of the rounding. */
export function outputPrecision(program: Program, activationScale: number): OutputPrecision[] {
  const totalCost = (...gs: GadgetCost[]) => gs.reduce((a, g) => a + g.nonLinear + g.linear, 0);
  const costOf = (steps: Program['steps']) => steps.reduce((a, st) => a + totalCost(stepCost(st)), 0);
  return program.outputs.map((o) => {
    const computedScale = o.computedScale ?? o.scale;
    if (computedScale > o.scale) {
      const node = `${o.name} (output rescale)`;
      return { name: o.name, scale: o.scale, computedScale, constraints: costOf(program.steps.filter((st) => st.kind === 'rescale' && st.node === node)), roundingError: 2 ** -(o.scale + 1) };
    }
    const kept: OutputPrecision = { name: o.name, scale: o.scale, computedScale, constraints: 0, roundingError: 0 };
    const k = o.scale - activationScale;
    if (k <= 0) return kept;
    let constraints = 0;
    for (const e of o.exprs) {
      const [lo, hi] = linBounds(e, program.lo, program.hi);
      const half = 1n << BigInt(k - 1);
      constraints += totalCost(feed(e), rescaleGadget(signedWidth(lo + half, hi + half, k), k, false));
    }
    return { ...kept, alternative: { scale: activationScale, constraints, roundingError: 2 ** -(activationScale + 1) } };
  });
}

export interface CompileResult {
  dir: string;
  info: CompiledInfo;
  cached: boolean;
  /** Present when compiled in this call (not from cache). */
  program?: Program;
  graph?: Graph;
}

export function listSampleFiles(p: string): string[] {
  if (!existsSync(p)) throw new InputError(`${p}: calibration path not found`);
  if (statSync(p).isFile()) return [p];
  const out: string[] = [];
  for (const e of readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const f = path.join(p, e.name);
    // a linked directory counts as one (sample sets are often links into a data folder)
    if (e.isDirectory() || (e.isSymbolicLink() && existsSync(f) && statSync(f).isDirectory())) out.push(...listSampleFiles(f));
    else if (/^input.*\.pb$/.test(e.name) || e.name.endsWith('.json')) out.push(f);
  }
  return out;
}

export function readModelFile(modelPath: string): Buffer {
  try {
    return readFileSync(modelPath);
  } catch (e) {
    throw new ModelParseError(`${modelPath}: cannot read model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Read calibration samples: one flat float array per graph input, per sample. */
export function readSamples(p: string, graph: Graph): number[][][] {
  const specs: InputTensorSpec[] = graph.inputs.map((vi) => ({ name: vi.name, shape: vi.shape, scale: 0, lo: 0n, hi: 0n }));
  const files = listSampleFiles(p);
  if (files.length === 0) throw new InputError(`${p}: no sample inputs (.json or input_*.pb) found`);
  if (graph.inputs.length > 1 && files.every((f) => f.endsWith('.pb'))) {
    // backend-test layout: input_0.pb, input_1.pb, … per test_data_set directory
    const byDir = new Map<string, string[]>();
    for (const f of files) byDir.set(path.dirname(f), [...(byDir.get(path.dirname(f)) ?? []), f]);
    return [...byDir.values()].map((fs) => fs.sort().map((f, i) => readInputFile(f, [specs[i]!])[0]!));
  }
  return files.map((f) => readInputFile(f, specs));
}

function declareInputs(graph: Graph, params: Omit<CompileParams, 'outDir'>, samples: number[][][] | undefined, scale: number): (InputDecl & { source: string })[] {
  return graph.inputs.map((vi, i) => {
    if (intRange(vi.dtype)) return { ...integerInputDecl(vi, { name: vi.name, scale: 0, min: 0, max: 0 }), source: `${vi.dtype} type` };
    const metaScale = graph.metadata['zkinfer.input_scale'];
    const s = params.inputScale ?? (metaScale !== undefined ? Number(metaScale) : scale);
    const exact = params.inputDecls?.find((d) => d.name === vi.name);
    if (exact) return { ...exact, source: 'declared' };
    if (params.inputRange) return { name: vi.name, scale: s, min: params.inputRange[0], max: params.inputRange[1], source: '--input-range' };
    if (samples) {
      let min = Infinity;
      let max = -Infinity;
      for (const smp of samples) for (const v of smp[i]!) (min = Math.min(min, v)), (max = Math.max(max, v));
      return { name: vi.name, scale: s, min, max, source: 'calibration' };
    }
    const meta = graph.metadata['zkinfer.input_range'];
    if (meta) {
      const [lo, hi] = meta.split(',').map(Number) as [number, number];
      if (Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi) return { name: vi.name, scale: s, min: lo, max: hi, source: 'model metadata' };
    }
    return { name: vi.name, scale: s, min: -8, max: 8, source: 'default [-8, 8]' };
  });
}

/** A symbolic (batch) dimension takes its size from the first sample file, when that file has a shape. */
function resolveSymbolicDims(graph: Graph, files: string[]): void {
  const pbs = files.filter((f) => f.endsWith('.pb'));
  graph.inputs.forEach((vi, i) => {
    if (!vi.symbolic?.length) return;
    const f = pbs.length ? pbs.find((x) => path.basename(x) === `input_${i}.pb`) ?? (graph.inputs.length === 1 ? pbs[0] : undefined) : files[0];
    const shape = f ? readInputShapes(f, graph.inputs.length)?.[f.endsWith('.pb') ? 0 : i] : undefined;
    if (!shape || shape.length !== vi.shape.length) return;
    if (shape.every((d, k) => d === vi.shape[k] || vi.symbolic!.includes(k))) vi.shape = shape;
  });
}

export function opCounts(graph: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of graph.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

export async function gadgetSources(): Promise<string> {
  return readdirSync(CIRCUITS_DIR)
    .filter((f) => f.endsWith('.circom'))
    .sort()
    .map((f) => `${f}\n${readFileSync(path.join(CIRCUITS_DIR, f), 'utf8')}`)
    .join('\n');
}

/**
 * Model bytes → float graph → quantized program and public-signal layout: everything compile decides
 * before circom runs (also what `estimate` counts constraints from).
 */
export function quantizeModel(params: Omit<CompileParams, 'outDir'>, bytes: Uint8Array, calFiles: string[]) {
  let scale = params.scale ?? 12;
  let paramBits = params.paramBits ?? 16;
  const graph = parseModel(bytes, params.modelPath);
  checkSupported(graph, params.modelPath);
  if (calFiles.length) resolveSymbolicDims(graph, calFiles);
  for (const d of params.inputDecls ?? []) {
    const vi = graph.inputs.find((v) => v.name === d.name);
    if (vi && d.shape) vi.shape = d.shape;
  }
  const samples = params.calibration ? readSamples(params.calibration, graph) : undefined;
  let decls = declareInputs(graph, params, samples, scale);
  const paramVisibility = params.paramVisibility ?? 'fixed';
  let auto: AutoChoice | undefined;
  if (params.autoScale) {
    if (!samples) throw new InputError('automatic scales need calibration samples', { hint: 'pass --calibration FILE|DIR, or give --scale' });
    const metaScale = graph.metadata['zkinfer.input_scale'] !== undefined;
    const inputScaleGiven = decls.map((d) => params.inputScale !== undefined || metaScale || d.source !== 'calibration');
    params.onProgress?.(`compile: choosing scales from ${samples.length} calibration sample(s)`);
    auto = chooseScales(graph, samples, decls, { inputScaleGiven, scale: params.scale, paramBits: params.paramBits, paramVisibility, outputScale: params.outputScale });
    scale = auto.scale;
    paramBits = auto.paramBits;
    decls = decls.map((d, i) => ({ ...d, scale: auto!.inputScales[i]! }));
    params.onProgress?.(`compile: automatic scales: activations 2^${scale}, params ${paramBits} bits, inputs 2^${auto.inputScales.join(', 2^')} (${auto.tried} settings tried)`);
    if (!auto.metTarget) params.onProgress?.(`compile: warning: the error target was not met by any setting searched, compiling the most accurate one: ${auto.detail}`);
  }
  params.onProgress?.(`compile: quantizing ${graph.nodes.length} nodes (scale 2^${scale}, params ${paramBits} bits)`);
  const program = quantizeGraph(graph, { scale, paramBits, inputs: decls, paramVisibility, outputScale: params.outputScale });
  const visibility: Visibility = { input: params.inputVisibility ?? 'public', output: params.outputVisibility ?? 'public', params: paramVisibility };
  const layout = makeLayout(program, visibility, { bindProver: params.bindProver });
  return { graph, program, decls, samples, layout, scale, paramBits, auto };
}

/** Model bytes → quantized program → circom source and the hashes that identify them (no compiler run). */
async function buildSource(params: CompileParams, bytes: Uint8Array, calFiles: string[]) {
  const q = quantizeModel(params, bytes, calFiles);
  const { graph, program, layout } = q;
  // With fixed params the weights are in the source; otherwise the source is the architecture alone.
  const title = (params.paramVisibility ?? 'fixed') === 'fixed' ? `model ${path.basename(params.modelPath)} sha256 ${sha256(bytes)}` : `architecture of ${graph.name} (parameters are private signals)`;
  const source = generateCircom(program, { layout, title });
  const circuitHash = sha256(source, await gadgetSources(), await circomVersion(), OPTIMIZE);
  return { ...q, source, circuitHash };
}

/**
 * The identity of the circuit a model compiles to with these settings: what `verify --model` and
 * `inspect` recompute. Same model + same settings + same tool versions ⇒ same hashes, on any machine.
 */
export async function circuitIdentity(params: Omit<CompileParams, 'outDir'>): Promise<{ fileSha256: string; quantizedSha256: string; circuitHash: string }> {
  const bytes = readModelFile(params.modelPath);
  const b = await buildSource({ ...params, outDir: '' }, bytes, params.calibration ? listSampleFiles(params.calibration) : []);
  return { fileSha256: sha256(bytes), quantizedSha256: sha256(b.source), circuitHash: b.circuitHash };
}

/**
 * Compile a model into an artifact directory.
 * @example const { info } = await compileModel({ modelPath: 'model.onnx', outDir: 'build/model' });
 */
export async function compileModel(params: CompileParams): Promise<CompileResult> {
  const progress = params.onProgress ?? (() => {});
  const scale = params.scale ?? 12;
  const paramBits = params.paramBits ?? 16;
  const inputVisibility = params.inputVisibility ?? 'public';
  const outputVisibility = params.outputVisibility ?? 'public';
  const bytes = readModelFile(params.modelPath);
  const calFiles = params.calibration ? listSampleFiles(params.calibration) : [];
  const compiler = await circomVersion();
  const gadgets = await gadgetSources();
  const paramVisibility = params.paramVisibility ?? 'fixed';
  const settings = { scale, paramBits, inputVisibility, paramVisibility, outputVisibility, optimize: OPTIMIZE, ...(params.outputScale !== undefined ? { outputScale: params.outputScale } : {}), ...(params.bindProver ? { bindProver: true } : {}) };
  const key = sha256(
    bytes,
    canonicalJson({ settings, inputRange: params.inputRange ?? null, inputDecls: params.inputDecls ?? null, inputScale: params.inputScale ?? null, zkinfer: ZKINFER_VERSION, build: buildToken(), compiler, ...(params.autoScale ? { autoScale: true } : {}) }),
    gadgets,
    ...calFiles.flatMap((f) => [f, readFileSync(f)]),
  );
  const paths = artifactPaths(params.outDir);
  if (existsSync(paths.compiled) && existsSync(paths.r1cs) && existsSync(paths.wasm)) {
    const prev = readJson<CompiledInfo>(paths.compiled, 'compiled.json');
    if (prev.key === key && prev.build === buildToken()) {
      progress('compile: artifacts up to date (same model, settings and tool versions)');
      return { dir: params.outDir, info: prev, cached: true };
    }
  }

  const { graph, program, decls, samples, layout, source, circuitHash, auto, ...chosen } = await buildSource(params, bytes, calFiles);
  // with automatic scales, the chosen ones (what reproduces the circuit)
  const chosenSettings: CompiledInfo['settings'] = { ...settings, scale: chosen.scale, paramBits: chosen.paramBits, ...(auto ? { autoScale: true } : {}) };
  mkdirSync(params.outDir, { recursive: true });
  writeFileAtomic(paths.source, source);
  progress(`compile: running circom ${compiler} (--${OPTIMIZE}) on ${(source.length / 1024).toFixed(0)} KiB of generated source`);
  // Absolute paths, and a compiler working directory above the artifacts too: an installed package lives in
  // node_modules/zkinfer while the artifacts are wherever the user is (circom2 sees only what lies below its cwd).
  const outDir = path.resolve(params.outDir);
  const c = await compileCircuit({ sourcePath: path.resolve(paths.source), outDir, includeDirs: [CIRCUITS_DIR, CIRCOMLIB_DIR], optimize: OPTIMIZE, projectRoot: commonAncestor([PACKAGE_ROOT, CIRCOMLIB_DIR, outDir]) });
  // the circuit must compute what the integer program computes, before any key is made for it
  const check = await checkCircuit({ program, layout, wasmPath: c.wasmPath, symPath: c.symPath, ranges: declaredRanges(program, graph, decls) });
  progress(`compile: the witness equals the integer program on ${check.checked} random input(s), ${check.signals} signals each (${check.seconds.toFixed(1)} s)`);
  const total = c.nonLinearConstraints + c.linearConstraints;
  const nIn = program.inputs.reduce((a, o) => a + o.signals.length, 0);
  const nPublic = layout.signals.length;
  const fidelity = auto?.fidelity ?? (samples ? measureFidelity(graph, program, samples) : undefined);
  const steps = stepCounts(program, nIn);
  const paramsCommitment = paramVisibility === 'hashed' ? await commitParams(program, layout, paths.paramsOpening) : undefined;
  const info: CompiledInfo = {
    format: COMPILED_FORMAT,
    zkinferVersion: ZKINFER_VERSION,
    build: buildToken(),
    key,
    model: { file: path.basename(params.modelPath), name: graph.name, fileSha256: sha256(bytes), quantizedSha256: sha256(source) },
    circuitHash,
    settings: chosenSettings,
    inputs: program.inputs.map((inp, i) => ({ name: inp.name, shape: inp.shape, scale: inp.scale, lo: inp.lo.toString(), hi: inp.hi.toString(), min: decls[i]!.min, max: decls[i]!.max, rangeSource: decls[i]!.source, ...(intRange(graph.inputs[i]!.dtype) ? { dtype: graph.inputs[i]!.dtype } : {}) })),
    outputs: program.outputs.map((o) => ({ name: o.name, shape: o.shape, scale: o.scale })),
    constraints: { total, nonLinear: c.nonLinearConstraints, linear: c.linearConstraints, wires: c.wires },
    layout,
    ...(paramsCommitment ? { paramsCommitment } : {}),
    paramSignals: program.params.reduce((a, p) => a + p.values.length, 0),
    nPublic,
    ptauPower: Math.max(1, Math.ceil(Math.log2(total + nPublic + 1))),
    compiler: { circom: compiler, optimize: OPTIMIZE, seconds: c.seconds },
    ops: opCounts(graph),
    steps,
    fidelity,
    outputPrecision: outputPrecision(program, chosen.scale),
    ...(auto ? { auto: { cost: auto.cost, metTarget: auto.metTarget, targetRatio: auto.targetRatio, argmaxMisses: auto.argmaxMisses, detail: auto.detail, tried: auto.tried } } : {}),
  };
  if (fidelity) writeJson(paths.fidelity, fidelity);
  writeFileAtomic(paths.program, JSON.stringify(programToJson(program)));
  writeJson(paths.compiled, info);
  return { dir: params.outDir, info, cached: false, program, graph };
}

/** The integer range of each program input its declaration allows (within what the circuit enforces). */
export function declaredRanges(program: Program, graph: Graph, decls: InputDecl[]): (readonly [bigint, bigint])[] {
  return program.inputs.map((inp, i) => {
    const d = integerInputDecl(graph.inputs[i % graph.inputs.length]!, decls[i % decls.length]!);
    const f = 2 ** d.scale;
    const lo = BigInt(Math.floor(d.min * f));
    const hi = BigInt(Math.ceil(d.max * f));
    return [lo > inp.lo ? lo : inp.lo, hi < inp.hi ? hi : inp.hi] as const;
  });
}

/** What the circuit's steps are, counted (compiled.json `steps`). */
export function stepCounts(program: Program, inputRangeChecks: number): CompiledInfo['steps'] {
  const steps = { inputRangeChecks, rescales: 0, relus: 0, products: 0 };
  for (const s of program.steps) {
    if (s.kind === 'mul') steps.products++;
    else if (s.kind === 'rescale') s.relu ? steps.relus++ : steps.rescales++;
  }
  return steps;
}

/** Commit to the parameters under a fresh salt; the opening (salt) goes to `file` (hashed params). */
export async function commitParams(program: Program, layout: Layout, file: string): Promise<string> {
  const salt = randomSalt();
  const commitment = (await poseidonChain(salt, packAll(program.params.map((p) => p.values), layout.params), commitmentOf(layout, 'params')!.width)).toString();
  writeFileAtomic(file, `${JSON.stringify({ format: 'zkinfer.params-opening/1', salt: salt.toString(), commitment }, null, 2)}\n`);
  return commitment;
}

/** The salt of the parameter commitment (hashed params), written by compile. */
export const readParamsOpening = (dir: string): { salt: string; commitment: string } =>
  readJson<{ salt: string; commitment: string }>(artifactPaths(dir).paramsOpening, 'parameter commitment opening', `run 'zkinfer compile' again into ${dir}`);

export { inputSpecs } from './quantize/input.js';

export const outputSize = (info: CompiledInfo): number => info.outputs.reduce((a, o) => a + sizeOf(o.shape), 0);
