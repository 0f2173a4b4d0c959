/**
 * The proving service under faults, with real processes and a real Redis: a worker killed mid-proof, Redis
 * and the server killed and restarted, the embedded redis-server's lifecycle, redis-server missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from '../src/serve/server.js';
import type { ProvingServer } from '../src/serve/server.js';
import { startRedis } from '../src/serve/redis.js';
import type { EmbeddedRedis } from '../src/serve/redis.js';
import { ZkinferClient, ZkinferServiceError } from '../src/serve/client.js';
import type { InferenceView } from '../src/serve/jobs.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { MLP_INPUTS, buildMlp, startWorkerProcess, testRedis, zkinfer } from './helpers/serve.js';
import type { Proc } from './helpers/serve.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';
import { LOCAL_WORKER_NICE } from '../src/cli/commands/serve.js';

const input = (i = 0) => JSON.parse(readFileSync(MLP_INPUTS[i]!, 'utf8')) as { input: number[][] };
let dir: string;
let modelId: string;
const procs: Proc[] = [];
const redises: EmbeddedRedis[] = [];

beforeAll(async () => {
  dir = await buildMlp();
  modelId = modelIdOf(readCompiled(dir).model);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const r of redises) await r.stop();
  await terminateCurve();
});

const track = <T extends Proc>(p: T): T => (procs.push(p), p);
const serveUrl = async (p: Proc): Promise<string> => (await p.waitFor(/^serving\s+http/)).match(/http:\/\/[^\s]+/)![0];

async function expectVerified(v: InferenceView, answered: InferenceView) {
  expect(v.status).toBe('proved');
  expect(v.receipt!.outputs).toEqual(answered.outputs);
  const r = await verifyReceipt({ receipt: v.receipt! });
  expect(r.ok, r.failed?.detail).toBe(true);
}

describe('proving service faults', () => {
  it('kill -9 of a worker mid-proof: the job is taken again after its lock expires and gets exactly one receipt', async () => {
    const redis = await testRedis();
    redises.push(redis);
    let server: ProvingServer | undefined;
    try {
      server = await createServer({ redis: redis.url, models: [dir] });
      const url = await server.listen({ port: 0 });
      const workers = [track(await startWorkerProcess(redis.url, url)), track(await startWorkerProcess(redis.url, url))];
      const client = new ZkinferClient({ url });
      const inf = await client.infer(modelId, input(1));
      const proving = new RegExp(`job ${inf.id}: proving`);
      const victim = await Promise.race(workers.map((w) => w.waitFor(proving).then(() => w)));
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe(null); // killed by the signal, no exit code
      const survivor = workers.find((w) => w !== victim)!;
      const t = performance.now();
      const done = await client.waitForReceipt(inf.id, { timeoutSeconds: 60 });
      await expectVerified(done, inf);
      expect(victim.stderr()).not.toMatch(new RegExp(`job ${inf.id}: proved`));
      expect(survivor.stderr()).toMatch(new RegExp(`job ${inf.id}: proved`));
      const job = await server.queue.getJob(inf.id);
      expect(job!.returnvalue.worker).toMatch(new RegExp(`:${survivor.child.pid}$`));
      expect(await server.queue.getJobCounts('completed', 'failed', 'active', 'waiting')).toEqual({ completed: 1, failed: 0, active: 0, waiting: 0 });
      // the lock is sized to the predicted proof (a few seconds for this model), not BullMQ's 30 s default
      expect((performance.now() - t) / 1000).toBeLessThan(20);
    } finally {
      await server?.close();
    }
  });

  it('Redis and the server killed and restarted (append-only): every accepted inference is still there and gets proved', async () => {
    const redisDir = tempDir('zkinfer-redis-');
    let redis = await startRedis({ dir: redisDir });
    redises.push(redis);
    const serveArgs = ['serve', '--redis', redis.url, '--workers', '0', '--port', '0', '--data', tempDir('zkinfer-serve-data-'), '--max-queued', '3', '--model', dir];
    const a = track(zkinfer(serveArgs));
    let url = await serveUrl(a);
    let client = new ZkinferClient({ url });
    const w = track(await startWorkerProcess(redis.url, url));
    const proved = await client.infer(modelId, input(0), { waitSeconds: 60 });
    expect(proved.status).toBe('proved');
    await w.stop();
    const queued = [];
    for (const i of [1, 2, 3]) queued.push(await client.infer(modelId, input(i)));
    expect(queued.map((q) => q.status)).toEqual(['queued', 'queued', 'queued']);
    const full = await client.infer(modelId, input(0)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(ZkinferServiceError);
    expect((full as ZkinferServiceError).status).toBe(429);
    expect((full as ZkinferServiceError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    a.child.kill('SIGKILL');
    redis.process.kill('SIGKILL'); // no shutdown save: only the append-only file, fsynced on every write
    await Promise.all([a.exited, new Promise((r) => redis.process.once('exit', r))]);
    redis = await startRedis({ dir: redisDir });
    redises.push(redis);
    const b = track(zkinfer(serveArgs.map((x, i) => (serveArgs[i - 1] === '--redis' ? redis.url : x))));
    url = await serveUrl(b);
    client = new ZkinferClient({ url });
    const again = await client.inference(proved.id);
    expect(again.receipt).toEqual(proved.receipt);
    for (const q of queued) expect((await client.inference(q.id)).status).toBe('queued');
    track(await startWorkerProcess(redis.url, url));
    for (const q of queued) await expectVerified(await client.waitForReceipt(q.id, { timeoutSeconds: 60 }), q);
  });

  it('zkinfer serve runs its own redis-server and local worker, and stops them on exit', async () => {
    const data = tempDir('zkinfer-serve-data-');
    const s = track(zkinfer(['serve', '--data', data, '--workers', '1', '--port', '0', '--model', dir]));
    const url = await serveUrl(s);
    expect(await s.waitFor(/^redis\s/)).toMatch(/embedded, .*redis\.sock \(append-only\)/);
    const client = new ZkinferClient({ url });
    const inf = await client.infer(modelId, input(2), { waitSeconds: 60 });
    await expectVerified(inf, inf);
    // the local worker proves at the lowest priority: answers come first
    const children = readFileSync(`/proc/${s.child.pid}/task/${s.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const workers = children.filter((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').includes('worker'));
    expect(workers.map((w) => os.getPriority(w))).toEqual([LOCAL_WORKER_NICE]);
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(existsSync(path.join(data, 'redis', 'appendonlydir'))).toBe(true);
    expect(existsSync(path.join(data, 'redis', 'redis.sock'))).toBe(false); // redis-server removed its socket on shutdown
  });

  it('without redis-server, serve says how to install it and exits 2', async () => {
    const s = zkinfer(['serve', '--data', tempDir('zkinfer-serve-data-'), '--port', '0'], { REDIS_SERVER: '/nonexistent/redis-server' });
    expect(await s.exited).toBe(2);
    expect(s.stderr().trim()).toMatch(/^error\[service\]: redis-server not found .*apt-get install redis-server/);
  });
});
