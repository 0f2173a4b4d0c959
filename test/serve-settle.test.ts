/**
 * Settlement on chain (opt-in): the service registers its model in a ZkinferRegistry on a local node and
 * submits every proved receipt; the inference shows the transaction and its InferenceVerified event. A server
 * that starts settles what was proved while no settling server ran, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { createServer } from '../src/serve/server.js';
import type { ProvingServer } from '../src/serve/server.js';
import { startWorker } from '../src/serve/worker.js';
import type { ProvingWorker } from '../src/serve/worker.js';
import { ZkinferClient } from '../src/serve/client.js';
import type { EmbeddedRedis } from '../src/serve/redis.js';
import { deployRegistry, queryInferences, trustedVerifier } from '../src/chain/registry.js';
import type { SegmentedReceipt } from '../src/compose/receipt.js';
import { buildTinySegmented } from './helpers/tiny-mlp.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { DEV_KEYS, useLocalChain } from './helpers/evm.js';
import { MLP_INPUTS, buildMlp, startWorkerProcess, testRedis } from './helpers/serve.js';
import type { Proc } from './helpers/serve.js';
import { tempDir } from './helpers/pipeline.js';

const ctx = useLocalChain();
let dir: string;
let redis: EmbeddedRedis;
let server: ProvingServer;
let worker: ProvingWorker;
let registry: string;
let url: string;

beforeAll(async () => {
  dir = await buildMlp();
  registry = (await deployRegistry({ chain: ctx.chain, wallet: ctx.wallet })).address;
  redis = await testRedis();
  server = await createServer({ redis: redis.url, models: [dir], settle: { chain: ctx.chain, wallet: new Wallet(DEV_KEYS[1], ctx.chain.provider), registry } });
  url = await server.listen({ port: 0 });
  worker = await startWorker({ redis: redis.url, server: url, cacheDir: tempDir('zkinfer-wcache-') });
});

const extra: { stop(): Promise<unknown> }[] = [];

afterAll(async () => {
  for (const x of extra.reverse()) await x.stop();
  await worker?.close();
  await server?.close();
  await redis?.stop();
});

describe('proving service settlement', () => {
  it('submits each proved receipt to the registry; the inference shows the transaction and its InferenceVerified event', async () => {
    const client = new ZkinferClient({ url });
    const modelId = modelIdOf(readCompiled(dir).model);
    const inf = await client.infer(modelId, JSON.parse(readFileSync(MLP_INPUTS[1]!, 'utf8')) as { input: number[][] }, { waitSeconds: 120 });
    expect(inf.status).toBe('proved');
    let v = await client.inference(inf.id);
    for (let i = 0; i < 300 && !v.settlement; i++) {
      await new Promise((r) => setTimeout(r, 100));
      v = await client.inference(inf.id);
    }
    expect(v.settlement?.error).toBeUndefined();
    expect(v.settlement!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(v.settlement!.event!.modelId).toBe(`0x${modelId}`);
    const events = await queryInferences({ chain: ctx.chain, registry, verifier: v.settlement!.event!.verifier });
    expect(events.map((e) => e.txHash)).toEqual([v.settlement!.txHash]);
  });

  it('catch-up: inferences proved while no settling server ran are settled when one starts, and only once', async () => {
    const r2 = await testRedis();
    extra.push(r2);
    const modelId = modelIdOf(readCompiled(dir).model);
    const settle = { chain: ctx.chain, wallet: new Wallet(DEV_KEYS[1], ctx.chain.provider), registry };
    // a serve without settlement proves two inferences (or: the settling server was down when they were proved)
    const plain = await createServer({ redis: r2.url, models: [dir] });
    const plainUrl = await plain.listen({ port: 0 });
    const w: Proc = await startWorkerProcess(r2.url, plainUrl);
    extra.push(w);
    const client = new ZkinferClient({ url: plainUrl });
    const proved = [];
    for (const i of [2, 3]) proved.push(await client.infer(modelId, JSON.parse(readFileSync(MLP_INPUTS[i]!, 'utf8')) as { input: number[][] }, { waitSeconds: 120 }));
    expect(proved.map((p) => p.status)).toEqual(['proved', 'proved']);
    expect(proved.every((p) => !p.settlement)).toBe(true);
    await plain.close();

    // the settling server starts on the same Redis and catches up
    const a = await createServer({ redis: r2.url, models: [dir], settle });
    expect(await a.caughtUp).toBe(2);
    const aUrl = await a.listen({ port: 0 });
    const views = await Promise.all(proved.map((p) => new ZkinferClient({ url: aUrl }).inference(p.id)));
    for (const v of views) {
      expect(v.settlement?.error).toBeUndefined();
      expect(v.settlement!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    }
    await a.close();
    // restarted again: nothing is settled twice
    const b = await createServer({ redis: r2.url, models: [dir], settle });
    expect(await b.caughtUp).toBe(0);
    await b.close();
    const events = await queryInferences({ chain: ctx.chain, registry, verifier: views[0]!.settlement!.event!.verifier });
    for (const v of views) expect(events.filter((e) => e.txHash === v.settlement!.txHash)).toHaveLength(1);
    expect(new Set(events.map((e) => e.txHash)).size).toBe(events.length);
  });

  it('a segmented model: its verifier is registered, the assembled receipt settles through submitSegments', async () => {
    const { dir: seg } = await buildTinySegmented(1, tempDir('zkinfer-settle-seg-')); // shared with test/serve-segments.test.ts
    const entry = await server.registerModel(seg);
    const client = new ZkinferClient({ url });
    const inf = await client.infer(entry.id, { input: [[0.25, 0.5, -0.5, 0]] }, { waitSeconds: 120 });
    expect(inf.status).toBe('proved');
    expect((inf.receipt as SegmentedReceipt).segments).toHaveLength(3);
    let v = await client.inference(inf.id);
    for (let i = 0; i < 300 && !v.settlement; i++) {
      await new Promise((r) => setTimeout(r, 100));
      v = await client.inference(inf.id);
    }
    expect(v.settlement?.error).toBeUndefined();
    expect(v.settlement!.event).toMatchObject({ modelId: `0x${entry.id}`, verifier: (await trustedVerifier({ dir: seg, chain: ctx.chain, registry })).verifier });
  });
});
