/**
 * What a segmented model costs the proving service: the tiny MLP of test/segments.test.ts as one circuit and
 * in 3 segments, served with an embedded Redis and 2 `zkinfer worker` processes; bursts of N inferences,
 * alternating (one circuit, segmented, twice). Per inference: Redis commands and Redis CPU (INFO
 * commandstats, everything the server, workers and event stream ran, ÷ N), and time from 202 to receipt.
 *
 *   node --import tsx scripts/serve-segments.ts [N]     (default 12; numbers for docs/scaling.md)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { compileModel } from '../src/compile.js';
import { setupKeys } from '../src/setup.js';
import { compileSegmented, setupSegments } from '../src/compose/compile.js';
import { createServer } from '../src/serve/server.js';
import { redisOptions, startRedis } from '../src/serve/redis.js';
import { ZkinferClient } from '../src/serve/client.js';
import { tinyMlp } from '../test/helpers/tiny-mlp.js';

const N = Number(process.argv[2] ?? 12);
const work = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-serve-seg-bench-'));
const modelPath = tinyMlp(work, 1); // the model of test/segments.test.ts
const one = path.join(work, 'one');
const seg = path.join(work, 'seg');
await compileModel({ modelPath, outDir: one });
await setupKeys({ dir: one });
await compileSegmented({ modelPath, outDir: seg, segments: 3 });
await setupSegments({ dir: seg });

const redis = await startRedis({ dir: path.join(work, 'redis') });
const server = await createServer({ redis: redis.url });
const url = await server.listen({ port: 0 });
const models = { one: (await server.registerModel(one)).id, seg: (await server.registerModel(seg)).id };
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'zkinfer.js');
const workers = [0, 1].map((i) => spawn(process.execPath, [bin, 'worker', '--redis', redis.url, '--server', url, '--cache', path.join(work, `cache${i}`)], { stdio: ['ignore', 'ignore', 'pipe'] }));
await Promise.all(workers.map((c) => new Promise<void>((r) => c.stderr!.on('data', (b: Buffer) => /ready \(lock/.test(b.toString()) && r()))));
const r = new Redis(redisOptions(redis.url));
const stats = async () => {
  const n = { calls: 0, usec: 0 };
  for (const m of (await r.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) if (m[1] !== 'info') (n.calls += Number(m[2]), (n.usec += Number(m[3])));
  return n;
};
const client = new ZkinferClient({ url });
const input = (i: number) => ({ input: [[((i % 7) - 3) / 4, 0.5, -0.25, ((i % 5) - 2) / 3]] });
// warm: each worker has fetched and loaded every circuit before anything is measured
for (const id of [models.one, models.seg, models.one, models.seg]) await client.waitForReceipt((await client.infer(id, input(0))).id);

const rows: string[] = [];
for (const round of [1, 2]) {
  for (const kind of ['one', 'seg'] as const) {
    const s0 = await stats();
    const t0 = performance.now();
    const accepted = await Promise.all(Array.from({ length: N }, (_, i) => client.infer(models[kind], input(i + round))));
    const done = await Promise.all(accepted.map((a) => client.waitForReceipt(a.id, { timeoutSeconds: 600 })));
    const wall = (performance.now() - t0) / 1000;
    const s1 = await stats();
    const total = done.map((d) => d.timings.totalSeconds!).sort((a, b) => a - b);
    rows.push(`| ${kind === 'one' ? 'one circuit' : '3 segments'} (round ${round}) | ${N} | ${wall.toFixed(1)} | ${total[Math.floor(N / 2)]!.toFixed(2)} | ${((s1.calls - s0.calls) / N).toFixed(0)} | ${((s1.usec - s0.usec) / N / 1000).toFixed(2)} |`);
    console.error(rows[rows.length - 1]);
  }
}
console.log(`tiny MLP, 2 workers, bursts of ${N} inferences (load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}):\n`);
console.log('| model | inferences | burst s | 202 → receipt p50 s | Redis commands per inference | Redis CPU ms per inference |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
for (const c of workers) c.kill('SIGTERM');
await Promise.all(workers.map((c) => new Promise((res) => c.once('exit', res))));
r.disconnect();
await server.close();
await redis.stop();
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
