/**
 * `zkinfer serve`: the proving service on one machine (HTTP server, embedded redis-server, local workers)
 * or on a shared Redis; `zkinfer worker`: a proving worker on any machine. Both import src/serve lazily.
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, ServiceError } from '../../errors.js';
import { emit, log, say } from '../output.js';
import { parseIntOpt } from '../options.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Scheduling priority of the workers `serve` starts on its own machine: answers come first. */
export const LOCAL_WORKER_NICE = 19;

/** A secret given as env:VAR or a file holding it. */
export function readSecret(spec: string, flag: string): string {
  let v: string | undefined;
  if (spec.startsWith('env:')) {
    v = process.env[spec.slice(4)];
    if (!v) throw new InputError(`${flag}: environment variable ${spec.slice(4)} is not set or empty`, { hint: `export ${spec.slice(4)}=… or give a file` });
  } else {
    if (!existsSync(spec)) throw new InputError(`${flag} '${spec}': expected env:VAR or a file holding the key`);
    v = readFileSync(spec, 'utf8').trim();
  }
  if (v.length < 8) throw new InputError(`${flag}: the key is shorter than 8 characters`);
  return v;
}

/** The service's attestation key: given, or generated once into the data directory. */
async function signerFor(spec: string | undefined, data: string) {
  const { loadSigningKey } = await import('../../prove/sign.js');
  if (spec) return loadSigningKey(spec);
  const file = path.join(data, 'signer.key');
  if (!existsSync(file)) {
    writeFileSync(file, `0x${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return loadSigningKey(file);
}

interface ServeOpts {
  port: number; host: string; data: string; redis?: string; model: string[]; workers?: number;
  apiKey?: string; adminKey?: string; workerKey?: string; signKey?: string; bodyLimit: number; maxQueued: number; cors?: string; settleRegistry?: string; rpc?: string; key?: string;
  retainReceipts?: number;
}

const parseDays = (s: string): number => {
  const v = Number(s);
  if (!Number.isFinite(v) || v <= 0) throw new InputError(`--retain-receipts '${s}': expected a positive number of days (fractions allowed)`);
  return v;
};

interface WorkerOpts { redis: string; server: string; workerKey?: string; cache?: string; lockSeconds?: number; nice?: number }

const waitForSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the proving service: answer inferences at once (outputs + signed attestation), prove them on BullMQ workers')
    .option('--port <n>', 'HTTP port (0: any free port)', parseIntOpt('--port', 0, 65535), 8080)
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--data <dir>', 'state: the embedded Redis (append-only), signer key, worker cache', '.zkinfer-serve')
    .option('--redis <url>', 'use this Redis (shared with workers elsewhere) instead of starting redis-server')
    .option('--model <dir>', 'register an artifact directory (after compile and setup); repeat for more', collect, [])
    .option('--workers <n>', 'local worker processes (default 1 with the embedded Redis, 0 with --redis)', parseIntOpt('--workers', 0, 64))
    .option('--api-key <key>', 'require Authorization: Bearer <key> on every mutating endpoint: env:VAR or a file')
    .option('--admin-key <key>', 'key for POST /v1/models (default: the API key): env:VAR or a file')
    .option('--worker-key <key>', 'key workers present to fetch artifacts (default: generated for the local workers): env:VAR or a file')
    .option('--sign-key <key>', 'Ethereum key that signs attestations: a file or env:VAR (default: DATA/signer.key, generated once)')
    .option('--body-limit <bytes>', 'largest request body (413 above)', parseIntOpt('--body-limit', 1024, 1 << 30), 1 << 20)
    .option('--settle-registry <addr>', 'submit every proved receipt to this ZkinferRegistry (needs --rpc, --key)')
    .option('--rpc <url>', 'JSON-RPC endpoint for --settle-registry')
    .option('--key <key>', 'transaction key for --settle-registry: a file or env:VAR (default env:ZKINFER_PRIVATE_KEY)')
    .option('--cors <origin>', 'let pages from this origin (or *) call the API from a browser')
    .option('--max-queued <n>', 'most inferences waiting for a worker (429 above)', parseIntOpt('--max-queued', 1, 1e9), 10_000)
    .option('--retain-receipts <days>', 'keep proved inferences in Redis this many days, then move them to DATA/receipts (default: in Redis forever)', parseDays)
    .addHelpText('after', `
Without --redis, redis-server (Debian package redis-server) runs as a child on DATA/redis/redis.sock with
append-only persistence, and stops with the service. With --retain-receipts DAYS, proved inferences older than
that leave Redis for DATA/receipts/ (fsynced first) and are still served from there. Workers elsewhere: zkinfer worker --redis URL --server URL.
API: GET /v1/openapi.json. Stop with Ctrl-C.`)
    .action(async (o: ServeOpts) => {
      const { startRedis, findRedisServer, REDIS_INSTALL_HINT } = await import('../../serve/redis.js');
      if (!o.redis && !findRedisServer()) throw new ServiceError('redis-server not found on PATH: without --redis, serve starts its own', { hint: REDIS_INSTALL_HINT });
      const { createServer } = await import('../../serve/server.js');
      const data = path.resolve(o.data);
      mkdirSync(data, { recursive: true, mode: 0o700 });
      const apiKey = o.apiKey ? readSecret(o.apiKey, '--api-key') : undefined;
      const adminKey = o.adminKey ? readSecret(o.adminKey, '--admin-key') : undefined;
      let workerKey = o.workerKey ? readSecret(o.workerKey, '--worker-key') : undefined;
      const signer = await signerFor(o.signKey, data);
      const embedded = o.redis ? undefined : await startRedis({ dir: path.join(data, 'redis') });
      const redisUrl = o.redis ?? embedded!.url;
      const nWorkers = o.workers ?? (o.redis ? 0 : 1);
      if (!workerKey && !o.redis) workerKey = randomBytes(24).toString('hex');
      const children = new Set<ChildProcess>();
      let stopping = false;
      let server: Awaited<ReturnType<typeof createServer>> | undefined;
      const stop = async () => {
        stopping = true;
        await Promise.all(
          [...children].map(
            (c) =>
              new Promise<void>((resolve) => {
                if (c.exitCode !== null || c.signalCode !== null) return resolve();
                const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
                c.once('exit', () => (clearTimeout(t), resolve()));
                c.kill('SIGTERM');
              }),
          ),
        );
        await server?.close().catch(() => {});
        await embedded?.stop();
      };
      let settle;
      if (o.settleRegistry) {
        if (!o.rpc) throw new InputError('--settle-registry needs --rpc URL');
        const { connectChain, loadSigner } = await import('../../chain/evm.js');
        const chain = await connectChain({ rpc: o.rpc });
        settle = { chain, wallet: loadSigner({ key: o.key, chain }), registry: o.settleRegistry };
      }
      try {
        server = await createServer({ redis: redisUrl, signer, apiKey, adminKey, workerKey, models: o.model, bodyLimit: o.bodyLimit, maxQueued: o.maxQueued, cors: o.cors, settle,
          ...(o.retainReceipts !== undefined ? { retainSeconds: o.retainReceipts * 86_400, archiveDir: path.join(data, 'receipts') } : {}) });
        const url = await server.listen({ port: o.port, host: o.host });
        const spawnWorker = (i: number): void => {
          const args = [...process.execArgv, process.argv[1]!, 'worker', '--redis', redisUrl, '--server', url, '--cache', path.join(data, 'cache'), '--nice', String(LOCAL_WORKER_NICE), ...(workerKey ? ['--worker-key', 'env:ZKINFER_WORKER_KEY'] : [])];
          const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...(workerKey ? { ZKINFER_WORKER_KEY: workerKey } : {}) } });
          children.add(c);
          c.once('exit', (code, sig) => {
            children.delete(c);
            if (stopping) return;
            log(`serve: worker ${i} (pid ${c.pid}) exited (${sig ?? code}); starting another`);
            setTimeout(() => !stopping && spawnWorker(i), 1000);
          });
        };
        for (let i = 0; i < nWorkers; i++) spawnWorker(i);
        const models = (await (await fetch(`${url}/v1/models`)).json()) as { models: { id: string; name: string; constraints: number; predictedProveSeconds?: number; segments?: number }[] };
        say(`serving     ${url} (API: ${url}/v1/openapi.json)`);
        say(`redis       ${embedded ? `embedded, ${embedded.socket} (append-only)` : redisUrl}`);
        if (o.retainReceipts !== undefined) say(`receipts    in Redis for ${o.retainReceipts} day(s), then in ${path.join(data, 'receipts')}`);
        say(`workers     ${nWorkers} local${o.redis ? '; more: zkinfer worker --redis URL --server URL' : ''}`);
        say(`signer      ${server.signer} (attestations)`);
        for (const m of models.models) say(`model       ${m.id} ${m.name}, ${m.constraints} constraints${m.segments ? ` in ${m.segments} segments (one job each)` : ''}${m.predictedProveSeconds !== undefined ? `, ~${m.predictedProveSeconds.toFixed(2)} s per proof${m.segments ? ' (slowest segment)' : ''}` : ''}`);
        say('            Ctrl-C to stop');
        emit({ url, redis: embedded ? embedded.url : redisUrl, signer: server.signer, workers: nWorkers, models: models.models });
        await waitForSignal();
        log('serve: stopping');
      } finally {
        await stop();
      }
    });

  program
    .command('worker')
    .description('a proving worker: takes proof jobs from Redis, fetches artifacts from the server by content hash, proves')
    .requiredOption('--redis <url>', 'the Redis the server uses (redis://host:port, unix:///path.sock)')
    .requiredOption('--server <url>', "the server's base URL (artifacts)")
    .option('--worker-key <key>', "the server's worker key: env:VAR or a file")
    .option('--cache <dir>', 'artifact cache (default ~/.cache/zkinfer/worker)')
    .option('--lock-seconds <s>', 'job lock (default from the registered models\' predicted proof time)', parseIntOpt('--lock-seconds', 1, 86400))
    .option('--nice <n>', `run at this scheduling priority (0-19; serve gives its local workers ${LOCAL_WORKER_NICE}, so answers come first)`, parseIntOpt('--nice', 0, 19))
    .action(async (o: WorkerOpts) => {
      // before snarkjs starts its threads: they inherit the priority
      if (o.nice) os.setPriority(0, o.nice);
      const { startWorker } = await import('../../serve/worker.js');
      const workerKey = o.workerKey ? readSecret(o.workerKey, '--worker-key') : undefined;
      const w = await startWorker({ redis: o.redis, server: o.server, workerKey, cacheDir: o.cache, lockSeconds: o.lockSeconds, onLog: log });
      emit({ worker: w.name });
      await waitForSignal();
      log(`worker ${w.name}: stopping`);
      await w.close();
    });
}
