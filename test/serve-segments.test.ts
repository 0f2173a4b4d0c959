/**
 * Segmented models on the proving service, with a real Redis and real worker processes: an inference is
 * answered at once, its segments are proven as separate jobs by any workers, the segmented receipt is
 * assembled once when the last lands, and a worker killed mid-segment loses only that segment's job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readSegmentKeys } from '../src/compose/compile.js';
import type { SegmentedReceipt } from '../src/compose/receipt.js';
import { createServer } from '../src/serve/server.js';
import type { ProvingServer } from '../src/serve/server.js';
import { ZkinferClient } from '../src/serve/client.js';
import type { InferenceView } from '../src/serve/jobs.js';
import type { EmbeddedRedis } from '../src/serve/redis.js';
import { verifySegmentedReceipt } from '../src/verify/segmented.js';
import { trustedSegments } from '../src/cli/commands/segments.js';
import { evaluate } from '../src/quantize/program.js';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { buildTinySegmented } from './helpers/tiny-mlp.js';
import { segmentedReceiptSchemaValidator } from './helpers/schema.js';
import { json, startWorkerProcess, testRedis } from './helpers/serve.js';
import type { Proc } from './helpers/serve.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';

let model: string;
let dir: string;
let redis: EmbeddedRedis;
let server: ProvingServer;
let url: string;
let workers: Proc[] = [];
let modelId: string;
let keysHash: string;

beforeAll(async () => {
  ({ model, dir } = await buildTinySegmented(1, tempDir('zkinfer-serve-seg-'))); // shared with test/segments.test.ts
  keysHash = readSegmentKeys(dir).keysHash;
  redis = await testRedis();
  server = await createServer({ redis: redis.url });
  url = await server.listen({ port: 0 });
  // a short job lock: a killed worker's segment is taken again within seconds
  workers = await Promise.all([0, 1].map(() => startWorkerProcess(redis.url, url, ['--lock-seconds', '2'])));
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await server?.close();
  await redis?.stop();
  await terminateCurve();
});

const x = (xs: number[]) => ({ input: [xs] });
async function expectVerified(v: InferenceView, answered: InferenceView) {
  expect(v.status).toBe('proved');
  const r = v.receipt as SegmentedReceipt;
  expect(r.format).toBe('zkinfer.segmented-receipt/1');
  expect(r.segments).toHaveLength(3);
  expect(r.outputs).toEqual(answered.outputs);
  const conforms = segmentedReceiptSchemaValidator();
  expect(conforms(r), JSON.stringify(conforms.errors)).toBe(true);
  const ok = await verifySegmentedReceipt({ receipt: r, opening: v.opening, trusted: trustedSegments(dir) }); // what `zkinfer verify --dir` runs
  expect(ok.verdict, ok.failed?.detail).toBe('verified');
}

describe('segmented models on the proving service', () => {
  it('registers a segmented directory, answers at once, proves the segments as jobs on both workers and assembles one receipt', async () => {
    const reg = await fetch(`${url}/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir }) });
    expect(reg.status).toBe(201);
    const entry = await json<{ id: string; vkHash: string; segments: number }>(reg);
    expect(entry).toMatchObject({ vkHash: keysHash, segments: 3 });
    modelId = entry.id;
    const client = new ZkinferClient({ url });
    const xs = [0.5, -0.25, 0.75, -1];
    const inf = await client.infer(modelId, x(xs));
    expect(inf.status).toBe('queued');
    expect(inf.attestation.vkHash).toBe(keysHash);
    // the answer is the integer program's, through all segments
    const q = quantizeModel({ modelPath: model }, readModelFile(model), []);
    const ints = evaluate(q.program, [xs.map((v) => BigInt(Math.round(v * 2 ** q.program.inputs[0]!.scale)))]).outputs[0]!;
    expect(inf.outputs[0]!.integers).toEqual(ints.map(String));
    const early = await client.inference(inf.id);
    expect(early.segments!.map((s) => s.index)).toEqual([0, 1, 2]);
    const done = await client.waitForReceipt(inf.id, { timeoutSeconds: 120 });
    await expectVerified(done, inf);
    expect(done.segments!.map((s) => s.status)).toEqual(['proved', 'proved', 'proved']);
    expect(Date.parse(done.timings.startedAt!)).toBe(Math.min(...done.segments!.map((s) => Date.parse(s.startedAt!)))); // started with its first segment
    const by = new Set(done.segments!.map((s) => s.worker));
    const assembly = workers.map((w) => new RegExp(`job ${inf.id}: assembled 3 segment proofs \\((\\d+) ms\\)`).exec(w.stderr())?.[1]).find(Boolean);
    console.log(`segments proved by ${[...by].join(', ')}: ${done.segments!.map((s) => `${s.proveSeconds!.toFixed(2)} s`).join(', ')}; accepted → first segment ${done.timings.queueSeconds} s, → receipt ${done.timings.totalSeconds} s; assembly (3 proofs verified again) ${assembly} ms`);
    expect(by.size).toBe(2); // in parallel: both idle workers took segments
    expect(workers.map((w) => w.stderr().match(new RegExp(`job ${inf.id}: assembled`, 'g'))?.length ?? 0).reduce((a, b) => a + b)).toBe(1);
  }, 180_000);

  it('kill -9 of a worker mid-segment: only that segment is proven again, and the receipt is assembled once', async () => {
    const client = new ZkinferClient({ url });
    const inf = await client.infer(modelId, x([-0.5, 0.25, 0.125, 1]));
    const proving = new RegExp(`job ${inf.id}-s(\\d): proving`);
    const victim = await Promise.race(workers.map((w) => w.waitFor(proving).then(() => w)));
    victim.child.kill('SIGKILL');
    const seg = Number(proving.exec(victim.stderr())![1]);
    expect(await victim.exited).toBe(null);
    const survivor = workers.find((w) => w !== victim)!;
    const done = await client.waitForReceipt(inf.id, { timeoutSeconds: 120 });
    await expectVerified(done, inf);
    expect(victim.stderr()).not.toMatch(new RegExp(`job ${inf.id}-s${seg}: proved`));
    expect(survivor.stderr()).toMatch(new RegExp(`job ${inf.id}-s${seg}: proved`));
    expect(done.segments![seg]!.attempts).toBeGreaterThanOrEqual(2);
    expect(survivor.stderr().match(new RegExp(`job ${inf.id}: assembled`, 'g'))).toHaveLength(1);
    // two inferences: 2 parents and 6 segment jobs, all completed once
    expect(await server.queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'waiting-children')).toEqual({ completed: 8, failed: 0, active: 0, waiting: 0, 'waiting-children': 0 });
  }, 180_000);

  it('a segment that cannot be proved (its key corrupt on the server) fails the inference at once, naming the segment; the segments after it are skipped, not proved', async () => {
    await Promise.all(workers.map((w) => w.stop())); // their caches hold the good keys
    const zkey = path.join(dir, 'seg1', 'circuit.zkey');
    const fd = openSync(zkey, 'r+');
    writeSync(fd, Buffer.from('corrupt'), 0, 7, 100);
    closeSync(fd);
    workers = [await startWorkerProcess(redis.url, url)]; // an empty cache: fetches every segment's files
    const client = new ZkinferClient({ url });
    const inf = await client.infer(modelId, x([0.25, 0.5, -0.5, 0]));
    const t0 = Date.now();
    let v = await client.inference(inf.id, 60); // wakes when the segment fails
    const failedAfter = (Date.now() - t0) / 1000;
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(/^segment 2\/3: artifact circuit\.zkey: content hash [0-9a-f]+… is not the registered .*fetched twice/);
    expect(v.segments![1]!.attempts).toBe(1); // the server's file itself: no retry will change it
    expect(v.receipt).toBeUndefined();
    // one worker takes the segments in order: segment 1 was proved before segment 2 failed; segment 3 is then skipped
    const w = workers[0]!;
    await w.waitFor(new RegExp(`job ${inf.id}-s2: skipped`), 30_000);
    v = await client.inference(inf.id);
    expect(v.segments!.map((s) => s.status)).toEqual(['proved', 'failed', 'skipped']);
    expect(v.error).toMatch(/^segment 2\/3: /); // the failing segment, not the skipped one
    expect(await (await server.queue.getJob(inf.id))!.getState()).toBe('failed'); // the inference's own job too
    expect(w.stderr()).not.toMatch(new RegExp(`job ${inf.id}-s2: (proving|proved)`));
    console.log(`corrupt segment: inference failed ${failedAfter.toFixed(2)} s after it was accepted (1 worker, fresh cache)`);
  }, 180_000);
});
