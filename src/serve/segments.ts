/**
 * Segmented models on the proving service (compile --segments). An inference is answered at once as for any
 * model (the integer program through every segment: outputs, attestation), then queued as one BullMQ flow:
 * the inference's job is the parent, one child per segment. Each child carries only what its worker needs —
 * that segment's artifacts (fetched by content hash), its input integers (the model input or a boundary, from
 * the server's integer program) and its commitments' salts (a boundary's salt in both segments that share it)
 * — so any workers prove the segments in parallel. BullMQ moves the parent to the queue exactly once, when
 * its last child completes (atomically in Redis, however many finish at once), and a worker then assembles
 * the segmented receipt from the children's results and checks it (verifySegmentedReceipt against the
 * segment keys hash); a worker killed mid-segment loses that segment's job to another (stalled-job detection)
 * and a child failing for good fails the inference (failParentOnFailure: BullMQ moves the parent to the front of
 * the queue and the next worker fails it; the API says failed at once, segmentedView), and its siblings not yet
 * started are skipped by the worker that takes them (worker.ts reads the parent first), never proved.
 */
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { FlowJob, Job, Queue } from 'bullmq';
import { canonicalJson, sha256 } from '../artifacts/hash.js';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { readCheckedSegmentKeys, readManifest } from '../compose/compile.js';
import { assembleSegmented } from '../compose/prove.js';
import { randomSalt } from '../commit/poseidon.js';
import { readProgram } from '../prove/prove.js';
import { inputSpecs } from '../quantize/input.js';
import { modelIdOf, vkHash as hashVk } from '../receipt.js';
import type { Receipt } from '../receipt.js';
import { readCompiled, readSetup } from '../setup.js';
import { verifySegmentedReceipt } from '../verify/segmented.js';
import { ArtifactError } from '../errors.js';
import { prepareProgram } from './fast-program.js';
import { JOB_OPTIONS, QUEUE_NAME, SKIPPED, segmentJobId, statusOf } from './jobs.js';
import type { InferenceView, ProofJobData, ProofJobResult, SegmentJobData, SegmentProgress } from './jobs.js';
import { artifactRefs, intsHash, predictProveSeconds, workerFiles } from './models.js';
import type { Evaluation, LoadedModel, ModelEntry, SegmentEntry } from './models.js';

/** Each segment's compiled circuit and program (checked against segments.keys.json). */
function readSegments(dir: string) {
  const manifest = readManifest(dir);
  const keys = readCheckedSegmentKeys(dir);
  const parts = manifest.segments.map((s) => {
    const d = path.join(dir, s.dir);
    const compiled = readCompiled(d);
    return { dir: s.dir, abs: d, compiled, program: readProgram(d) };
  });
  return { manifest, keys, parts };
}

function loaded(entry: ModelEntry, r: ReturnType<typeof readSegments>): LoadedModel {
  const last = r.parts[r.parts.length - 1]!;
  return { entry, compiled: last.compiled, program: last.program, prepared: prepareProgram(last.program), specs: inputSpecs(r.manifest), segments: r.parts.map((p) => prepareProgram(p.program)) };
}

/**
 * Read and check a segmented artifact directory (manifest, every segment's keys and program) and describe it
 * for the registry: its key hash is the segment keys hash, its predicted proof time the slowest segment's.
 */
