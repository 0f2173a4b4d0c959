/**
 * A proving worker: takes proof jobs from the BullMQ queue, fetches the model's artifacts from the server
 * by content hash (checked, cached on disk), keeps proving keys and witness generators loaded between jobs
 * (as `prove-many` does), proves, and returns the receipt as the job's result. It needs only the Redis URL
 * and the server URL, so it can run on any machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, copyFileSync, mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { canonicalJson } from '../artifacts/hash.js';
import { loadProver } from '../prove/prove.js';
import type { Prover } from '../prove/prove.js';
import { ZkinferError, errorText } from '../errors.js';
import { QUEUE_NAME, SKIPPED, isSegmentJob, segmentJobId } from './jobs.js';
import type { ProofJobData, ProofJobResult, SegmentJobData } from './jobs.js';
import { intsHash, readModels } from './models.js';
import { assembleSegmentedJob } from './segments.js';
import type { ArtifactRef } from './models.js';
import { redisOptions } from './redis.js';

export interface StartWorkerParams {
  /** Redis URL shared with the server. */
  redis: string;
  /** The server's base URL (artifacts are fetched from it). */
  server: string;
  /** Bearer key for GET /v1/artifacts (the server's --worker-key). */
  workerKey?: string;
  /** Artifact cache (default ~/.cache/zkinfer/worker). */
  cacheDir?: string;
  /** Shown in the queue's worker list (default host:pid). */
  name?: string;
  /**
   * Job lock in seconds: a worker killed mid-proof loses its job to another after about this long. Default:
   * 3 × the slowest registered model's predicted proof + 2 s, at least 4 s. Each job's lock is also
   * extended to its own model's prediction before proving.
   */
  lockSeconds?: number;
  onLog?: (message: string) => void;
}

export interface ProvingWorker {
  worker: Worker<ProofJobData | SegmentJobData, ProofJobResult, string>;
  name: string;
  /** Finish the current job (or give it back after `timeoutMs`) and disconnect. */
  close(): Promise<void>;
}

/** Lock for a proof predicted to take `seconds`: long enough that a busy (not dead) worker keeps it. */
export const lockMsFor = (seconds: number | undefined): number => Math.min(3_600_000, Math.max(4000, Math.ceil(1000 * (3 * (seconds ?? 10) + 2))));

