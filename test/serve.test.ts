/**
 * The proving service with real components: a real redis-server, the Fastify server, BullMQ workers
 * (in process and as `zkinfer worker` processes), real Groth16 proofs of the bundled MLP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { createServer } from '../src/serve/server.js';
import type { ProvingServer } from '../src/serve/server.js';
import { startWorker } from '../src/serve/worker.js';
import type { ProvingWorker } from '../src/serve/worker.js';
import { ZkinferClient, ZkinferServiceError } from '../src/serve/client.js';
import { attestationSigner } from '../src/serve/attest.js';
import type { InferenceView } from '../src/serve/jobs.js';
import type { EmbeddedRedis } from '../src/serve/redis.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { MLP_INPUTS, buildMlp, json, startWorkerProcess, testRedis } from './helpers/serve.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';

const input = (i = 0) => JSON.parse(readFileSync(MLP_INPUTS[i]!, 'utf8')) as { input: number[][] };
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

let dir: string;
let modelId: string;
let redis: EmbeddedRedis;
let server: ProvingServer;
let url: string;
let worker: ProvingWorker;
const signer = Wallet.createRandom();

beforeAll(async () => {
  dir = await buildMlp();
  modelId = modelIdOf(readCompiled(dir).model);
  redis = await testRedis();
  server = await createServer({ redis: redis.url, signer, models: [dir], apiKey: 'test-api-key', workerKey: 'test-worker-key', bodyLimit: 64 * 1024, cors: '*' });
  url = await server.listen({ port: 0 });
  worker = await startWorker({ redis: redis.url, server: url, workerKey: 'test-worker-key', cacheDir: tempDir('zkinfer-wcache-') });
});

afterAll(async () => {
  await worker?.close();
  await server?.close();
  await redis?.stop();
  await terminateCurve();
});

const auth = { authorization: 'Bearer test-api-key' };

describe('proving service API', () => {
  it('answers at once with the outputs and a signed attestation, then proves exactly those outputs', async () => {
    const client = new ZkinferClient({ url, apiKey: 'test-api-key' });
    const [m] = await client.models();
    expect(m!.id).toBe(modelId);
    expect(m!.constraints).toBeGreaterThan(1000);
    expect(m!.predictedProveSeconds).toBeGreaterThan(0);
    const t = performance.now();
    const inf = await client.infer(modelId, input(1));
    expect(performance.now() - t).toBeLessThan(2000);
    expect(inf.status).toBe('queued');
    expect(inf.id).toMatch(/^[0-9a-f]{32}$/);
    expect(attestationSigner(inf.attestation)).toBe(signer.address);
    expect(inf.attestation).toMatchObject({ id: inf.id, modelId, vkHash: JSON.parse(readFileSync(path.join(dir, 'setup.json'), 'utf8')).vkHash });
    // a forged attestation (other outputs hash) does not recover to the signer
    expect(attestationSigner({ ...inf.attestation, outputsHash: '0'.repeat(64) })).toBeUndefined();
    const done = await client.waitForReceipt(inf.id, { timeoutSeconds: 120 });
    expect(done.status).toBe('proved');
    expect(done.receipt.outputs).toEqual(inf.outputs); // bit for bit what was answered at once
    const v = await verifyReceipt({ receipt: done.receipt });
    expect(v.ok, v.failed?.detail).toBe(true);
    expect(done.timings.queueSeconds).toBeGreaterThanOrEqual(0);
    expect(done.timings.proveSeconds).toBeGreaterThan(0);
  });

  it('?wait blocks until the receipt; Idempotency-Key returns the same inference, never a second proof', async () => {
    const first = await post(`${url}/v1/models/${modelId}/inferences?wait=60`, input(2), { ...auth, 'idempotency-key': 'k-1' });
    expect(first.status).toBe(200);
    const a = await json<InferenceView>(first);
    expect(a.status).toBe('proved');
    const again = await json<InferenceView>(await post(`${url}/v1/models/${modelId}/inferences`, input(2), { ...auth, 'idempotency-key': 'k-1' }));
    expect(again.id).toBe(a.id);
    expect(again.receipt).toEqual(a.receipt);
    const job = await server.queue.getJob(a.id);
    expect(job!.attemptsMade).toBe(1);
    const other = await post(`${url}/v1/models/${modelId}/inferences`, input(3), { ...auth, 'idempotency-key': 'k-1' });
    expect(other.status).toBe(409);
  });

  it('streams status changes as Server-Sent Events until proved', async () => {
    const accepted = await post(`${url}/v1/models/${modelId}/inferences`, input(0), auth);
    // the 202 says where its time went (Server-Timing, ms): parsing, the integer program, the signature, the add to Redis
    const timing = Object.fromEntries([...accepted.headers.get('server-timing')!.matchAll(/(\w+);dur=([\d.]+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.keys(timing)).toEqual(['parse', 'answer', 'sign', 'queue', 'total']);
    expect(timing.queue).toBeGreaterThan(0);
    expect(timing.parse! + timing.answer! + timing.sign! + timing.queue!).toBeLessThanOrEqual(timing.total! + 0.05);
    const inf = await json<InferenceView>(accepted);
    const res = await fetch(`${url}/v1/inferences/${inf.id}/events`);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text(); // the server ends the stream once proved
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as InferenceView).status);
    expect(statuses.at(-1)).toBe('proved');
    expect(new Set(statuses).size).toBe(statuses.length);
  });

  it('refuses bad requests with the CLI error text and the right status', async () => {
    const base = `${url}/v1/models/${modelId}/inferences`;
    const malformed = await post(base, '{"input": [[1, 2', auth);
    expect(malformed.status).toBe(400);
    expect((await json<{ error: string }>(malformed)).error).toMatch(/^error\[request\]: body is not valid JSON/);
    const short = await post(base, { input: [[1, 2, 3]] }, auth);
    expect(short.status).toBe(400);
    expect((await json<{ error: string }>(short)).error).toMatch(/^error\[input\]: request body: input 'pixels' has 3 values .*expected 784/);
    const outOfRange = await post(base, { input: [Array.from({ length: 784 }, (_, i) => (i === 5 ? 300 : 0))] }, auth);
    expect(outOfRange.status).toBe(400);
    expect((await json<{ error: string }>(outOfRange)).error).toMatch(/^error\[input\]: .*pixels.*\[5\]/);
    const unknown = await post(`${url}/v1/models/${'ab'.repeat(32)}/inferences`, input(), auth);
    expect(unknown.status).toBe(404);
    const big = await post(base, { input: [Array.from({ length: 20_000 }, () => 123.456)] }, auth);
    expect(big.status).toBe(413);
    expect((await json<{ error: string }>(big)).error).toMatch(/^error\[too-large\]/);
    expect((await post(base, input())).status).toBe(401);
    expect((await post(base, input(), { authorization: 'Bearer wrong' })).status).toBe(401);
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'ABCDEF0123456789abcdef0123456789', '0'.repeat(31)]) {
      const r = await fetch(`${url}/v1/inferences/${bad}`);
      expect(r.status, bad).toBe(400);
    }
    expect((await fetch(`${url}/v1/inferences/${'0'.repeat(32)}`)).status).toBe(404);
  });

  it('serves artifacts by content hash to workers only', async () => {
    const zkey = readFileSync(path.join(dir, 'circuit.zkey'));
    const sha = createHash('sha256').update(zkey).digest('hex');
    expect((await fetch(`${url}/v1/artifacts/${sha}`)).status).toBe(401);
    const ok = await fetch(`${url}/v1/artifacts/${sha}`, { headers: { authorization: 'Bearer test-worker-key' } });
    expect(ok.status).toBe(200);
    expect(createHash('sha256').update(new Uint8Array(await ok.arrayBuffer())).digest('hex')).toBe(sha);
    expect((await fetch(`${url}/v1/artifacts/${'0'.repeat(64)}`, { headers: { authorization: 'Bearer test-worker-key' } })).status).toBe(404);
    expect((await fetch(`${url}/v1/artifacts/..%2Fcompiled.json`, { headers: { authorization: 'Bearer test-worker-key' } })).status).toBe(400);
  });

  it('publishes an OpenAPI document, health and Prometheus metrics', async () => {
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(await fetch(`${url}/v1/openapi.json`));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/models', '/v1/models/{id}/inferences', '/v1/inferences/{id}', '/v1/inferences/{id}/events', '/v1/artifacts/{sha256}']));
    expect(await json(await fetch(`${url}/healthz`))).toMatchObject({ ok: true, signer: signer.address });
    const preflight = await fetch(`${url}/v1/models/${modelId}/inferences`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect((await fetch(`${url}/v1/models`)).headers.get('access-control-allow-origin')).toBe('*');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^zkinfer_jobs\{state="completed"\} [1-9]/m);
    expect(metrics).toMatch(/^zkinfer_workers_alive 1$/m);
    expect(metrics).toMatch(/^zkinfer_proof_seconds_count\{model="[0-9a-f]{16}"\} [1-9]/m);
  });

  it('a job that cannot succeed (corrupt artifact on the server, fetched twice) ends failed with the reason at once', async () => {
    await worker.close(); // its cache holds good copies; a fresh worker must fetch
    const zkeyPath = path.join(dir, 'circuit.zkey');
    const good = readFileSync(zkeyPath);
    const bad = Buffer.from(good);
    bad[bad.length - 100]! ^= 0xff;
    writeFileSync(zkeyPath, bad);
    try {
      worker = await startWorker({ redis: redis.url, server: url, workerKey: 'test-worker-key', cacheDir: tempDir('zkinfer-wcache-') });
      const client = new ZkinferClient({ url, apiKey: 'test-api-key' });
      const inf = await client.infer(modelId, input(1));
      const err = await client.waitForReceipt(inf.id, { timeoutSeconds: 60 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZkinferServiceError);
      const v = await client.inference(inf.id);
      expect(v.status).toBe('failed');
      expect(v.error).toMatch(/circuit\.zkey: content hash .* is not the registered/);
      expect(v.attempts).toBe(1); // the server's file itself: no retry will change it
    } finally {
      writeFileSync(zkeyPath, good);
    }
  });
});
