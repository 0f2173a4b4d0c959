/**
 * Models the service proves: an artifact directory (after compile and setup) registered under its model
 * id, with a manifest of the files a worker needs, each named by its sha256 (workers fetch them by content
 * hash). The registry lives in Redis, so every server and worker sharing it sees the same models.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { sha256 } from '../artifacts/hash.js';
import { readCompiled, readSetup } from '../setup.js';
import type { CompiledInfo } from '../compile.js';
import { readProgram } from '../prove/prove.js';
import type { Program } from '../quantize/program.js';
import { prepareProgram } from './fast-program.js';
import type { PreparedProgram } from './fast-program.js';
import { parseInputDoc } from '../prove/input.js';
import { inputSpecs, quantizeInput } from '../quantize/input.js';
import type { InputTensorSpec } from '../quantize/input.js';
import { toTensors } from '../prove/receipt-build.js';
import type { ReceiptTensor } from '../receipt.js';
import { modelIdOf, vkHash as hashVk } from '../receipt.js';
import { loadCostModel, predict } from '../estimate/cost-model.js';
import { sourceTerms } from '../estimate/estimate.js';
import { ArtifactError } from '../errors.js';

/** Redis hash: model id → ModelEntry (JSON). */
export const MODELS_KEY = 'zkinfer:models';

export interface ArtifactRef {
  sha256: string;
  bytes: number;
}

export interface ModelEntry {
  id: string;
  /** Absolute artifact directory on the server's machine. */
  dir: string;
  name: string;
  file: string;
  vkHash: string;
  circuitHash: string;
  visibility: CompiledInfo['layout']['visibility'];
  constraints: number;
  devSetup: boolean;
  /** Seconds one proof takes on an idle worker (witness + Groth16, from the cost model); undefined without one. */
  predictedProveSeconds?: number;
  /** Files a worker needs, by path relative to the artifact directory. */
  artifacts: Record<string, ArtifactRef>;
  /** A segmented model (compile --segments): the model its receipts name and its segments, each proven by its own job (./segments.ts). */
  segmented?: { model: { file: string; name: string; fileSha256: string; quantizedSha256: string }; parts: SegmentEntry[] };
  registeredAt: string;
}

/** One segment of a segmented model: its subdirectory, key, size and the files its worker needs (relative to it). */
export interface SegmentEntry {
  dir: string;
  vkHash: string;
  constraints: number;
  predictedProveSeconds?: number;
  artifacts: Record<string, ArtifactRef>;
}

/** A registered model with what the server needs to answer at once: input specs and the integer program. */
export interface LoadedModel {
  entry: ModelEntry;
  compiled: CompiledInfo;
  program: Program;
  /** The program prepared once for the immediate answers (./fast-program.ts). */
  prepared: PreparedProgram;
  specs: InputTensorSpec[];
  /** A segmented model: every segment's program, prepared, in order (`compiled`/`program` are the last segment's). */
  segments?: PreparedProgram[];
}

/** Predicted seconds of one proof (witness + Groth16) from the committed cost model, or undefined. */
export function predictProveSeconds(dir: string, compiled: CompiledInfo, program: Program): number | undefined {
  const model = loadCostModel();
  if (!model) return undefined;
  const source = artifactPaths(dir).source;
  const features = {
    constraints: compiled.constraints.total,
    wires: compiled.constraints.wires,
    domain: 2 ** compiled.ptauPower,
    terms: sourceTerms(program),
    nPublic: compiled.nPublic,
    ...(existsSync(source) ? { sourceBytes: statSync(source).size } : {}),
  };
  return predict(model.steps.witness.seconds, features) + predict(model.steps.prove.seconds, features);
}

/** The files a worker needs to prove with `dir` (relative paths). */
export function workerFiles(dir: string, compiled: CompiledInfo): string[] {
  const p = artifactPaths(dir);
  const files = [p.compiled, p.program, p.setup, p.vkey, p.zkey, p.wasm];
  if (compiled.layout.visibility.params === 'hashed') files.push(p.paramsOpening);
  return files.map((f) => path.relative(dir, f));
}

/**
 * Read and check an artifact directory (compiled, keys, program) and describe it for the registry.
 * @example const { entry } = describeModel('build/mnist');
 */
