/**
 * Receipt retention (`serve --retain-receipts DAYS`), with a real `zkinfer serve` (embedded redis-server and
 * local worker): proved inferences leave Redis after the retention time for DATA/receipts, and the API —
 * reads, Idempotency-Key retries, a restarted serve — still answers them from there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ZkinferClient } from '../src/serve/client.js';
import { QUEUE_NAME } from '../src/serve/jobs.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { MLP_INPUTS, buildMlp, zkinfer } from './helpers/serve.js';
import type { Proc } from './helpers/serve.js';
import { tempDir } from './helpers/pipeline.js';

const input = (i: number) => JSON.parse(readFileSync(MLP_INPUTS[i]!, 'utf8')) as { input: number[][] };
let dir: string;
const procs: Proc[] = [];

beforeAll(async () => {
  dir = await buildMlp();
});
afterAll(async () => {
  for (const p of procs) await p.stop();
});

describe('receipt retention', () => {
  it('proved inferences move from Redis to DATA/receipts after the retention time and are still served, also after a restart', async () => {
    const data = tempDir('zkinfer-retain-');
    // 0.00003 days ≈ 2.6 s
    const args = ['serve', '--data', data, '--workers', '1', '--port', '0', '--retain-receipts', '0.00003', '--model', dir];
    let s = zkinfer(args);
    procs.push(s);
    const url = (await s.waitFor(/^serving\s+http/)).match(/http:\/\/[^\s]+/)![0];
    expect(await s.waitFor(/^receipts\s/)).toMatch(/in Redis for 0\.00003 day\(s\), then in .*receipts/);
    const client = new ZkinferClient({ url });
    const modelId = modelIdOf(readCompiled(dir).model);
    const proved = [await client.infer(modelId, input(1), { waitSeconds: 120, idempotencyKey: 'retain-1' }), await client.infer(modelId, input(2), { waitSeconds: 120 })];
    expect(proved.map((p) => p.status)).toEqual(['proved', 'proved']);

    const redis = new Redis({ path: path.join(data, 'redis', 'redis.sock') });
    try {
      const inRedis = async () => (await Promise.all(proved.map((p) => redis.exists(`bull:${QUEUE_NAME}:${p.id}`)))).reduce((a, b) => a + b, 0);
      expect(await inRedis()).toBe(2);
      for (let i = 0; i < 200 && (await inRedis()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await inRedis()).toBe(0);
      expect(await redis.zcard(`bull:${QUEUE_NAME}:completed`)).toBe(0);
      for (const p of proved) expect(existsSync(path.join(data, 'receipts', p.id.slice(0, 2), `${p.id}.json`))).toBe(true);

      for (const p of proved) {
        const v = await client.inference(p.id);
        expect(v.status).toBe('proved');
        expect(v.receipt).toEqual(p.receipt);
        expect(v.attestation).toEqual(p.attestation);
        expect((await verifyReceipt({ receipt: v.receipt! })).ok).toBe(true);
      }
      // a retry with the same Idempotency-Key: the archived inference, no second proof
      const again = await client.infer(modelId, input(1), { idempotencyKey: 'retain-1' });
      expect(again.id).toBe(proved[0]!.id);
      expect(again.status).toBe('proved');
      expect(await redis.exists(`bull:${QUEUE_NAME}:${proved[0]!.id}`)).toBe(0);
    } finally {
      redis.disconnect();
    }

    expect(await s.stop('SIGTERM')).toBe(0);
    s = zkinfer(args);
    procs.push(s);
    const url2 = (await s.waitFor(/^serving\s+http/)).match(/http:\/\/[^\s]+/)![0];
    const after = await new ZkinferClient({ url: url2 }).inference(proved[1]!.id);
    expect(after.receipt).toEqual(proved[1]!.receipt);
  });
});
