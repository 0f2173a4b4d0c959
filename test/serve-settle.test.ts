/**
 * Settlement on chain (opt-in): the service registers its model in a ZkinferRegistry on a local node and
 * submits every proved receipt; the inference shows the transaction and its InferenceVerified event.
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
import { deployRegistry, queryInferences } from '../src/chain/registry.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { DEV_KEYS, useLocalChain } from './helpers/evm.js';
import { MLP_INPUTS, buildMlp, testRedis } from './helpers/serve.js';
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

afterAll(async () => {
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
});
