/**
 * `compile --segments`: a model → K segment circuits in DIR/seg0 … DIR/seg{K−1} (each an ordinary artifact
 * directory) and DIR/segments.json, the manifest naming them in order. `setupSegments` makes each one's keys
 * and binds their ordered verification-key hashes into one hash (DIR/segments.keys.json).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { declaredRanges, listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams, CompiledInfo } from '../compile.js';
import { intRange } from '../ir/graph.js';
import type { Graph } from '../ir/graph.js';
import type { Program } from '../quantize/program.js';
import type { Visibility } from '../quantize/layout.js';
import { sha256, canonicalJson } from '../artifacts/hash.js';
import { readJson, writeJson } from '../artifacts/layout.js';
import { setupKeys } from '../setup.js';
import type { SetupInfo } from '../setup.js';
import { planSegments } from './segments.js';
import type { PlanOptions, Segment } from './segments.js';
import { compileProgramCircuit } from './circuit.js';
import { ArtifactError, CompilerMemoryError, InputError } from '../errors.js';
import { SEGMENT_KEYS_FORMAT, keysHashOf } from './keys.js';

export const SEGMENTS_FORMAT = 'zkinfer.segments/1';

export interface SegmentsManifest {
  format: typeof SEGMENTS_FORMAT;
  model: { file: string; name: string; fileSha256: string; quantizedSha256: string };
  visibility: Visibility;
  settings: CompiledInfo['settings'];
  inputs: CompiledInfo['inputs'];
  outputs: CompiledInfo['outputs'];
  /** In order; dir is relative to the manifest's directory. */
  segments: { dir: string; from: number; to: number; circuitHash: string; constraints: number; boundaryIn: number; boundaryOut: number; nPublic: number }[];
  constraints: number;
}

/** What setup binds: the ordered verification-key hashes and one hash of that list. */
export interface SegmentKeys {
  format: typeof SEGMENT_KEYS_FORMAT;
  vkHashes: string[];
  keysHash: string;
  dev: boolean;
}

export const manifestPath = (dir: string): string => path.join(dir, 'segments.json');
export const segmentKeysPath = (dir: string): string => path.join(dir, 'segments.keys.json');
export const segmentDir = (dir: string, i: number): string => path.join(dir, `seg${i}`);
export const isSegmented = (dir: string): boolean => existsSync(manifestPath(dir));

export const readManifest = (dir: string): SegmentsManifest => readJson<SegmentsManifest>(manifestPath(dir), 'segments manifest', `run 'zkinfer compile <model> --segments K -o ${dir}'`);
export const readSegmentKeys = (dir: string): SegmentKeys => readJson<SegmentKeys>(segmentKeysPath(dir), 'segment keys', `run 'zkinfer setup ${dir}'`);

