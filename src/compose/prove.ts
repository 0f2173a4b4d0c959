/**
 * Proving a segmented model: the integer program computes every boundary (exactly what each witness
 * holds), one random salt per boundary goes into both segments that share it, the segments are proven
 * (in parallel processes with jobs > 1) and packaged as one segmented receipt.
 */
import path from 'node:path';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { inputSpecs, readParamsOpening } from '../compile.js';
import { readCompiled, readSetup } from '../setup.js';
import { readProgram } from '../prove/prove.js';
import { readInputFile } from '../prove/input.js';
import { quantizeInput } from '../quantize/input.js';
import { assembleReceipt, prepareWitness } from '../prove/receipt-build.js';
import type { PreparedWitness } from '../prove/receipt-build.js';
import { saltName } from '../codegen/circom.js';
import { randomSalt } from '../commit/poseidon.js';
import { OPENING_FORMAT, modelIdOf } from '../receipt.js';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import { readCheckedSegmentKeys, readManifest } from './compile.js';
import { SEGMENTED_RECEIPT_FORMAT } from './receipt.js';
import type { SegmentedReceipt } from './receipt.js';
import { jobInput, pool, proveSegmentHere, proveSegmentInChild } from './prove-segment.js';
import { DEV_SETUP_NOTE } from '../prove/receipt-build.js';

export interface ProveSegmentedParams {
  dir: string;
  inputPath: string;
  /** Segments proven at once, each in its own process (default 1: one after the other, in this process). */
  jobs?: number;
  onProgress?: (message: string) => void;
}

export interface ProveSegmentedResult {
  receipt: SegmentedReceipt;
  opening?: Opening;
  outputs: ReceiptTensor[];
  /**
   * Witness and Groth16 seconds of each segment, the wall-clock seconds of the proving phase, and of what
   * comes before it (the integer program through every segment: the boundaries and circuit inputs).
   */
  seconds: { segments: { witness: number; prove: number }[]; wall: number; prepare: number };
}

/**
 * Prove one inference through every segment.
 * @example const { receipt } = await proveSegmented({ dir: 'build/m', inputPath: 'input.json', jobs: 2 });
 */
export async function proveSegmented(params: ProveSegmentedParams): Promise<ProveSegmentedResult> {
  const progress = params.onProgress ?? (() => {});
  const manifest = readManifest(params.dir);
  const keys = readCheckedSegmentKeys(params.dir);
  const segs = manifest.segments.map((s) => {
    const dir = path.join(params.dir, s.dir);
    const compiled = readCompiled(dir);
    return { dir, compiled, setup: readSetup(dir, compiled), vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'verification key'), program: readProgram(dir) };
  });
  const specs = inputSpecs(segs[0]!.compiled);
  let ints = readInputFile(params.inputPath, specs).map((v, i) => quantizeInput(v, specs[i]!, params.inputPath));
  const tp = performance.now();
  const prepared: PreparedWitness[] = [];
  for (const s of segs) {
    const paramsSalt = s.compiled.layout.visibility.params === 'hashed' ? BigInt(readParamsOpening(s.dir).salt) : undefined;
    const p = prepareWitness(s.compiled, s.program, ints, paramsSalt);
    prepared.push(p);
    ints = p.outputs;
  }
  // one salt per boundary, the same on both sides
  for (let i = 0; i + 1 < segs.length; i++) {
    const salt = randomSalt();
    prepared[i]!.salts.output = salt;
    prepared[i]!.circuitInput[saltName('output')] = salt;
    prepared[i + 1]!.salts.input = salt;
    prepared[i + 1]!.circuitInput[saltName('input')] = salt;
  }
  const prepare = (performance.now() - tp) / 1000;
  const jobs = params.jobs ?? 1;
  progress(`prove: ${segs.length} segment(s)${jobs > 1 ? `, ${jobs} at a time in separate processes` : ''}`);
  const t0 = performance.now();
  const proofs = await pool(segs, jobs, async (s, i) => {
    const job = { wasmPath: artifactPaths(s.dir).wasm, zkeyPath: artifactPaths(s.dir).zkey, input: jobInput(prepared[i]!.circuitInput) };
    const r = jobs > 1 ? await proveSegmentInChild(job) : await proveSegmentHere(job);
    progress(`prove: segment ${i + 1}/${segs.length} (${s.compiled.constraints.total} constraints): witness ${r.seconds.witness.toFixed(2)} s, Groth16 ${r.seconds.prove.toFixed(2)} s`);
    return r;
  });
  const wall = (performance.now() - t0) / 1000;
  const parts: Awaited<ReturnType<typeof assembleReceipt>>[] = [];
  for (const [i, s] of segs.entries()) parts.push(await assembleReceipt({ compiled: s.compiled, setup: s.setup, vk: s.vk, prepared: prepared[i]!, proof: proofs[i]!.proof, publicSignals: proofs[i]!.publicSignals, vkLabel: artifactPaths(s.dir).vkey }));
  const { receipt, opening } = assembleSegmented({ model: manifest.model, visibility: manifest.visibility, dev: keys.dev, keysHash: keys.keysHash }, parts);
  return { receipt, opening, outputs: parts[parts.length - 1]!.outputs, seconds: { segments: proofs.map((p) => p.seconds), wall, prepare } };
}

/**
 * The segmented receipt and its opening from the segments' receipts and openings, in order (what `prove`
 * and the proving service's assembling job make). Throws when a boundary commitment is not shared.
 */
export function assembleSegmented(m: { model: SegmentedReceipt['model']; visibility: SegmentedReceipt['visibility']; dev: boolean; keysHash: string }, parts: { receipt: Receipt; opening?: Opening }[]): { receipt: SegmentedReceipt; opening?: Opening } {
  const receipts = parts.map((p) => p.receipt);
  const links = receipts.slice(0, -1).map((r, i) => {
    const c = r.commitments?.output;
    if (c === undefined || c !== receipts[i + 1]!.commitments?.input) throw new Error(`internal: segment ${i + 1}'s output commitment is not segment ${i + 2}'s input commitment`);
    return c;
  });
  const first = receipts[0]!;
  const last = receipts[receipts.length - 1]!;
  const { visibility } = m;
  const commitments = { ...(first.commitments?.input !== undefined && visibility.input === 'hashed' ? { input: first.commitments.input } : {}), ...(last.commitments?.output !== undefined && visibility.output === 'hashed' ? { output: last.commitments.output } : {}) };
  const receipt: SegmentedReceipt = {
    format: SEGMENTED_RECEIPT_FORMAT,
    model: m.model,
    modelId: modelIdOf(m.model),
    visibility,
    setup: m.dev ? { dev: true, note: DEV_SETUP_NOTE } : { dev: false },
    segmentKeysHash: m.keysHash,
    ...(first.inputs ? { inputs: first.inputs } : {}),
    ...(last.outputs ? { outputs: last.outputs } : {}),
    ...(Object.keys(commitments).length ? { commitments } : {}),
    links,
    segments: receipts,
    createdAt: new Date().toISOString(),
  };
  const o0 = parts[0]!.opening;
  const oK = parts[parts.length - 1]!.opening;
  const opening: Opening | undefined =
    visibility.input === 'hashed' || visibility.output === 'hashed'
      ? { format: OPENING_FORMAT, ...(visibility.input === 'hashed' ? { input: o0!.input! } : {}), ...(visibility.output === 'hashed' ? { output: oK!.output! } : {}) }
      : undefined;
  return { receipt, ...(opening ? { opening } : {}) };
}