export function describeModel(dirIn: string): LoadedModel {
  const dir = path.resolve(dirIn);
  if (!existsSync(dir)) throw new ArtifactError(`${dirIn}: artifact directory not found`, { hint: "run 'zkinfer compile' and 'zkinfer setup' first" });
  const compiled = readCompiled(dir);
  const setup = readSetup(dir, compiled);
  const vk = readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'verification key');
  if (hashVk(vk) !== setup.vkHash) throw new ArtifactError(`${artifactPaths(dir).vkey}: does not match setup.json (hash differs)`, { hint: `run 'zkinfer setup ${dirIn}' again` });
  const program = readProgram(dir);
  const artifacts = artifactRefs(dir, workerFiles(dir, compiled), dirIn);
  const entry: ModelEntry = {
    id: modelIdOf(compiled.model),
    dir,
    name: compiled.model.name,
    file: compiled.model.file,
    vkHash: setup.vkHash,
    circuitHash: compiled.circuitHash,
    visibility: compiled.layout.visibility,
    constraints: compiled.constraints.total,
    devSetup: setup.dev,
    predictedProveSeconds: predictProveSeconds(dir, compiled, program),
    artifacts,
    registeredAt: new Date().toISOString(),
  };
  return { entry, compiled, program, prepared: prepareProgram(program), specs: inputSpecs(compiled) };
}

/** Content hashes of an artifact directory's files (relative paths); `dirIn` names it in the error. */
export function artifactRefs(dir: string, files: string[], dirIn = dir): Record<string, ArtifactRef> {
  const artifacts: Record<string, ArtifactRef> = {};
  for (const rel of files) {
    const f = path.join(dir, rel);
    if (!existsSync(f)) throw new ArtifactError(`${f}: missing`, { hint: `run 'zkinfer setup ${dirIn}' (keys) or 'zkinfer compile' again` });
    const bytes = readFileSync(f);
    artifacts[rel] = { sha256: sha256(bytes), bytes: bytes.length };
  }
  return artifacts;
}

/** Load a registered model's program and specs from its directory (on the server). */
export function loadModel(entry: ModelEntry): LoadedModel {
  const compiled = readCompiled(entry.dir);
  const program = readProgram(entry.dir);
  return { entry, compiled, program, prepared: prepareProgram(program), specs: inputSpecs(compiled) };
}

export async function saveModel(redis: Redis, entry: ModelEntry): Promise<void> {
  await redis.hset(MODELS_KEY, entry.id, JSON.stringify(entry));
}

export async function readModels(redis: Redis): Promise<ModelEntry[]> {
  const all = await redis.hgetall(MODELS_KEY);
  return Object.values(all).map((s) => JSON.parse(s) as ModelEntry);
}

export async function readModel(redis: Redis, id: string): Promise<ModelEntry | undefined> {
  const s = await redis.hget(MODELS_KEY, id);
  return s ? (JSON.parse(s) as ModelEntry) : undefined;
}

export interface Evaluation {
  inputs: bigint[][];
  outputs: bigint[][];
  /** Decoded outputs, exactly what the receipt (or its opening) will show. */
  outputTensors: ReceiptTensor[];
  /** sha256 of the canonical JSON of the quantized input integers. */
  inputHash: string;
  /** sha256 of the canonical JSON of the output integers. */
  outputsHash: string;
  /** A segmented model: each segment's input integers (the model input, then each boundary). */
  segmentInputs?: bigint[][][];
}

/**
 * Hash of integer tensors as canonical JSON (decimal strings): input references and output hashes. The
 * same bytes as sha256(canonicalJson(xs)), written directly (decimal digits need no escaping).
 */
export const intsHash = (xs: readonly (readonly bigint[])[]): string =>
  createHash('sha256')
    .update(`[${xs.map((r) => (r.length ? `["${r.join('","')}"]` : '[]')).join(',')}]`)
    .digest('hex');

/**
 * The immediate answer: parse and quantize a request's input as `prove` would, run the integer program
 * (the witness's exact twin). Throws InputError for input the circuit would refuse.
 */
export function evaluateInput(model: LoadedModel, doc: unknown, where = 'request body'): Evaluation {
  const floats = parseInputDoc(doc, model.specs, where);
  const inputs = floats.map((v, i) => quantizeInput(v, model.specs[i]!, where));
  let outputs: bigint[][];
  let segmentInputs: bigint[][][] | undefined;
  if (model.segments) {
    // through every segment: the boundaries are exactly what each segment's witness holds
    segmentInputs = [inputs];
    for (const p of model.segments) segmentInputs.push(p.outputs(segmentInputs[segmentInputs.length - 1]!));
    outputs = segmentInputs.pop()!;
  } else outputs = model.prepared.outputs(inputs);
  return { inputs, outputs, outputTensors: toTensors(model.compiled.outputs, outputs), inputHash: intsHash(inputs), outputsHash: intsHash(outputs), ...(segmentInputs ? { segmentInputs } : {}) };
}