/** Op counts of the graph nodes a segment's steps come from. */
function segmentOps(graph: Graph, p: Program): Record<string, number> {
  const names = new Set(p.steps.map((s) => (s as { node?: string }).node).filter((x): x is string => x !== undefined));
  const c: Record<string, number> = {};
  for (const n of graph.nodes) if (names.has(n.name)) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

/** circom2 out of memory on segment i: which segment, what the plan predicted for it, and a smaller cut to ask for. */
export function segmentMemoryError(e: CompilerMemoryError, i: number, plan: Segment[]): CompilerMemoryError {
  const s = plan[i]!;
  const smaller = Math.max(1, Math.floor(s.constraints * 0.6));
  return new CompilerMemoryError(
    `segment ${i + 1} of ${plan.length} (steps ${s.from}..${s.to}, ${s.constraints} constraints, predicted ≈ ${Math.round(s.memoryMB)} MB of circom2's memory): ${e.message}`,
    { hint: `cut smaller segments: --segments auto --max-constraints ${smaller} (the prediction was too low for this circuit: please report it)`, cause: e },
  );
}

export interface CompileSegmentedParams extends CompileParams, PlanOptions {}

/**
 * Quantize a model and cut it into segment circuits, compiled one after the other.
 * @example const m = await compileSegmented({ modelPath: 'm.onnx', outDir: 'build/m', segments: 2 });
 */
export async function compileSegmented(params: CompileSegmentedParams): Promise<{ manifest: SegmentsManifest; segments: CompiledInfo[]; plan: Segment[] }> {
  const progress = params.onProgress ?? (() => {});
  if (params.bindProver) throw new InputError('--bind-prover is not supported with --segments yet', { hint: 'compile without --bind-prover, or as one circuit' });
  const bytes = readModelFile(params.modelPath);
  const calFiles = params.calibration ? listSampleFiles(params.calibration) : [];
  const q = quantizeModel(params, bytes, calFiles);
  const visibility = q.layout.visibility;
  const plan = planSegments(q.program, visibility, params);
  progress(`compile: ${plan.length} segment(s) of ${plan.map((s) => s.constraints).join(', ')} constraints (estimated)`);
  const settings: CompiledInfo['settings'] = {
    scale: q.scale, paramBits: q.paramBits, inputVisibility: visibility.input, paramVisibility: visibility.params, outputVisibility: visibility.output, optimize: 'O1',
    ...(params.outputScale !== undefined ? { outputScale: params.outputScale } : {}), ...(q.auto ? { autoScale: true } : {}),
  };
  const modelInputs: CompiledInfo['inputs'] = q.program.inputs.map((inp, i) => ({
    name: inp.name, shape: inp.shape, scale: inp.scale, lo: inp.lo.toString(), hi: inp.hi.toString(), min: q.decls[i]!.min, max: q.decls[i]!.max, rangeSource: q.decls[i]!.source,
    ...(intRange(q.graph.inputs[i]!.dtype) ? { dtype: q.graph.inputs[i]!.dtype } : {}),
  }));
  const fileSha256 = sha256(bytes);
  const file = path.basename(params.modelPath);
  const segments: CompiledInfo[] = [];
  for (const [i, s] of plan.entries()) {
    const inputs = i === 0 ? modelInputs : s.program.inputs.map((x) => ({ name: x.name, shape: x.shape, scale: 0, lo: x.lo.toString(), hi: x.hi.toString(), min: Number(x.lo), max: Number(x.hi), rangeSource: 'segment boundary' }));
    segments.push(
      await compileProgramCircuit({
        dir: segmentDir(params.outDir, i),
        program: s.program,
        layout: s.layout,
        title: `segment ${i + 1} of ${plan.length} (steps ${s.from}..${s.to} in ${s.order} order) of model ${file} sha256 ${fileSha256}`,
        model: { file, name: q.graph.name, fileSha256 },
        settings,
        inputs,
        ops: segmentOps(q.graph, s.program),
        ...(i === 0 ? { checkRanges: declaredRanges(s.program, q.graph, q.decls) } : {}),
        onProgress: progress,
      }).catch((e: unknown) => {
        throw e instanceof CompilerMemoryError ? segmentMemoryError(e, i, plan) : e;
      }),
    );
    progress(`compile: segment ${i + 1}/${plan.length}: ${segments[i]!.constraints.total} constraints (estimated ${s.constraints})`);
  }
  const manifest: SegmentsManifest = {
    format: SEGMENTS_FORMAT,
    model: { file, name: q.graph.name, fileSha256, quantizedSha256: sha256(canonicalJson(segments.map((c) => c.model.quantizedSha256))) },
    visibility,
    settings,
    inputs: modelInputs,
    outputs: segments[segments.length - 1]!.outputs,
    segments: plan.map((s, i) => ({ dir: `seg${i}`, from: s.from, to: s.to, circuitHash: segments[i]!.circuitHash, constraints: segments[i]!.constraints.total, boundaryIn: s.boundaryIn, boundaryOut: s.boundaryOut, nPublic: segments[i]!.nPublic })),
    constraints: segments.reduce((a, c) => a + c.constraints.total, 0),
  };
  writeJson(manifestPath(params.outDir), manifest);
  return { manifest, segments, plan };
}

/**
 * Keys for every segment (reused when they belong to its circuit), and the hash binding their order.
 * @example const { keys } = await setupSegments({ dir: 'build/m' });
 */
export async function setupSegments(params: { dir: string; ptauPath?: string; cacheDir?: string; onProgress?: (m: string) => void }): Promise<{ keys: SegmentKeys; setups: SetupInfo[]; cached: boolean }> {
  const manifest = readManifest(params.dir);
  const setups: SetupInfo[] = [];
  let cached = true;
  for (const [i, s] of manifest.segments.entries()) {
    params.onProgress?.(`setup: segment ${i + 1}/${manifest.segments.length}`);
    const r = await setupKeys({ dir: path.join(params.dir, s.dir), ptauPath: params.ptauPath, cacheDir: params.cacheDir, onProgress: params.onProgress });
    if (r.info.circuitHash !== s.circuitHash) throw new ArtifactError(`${path.join(params.dir, s.dir)}: its circuit is not the one segments.json names`, { hint: 'compile again' });
    setups.push(r.info);
    cached &&= r.cached;
  }
  const vkHashes = setups.map((s) => s.vkHash);
  const keys: SegmentKeys = { format: SEGMENT_KEYS_FORMAT, vkHashes, keysHash: keysHashOf(vkHashes), dev: setups.some((s) => s.dev) };
  writeJson(segmentKeysPath(params.dir), keys);
  return { keys, setups, cached };
}

/** The segment keys file, checked against the segments' own setup.json files. */
export function readCheckedSegmentKeys(dir: string): SegmentKeys {
  const keys = readSegmentKeys(dir);
  const m = readManifest(dir);
  const own = m.segments.map((s) => readJson<SetupInfo>(path.join(dir, s.dir, 'setup.json'), 'setup.json').vkHash);
  if (keysHashOf(own) !== keys.keysHash || canonicalJson(own) !== canonicalJson(keys.vkHashes)) throw new ArtifactError(`${segmentKeysPath(dir)}: does not list the segments' keys`, { hint: `run 'zkinfer setup ${dir}' again` });
  return keys;
}
