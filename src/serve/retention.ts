/**
 * Receipt retention: proved inferences leave Redis after a retention time and stay on the server's disk.
 * A proved job is ~26 KB in Redis (receipt with its verification key, opening); kept forever, Redis memory is
 * what fills first (docs/scaling.md). With retention, a trim pass moves every job completed longer ago than
 * the retention time into the archive — `<dir>/<id[0..2]>/<id>.json`, the inference as the API shows it,
 * written to a temporary file, fsynced and renamed before the job is removed — so nothing proved is lost and
 * `GET /v1/inferences/<id>` (and an Idempotency-Key retry) answers from the archive afterwards.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SEGMENT_JOB_ID, inferenceView } from './jobs.js';
import type { InferenceView, ProofJobData, ProofJobResult } from './jobs.js';

export interface ReceiptArchive {
  dir: string;
  /** The archived inference, or undefined. `id` must be a checked inference id (hex). */
  read(id: string): InferenceView | undefined;
  /** Archive every job completed more than `retainMs` ago, then remove it from Redis; resolves to how many. */
  trim(): Promise<number>;
  /** Wait for a trim pass in progress. */
  idle(): Promise<void>;
}

export function createArchive(p: { dir: string; retainMs: number; redis: Redis; queue: Queue<ProofJobData, ProofJobResult, string> }): ReceiptArchive {
  const dir = path.resolve(p.dir);
  const fileOf = (id: string) => path.join(dir, id.slice(0, 2), `${id}.json`);
  const write = (v: InferenceView) => {
    const file = fileOf(v.id);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(v)}\n`);
      fsyncSync(fd); // on disk before the job leaves Redis
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  };
  let running: Promise<number> | undefined;
  const pass = async (): Promise<number> => {
    let n = 0;
    for (;;) {
      const ids = await p.redis.zrangebyscore(p.queue.keys.completed, '-inf', Date.now() - p.retainMs, 'LIMIT', 0, 200);
      if (!ids.length) return n;
      for (const id of ids) {
        const job = (await p.queue.getJob(id)) as Job<ProofJobData, ProofJobResult> | undefined;
        // a segment job: nothing to keep, its inference's receipt holds its proof
        if (job && !SEGMENT_JOB_ID.test(id) && !existsSync(fileOf(id))) write(inferenceView(job, 'completed'));
        if (job) await job.remove();
        else await p.redis.zrem(p.queue.keys.completed, id); // a dangling id: nothing to keep
        n++;
      }
    }
  };
  return {
    dir,
    read(id) {
      const file = fileOf(id);
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as InferenceView) : undefined;
    },
    trim() {
      // one pass at a time (the timer and a caller may overlap)
      running ??= pass().finally(() => (running = undefined));
      return running;
    },
    idle: async () => void (await running?.catch(() => 0)),
  };
}