const sha256File = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The artifact cache: blobs by sha256, and one directory per (model, keys) linking them under their names. */
async function ensureArtifacts(p: { cacheDir: string; server: string; workerKey?: string; data: Pick<ProofJobData, 'modelId' | 'vkHash' | 'artifacts'> }): Promise<string> {
  const { data } = p;
  const dir = path.join(p.cacheDir, 'models', `${data.modelId.slice(0, 16)}-${data.vkHash.slice(0, 16)}`);
  const marker = path.join(dir, '.complete');
  const manifest = canonicalJson(data.artifacts);
  if (existsSync(marker)) return dir;
  const blobs = path.join(p.cacheDir, 'blobs');
  mkdirSync(blobs, { recursive: true });
  for (const [rel, a] of Object.entries(data.artifacts) as [string, ArtifactRef][]) {
    if (rel.split(/[\\/]/).includes('..') || path.isAbsolute(rel)) throw new UnrecoverableError(`artifact path '${rel}' escapes the model directory`);
    const blob = path.join(blobs, a.sha256);
    if (!existsSync(blob)) {
      const get = async (): Promise<Uint8Array> => {
        const res = await fetch(`${p.server.replace(/\/$/, '')}/v1/artifacts/${a.sha256}`, { headers: p.workerKey ? { authorization: `Bearer ${p.workerKey}` } : {} });
        if (res.status === 401) throw new UnrecoverableError(`artifact ${rel}: the server refused the worker key (401)`);
        if (!res.ok) throw new Error(`artifact ${rel} (${a.sha256.slice(0, 12)}…): the server answered ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      };
      let bytes = await get();
      // Fetched again at once (damaged on the way?); a second mismatch is the server's file itself, which no later
      // attempt will change: fail now rather than after the retries' back-off (and a segment's siblings with it).
      if (sha256File(bytes) !== a.sha256) bytes = await get();
      const got = sha256File(bytes);
      if (got !== a.sha256) throw new UnrecoverableError(`artifact ${rel}: content hash ${got.slice(0, 12)}… is not the registered ${a.sha256.slice(0, 12)}… (fetched twice: corrupt or changed on the server since it was registered)`);
      const tmp = `${blob}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, blob);
    }
    const target = path.join(dir, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    rmSync(target, { force: true });
    try {
      linkSync(blob, target);
    } catch {
      copyFileSync(blob, target);
    }
  }
  writeFileSync(marker, manifest);
  return dir;
}

/**
 * Start a worker process's BullMQ worker (one proof at a time: Groth16 uses every core).
 * @example const w = await startWorker({ redis: 'redis://127.0.0.1:6379', server: 'http://127.0.0.1:8080' });
 */
export async function startWorker(params: StartWorkerParams): Promise<ProvingWorker> {
  const connection = redisOptions(params.redis);
  const cacheDir = path.resolve(params.cacheDir ?? path.join(os.homedir(), '.cache', 'zkinfer', 'worker'));
  const name = params.name ?? `${os.hostname()}:${process.pid}`;
  const log = params.onLog ?? (() => {});
  let lockMs = params.lockSeconds !== undefined ? params.lockSeconds * 1000 : undefined;
  if (lockMs === undefined) {
    const r = new Redis(connection);
    try {
      const predicted = (await readModels(r)).map((m) => m.predictedProveSeconds ?? 10);
      lockMs = lockMsFor(predicted.length ? Math.max(...predicted) : undefined);
    } finally {
      r.disconnect();
    }
  }
  const provers = new Map<string, Promise<Prover>>();
  const processor = async (job: Job<ProofJobData | SegmentJobData, ProofJobResult, string>, token?: string): Promise<ProofJobResult> => {
    const d = job.data;
    const what = isSegmentJob(d) ? segmentJobId(d.id, d.index) : d.id;
    try {
      // a segment whose inference has already failed (a sibling failed for good): not proved, at no cost
      if (isSegmentJob(d)) {
        const failed = await parentFailure(job);
        if (failed) {
          log(`job ${what}: skipped, the inference had already failed`);
          throw new UnrecoverableError(`${SKIPPED}the inference had already failed (${failed})`);
        }
      }
      // a segmented inference whose segments are all proved: assemble its receipt (no artifacts needed)
      if (!isSegmentJob(d) && d.segmented) {
        const t = performance.now();
        const r = await assembleSegmentedJob(job as Job<ProofJobData, ProofJobResult>, name);
        log(`job ${what}: assembled ${d.segmented.count} segment proofs (${(performance.now() - t).toFixed(0)} ms)`);
        return r;
      }
      const t0 = performance.now();
      const dir = await ensureArtifacts({ cacheDir, server: params.server, workerKey: params.workerKey, data: d });
      const t1 = performance.now();
      let prover = provers.get(dir);
      if (!prover) {
        prover = loadProver({ dir, preload: true });
        provers.set(dir, prover);
        prover.catch(() => provers.delete(dir));
      }
      const loaded = await prover;
      const t2 = performance.now();
      const own = lockMsFor(d.predictedProveSeconds);
      if (token && own > lockMs!) await job.extendLock(token, own);
      log(`job ${what}: proving (model ${d.modelId.slice(0, 12)}…, attempt ${job.attemptsStarted})`);
      if (isSegmentJob(d)) {
        // one segment: its input integers and commitment salts come from the server's integer program
        const salt = (x?: string) => (x === undefined ? undefined : BigInt(x));
        const r = await loaded.proveInts(d.inputs.map((t) => t.map((x) => BigInt(x))), { input: salt(d.salts.input), output: salt(d.salts.output) });
        if (intsHash(r.outputs.map((t) => t.integers.map((x) => BigInt(x)))) !== d.outputsHash) throw new UnrecoverableError(`segment ${d.index + 1}/${d.count}: its outputs differ from the server's integer program: refusing to publish it`);
        if (r.receipt.vkHash !== d.vkHash) throw new UnrecoverableError(`the cached keys of segment ${d.index + 1} (vk ${r.receipt.vkHash.slice(0, 12)}…) are not the registered ones (${d.vkHash.slice(0, 12)}…)`);
        log(`job ${what}: proved (witness ${r.seconds.witness.toFixed(2)} s, Groth16 ${r.seconds.prove.toFixed(2)} s)`);
        return { receipt: r.receipt, ...(r.opening ? { opening: r.opening } : {}), worker: name, segment: d.index, attempt: job.attemptsStarted, startedAt: job.processedOn ?? Date.now(), seconds: { fetch: (t1 - t0) / 1000, load: (t2 - t1) / 1000, witness: r.seconds.witness, prove: r.seconds.prove } };
      }
      const inputFile = path.join(cacheDir, 'inputs', `${d.id}.${process.pid}.json`);
      mkdirSync(path.dirname(inputFile), { recursive: true });
      writeFileSync(inputFile, JSON.stringify(d.input));
      let r;
      try {
        r = await loaded.prove(inputFile);
      } finally {
        rmSync(inputFile, { force: true });
      }
      if (canonicalJson(r.outputs) !== canonicalJson(d.outputs)) {
        throw new UnrecoverableError(`the proof's outputs differ from the attested outputs (model ${d.modelId.slice(0, 12)}…): refusing to publish it`);
      }
      if (r.receipt.vkHash !== d.vkHash) throw new UnrecoverableError(`the cached keys (vk ${r.receipt.vkHash.slice(0, 12)}…) are not the registered ones (${d.vkHash.slice(0, 12)}…)`);
      log(`job ${d.id}: proved (witness ${r.seconds.witness.toFixed(2)} s, Groth16 ${r.seconds.prove.toFixed(2)} s)`);
      return { receipt: r.receipt, ...(r.opening ? { opening: r.opening } : {}), worker: name, seconds: { fetch: (t1 - t0) / 1000, load: (t2 - t1) / 1000, ...r.seconds } };
    } catch (e) {
      log(`job ${what}: ${e instanceof ZkinferError ? errorText(e) : (e as Error).message}`);
      // A user or artifact error will not change on a retry: fail now, with the CLI's text as the reason.
      if (e instanceof ZkinferError) throw new UnrecoverableError(errorText(e));
      throw e;
    }
  };
  /** Why a segment job's parent (its inference) has failed, or undefined while it has not (1 Redis read). */
  const parentFailure = async (job: Job): Promise<string | undefined> => {
    const id = job.parent?.id;
    if (!id) return undefined;
    const p = await Job.fromId(worker, id);
    // a child failing for good moves its parent to the queue with a deferred failure; the next worker fails it
    return p?.deferredFailure || (p?.finishedOn && p.failedReason) || undefined;
  };
  const worker = new Worker<ProofJobData | SegmentJobData, ProofJobResult, string>(QUEUE_NAME, processor, {
    connection: connection as ConnectionOptions,
    name,
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', (e) => log(`worker: ${e.message}`));
  void worker.run();
  await worker.waitUntilReady();
  log(`worker ${name}: ready (lock ${(lockMs! / 1000).toFixed(1)} s, cache ${cacheDir})`);
  return {
    worker,
    name,
    async close() {
      await worker.close();
      await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
    },
  };
}