export function describeSegmented(dirIn: string): LoadedModel {
  const dir = path.resolve(dirIn);
  const r = readSegments(dir);
  const segments: SegmentEntry[] = r.parts.map((p, i) => {
    const setup = readSetup(p.abs, p.compiled);
    const vk = readJson<Record<string, unknown>>(artifactPaths(p.abs).vkey, 'verification key');
    if (hashVk(vk) !== setup.vkHash || setup.vkHash !== r.keys.vkHashes[i]) throw new ArtifactError(`${artifactPaths(p.abs).vkey}: not the key segments.keys.json lists for segment ${i + 1}`, { hint: `run 'zkinfer setup ${dirIn}' again` });
    return { dir: p.dir, vkHash: setup.vkHash, constraints: p.compiled.constraints.total, predictedProveSeconds: predictProveSeconds(p.abs, p.compiled, p.program), artifacts: artifactRefs(p.abs, workerFiles(p.abs, p.compiled), dirIn) };
  });
  const predicted = segments.map((s) => s.predictedProveSeconds);
  const entry: ModelEntry = {
    id: modelIdOf(r.manifest.model),
    dir,
    name: r.manifest.model.name,
    file: r.manifest.model.file,
    vkHash: r.keys.keysHash,
    circuitHash: sha256(canonicalJson(r.manifest.segments.map((s) => s.circuitHash))),
    visibility: r.manifest.visibility,
    constraints: r.manifest.constraints,
    devSetup: r.keys.dev,
    predictedProveSeconds: predicted.every((x) => x !== undefined) ? Math.max(...(predicted as number[])) : undefined,
    // the server serves every segment's files (by content hash); each segment job names only its own
    artifacts: Object.fromEntries(segments.flatMap((s) => Object.entries(s.artifacts).map(([rel, a]) => [path.posix.join(s.dir, rel), a]))),
    segmented: { model: r.manifest.model, parts: segments },
    registeredAt: new Date().toISOString(),
  };
  return loaded(entry, r);
}

/** A registered segmented model's programs and specs, from its directory (on the server). */
export const loadSegmented = (entry: ModelEntry): LoadedModel => loaded(entry, readSegments(entry.dir));

/**
 * The flow of one inference of a segmented model: the parent job (id = the inference id, data = `parent`)
 * and one child job per segment (`<id>-s<i>`).
 */
export function segmentedFlow(model: LoadedModel, ev: Evaluation, parent: ProofJobData): FlowJob {
  const e = model.entry;
  const segs = e.segmented!.parts;
  const K = segs.length;
  const ins = ev.segmentInputs!;
  const boundary = Array.from({ length: K - 1 }, () => randomSalt().toString());
  const own = (of: 'input' | 'output') => (e.visibility[of] === 'hashed' ? { [of]: randomSalt().toString() } : {});
  const children = segs.map((s, i) => {
    const data: SegmentJobData = {
      kind: 'segment', id: parent.id, modelId: e.id, index: i, count: K, vkHash: s.vkHash,
      inputs: ins[i]!.map((t) => t.map(String)),
      salts: { ...(i > 0 ? { input: boundary[i - 1]! } : own('input')), ...(i + 1 < K ? { output: boundary[i]! } : own('output')) },
      outputsHash: i + 1 < K ? intsHash(ins[i + 1]!) : ev.outputsHash,
      artifacts: s.artifacts, predictedProveSeconds: s.predictedProveSeconds, acceptedAt: parent.acceptedAt,
    };
    return { name: 'segment', queueName: QUEUE_NAME, data, opts: { ...JOB_OPTIONS, jobId: segmentJobId(parent.id, i), failParentOnFailure: true } };
  });
  const { input: _input, ...rest } = parent; // the segments carry the input, as integers
  const data: ProofJobData = { ...rest, segmented: { count: K, model: e.segmented!.model, visibility: e.visibility, dev: e.devSetup } };
  return { name: e.id, queueName: QUEUE_NAME, data, opts: { ...JOB_OPTIONS, jobId: parent.id }, children };
}

/**
 * Each segment job's state (2 Redis reads per segment). The state is read first: the job read after it is as
 * new, so a segment found proved or failed has its result or reason.
 */
export function segmentProgress(queue: Queue, id: string, count: number): Promise<SegmentProgress[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index): Promise<SegmentProgress> => {
      const state = statusOf(await queue.getJobState(segmentJobId(id, index)));
      const j = (await queue.getJob(segmentJobId(id, index))) as Job<SegmentJobData, ProofJobResult> | undefined;
      if (!j) return { index, status: 'queued', attempts: 0 };
      const status = state === 'failed' && j.failedReason?.startsWith(SKIPPED) ? 'skipped' : state;
      const r = status === 'proved' ? j.returnvalue : undefined;
      return {
        index, status, attempts: j.attemptsStarted,
        ...(j.processedOn ? { startedAt: new Date(j.processedOn).toISOString() } : {}),
        ...(r ? { worker: r.worker, proveSeconds: r.seconds.witness + r.seconds.prove } : {}),
        ...(status === 'failed' ? { error: j.failedReason } : {}),
      };
    }),
  );
}

/**
 * A segmented inference as the API shows it: each segment's progress; `proving` as soon as one segment is
 * (until the receipt is assembled); `failed` as soon as a segment has failed for good (BullMQ fails the parent
 * only when a worker next takes it), with that segment's reason. Proved: from the parent's result.
 */
export async function segmentedView(v: InferenceView, queue: Queue, count: number): Promise<InferenceView> {
  if (v.segments) return v;
  const segments = await segmentProgress(queue, v.id, count);
  const bad = segments.find((s) => s.status === 'failed');
  const started = segments.some((s) => s.status === 'proving' || s.status === 'proved');
  const at = Math.min(...segments.map((s) => (s.startedAt ? Date.parse(s.startedAt) : Infinity)));
  return {
    ...v,
    segments,
    ...(Number.isFinite(at) ? { timings: { ...v.timings, startedAt: new Date(at).toISOString(), queueSeconds: (at - Date.parse(v.timings.acceptedAt)) / 1000 } } : {}),
    ...(v.status === 'queued' && started ? { status: 'proving' as const } : {}),
    ...(v.status !== 'proved' && bad ? { status: 'failed' as const, error: `segment ${bad.index + 1}/${count}: ${bad.error}` } : {}),
  };
}

/**
 * The parent job's work (on a worker, once every segment is proved): the segmented receipt from the children's
 * results, checked against the segment keys hash and the attested outputs.
 */
export async function assembleSegmentedJob(job: Job<ProofJobData, ProofJobResult>, worker: string): Promise<ProofJobResult> {
  const d = job.data;
  const info = d.segmented!;
  const parts = Object.values(await job.getChildrenValues<ProofJobResult>()).sort((a, b) => (a.segment ?? 0) - (b.segment ?? 0));
  if (parts.length !== info.count || parts.some((r, i) => r.segment !== i)) throw new UnrecoverableError(`inference ${d.id}: ${parts.length} of its ${info.count} segment proofs are there`);
  const { receipt, opening } = assembleSegmented({ ...info, keysHash: d.vkHash }, parts.map((r) => ({ receipt: r.receipt as Receipt, opening: r.opening })));
  const v = await verifySegmentedReceipt({ receipt, opening, trustedKeysHash: d.vkHash });
  if (!v.ok) throw new UnrecoverableError(`the assembled receipt does not verify: ${v.failed!.name}: ${v.failed!.detail}`);
  if (canonicalJson(receipt.outputs ?? opening?.output?.tensors) !== canonicalJson(d.outputs)) throw new UnrecoverableError(`the proof's outputs differ from the attested outputs (model ${d.modelId.slice(0, 12)}…): refusing to publish it`);
  const sum = (k: keyof ProofJobResult['seconds']) => parts.reduce((a, r) => a + r.seconds[k], 0);
  return {
    receipt,
    ...(opening ? { opening } : {}),
    worker,
    seconds: { fetch: sum('fetch'), load: sum('load'), witness: sum('witness'), prove: sum('prove') },
    segments: parts.map((r, index) => ({ index, status: 'proved', attempts: r.attempt ?? 1, ...(r.startedAt ? { startedAt: new Date(r.startedAt).toISOString() } : {}), worker: r.worker, proveSeconds: r.seconds.witness + r.seconds.prove })),
  };
}
