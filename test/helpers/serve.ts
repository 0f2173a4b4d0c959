/**
 * The proving service's test rig: the bundled MLP compiled and set up once, a real redis-server on a Unix
 * socket in a temp dir (append-only on), and real `zkinfer worker` / `zkinfer serve` processes whose stderr
 * can be waited on.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileModel } from '../../src/compile.js';
import { setupKeys } from '../../src/setup.js';
import { startRedis } from '../../src/serve/redis.js';
import type { EmbeddedRedis } from '../../src/serve/redis.js';
import { ROOT } from './conformance.js';
import { tempDir, withDirLock } from './pipeline.js';

export const BIN = path.join(ROOT, 'bin', 'zkinfer.js');
export const MLP_INPUTS = ['input.json', 'inputs/digit-3.json', 'inputs/digit-4.json', 'inputs/digit-8.json'].map((f) => path.join(ROOT, 'models', 'mnist-mlp', f));

/**
 * The bundled MLP, compiled and set up (dev keys) into one temp dir shared by the serve test files of one
 * run (a lock directory makes them take turns), then copied into a dir of the caller's own (a test may corrupt it).
 */
export async function buildMlp(): Promise<string> {
  // one per test run (the forks of one vitest run share its pid): keys made by older code are never reused
  const shared = path.join(os.tmpdir(), `zkinfer-serve-mlp-${process.ppid}`);
  await withDirLock(`${shared}.lock`, async () => {
    await compileModel({ modelPath: path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx'), outDir: shared });
    await setupKeys({ dir: shared, cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
  });
  const dir = path.join(tempDir('zkinfer-serve-'), 'mlp');
  cpSync(shared, dir, { recursive: true });
  return dir;
}

/** A redis-server of the test's own (Unix socket in a temp dir, append-only on). */
export const testRedis = (dir = tempDir('zkinfer-redis-')): Promise<EmbeddedRedis> => startRedis({ dir });

export interface Proc {
  child: ChildProcess;
  /** stderr so far. */
  stderr(): string;
  /** Resolves with the first stderr line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  stdout(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Run `zkinfer ARGS` as a child process. */
export function zkinfer(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    for (const w of [...waiters]) {
      const m = err.split('\n').find((l) => w.re.test(l));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitFor(re, ms = 60_000) {
      const m = err.split('\n').find((l) => re.test(l));
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no stderr line matching ${re} within ${ms} ms; stderr:\n${err}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then((code) => reject(new Error(`exited (${code}) before a line matching ${re}; stderr:\n${err}`)));
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000); // a serve stops its workers and Redis first
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** A `zkinfer worker` process, resolved once it is ready. */
export async function startWorkerProcess(redisUrl: string, serverUrl: string, extra: string[] = []): Promise<Proc> {
  const p = zkinfer(['worker', '--redis', redisUrl, '--server', serverUrl, '--cache', tempDir('zkinfer-wcache-'), ...extra]);
  await p.waitFor(/: ready \(lock/);
  return p;
}

export const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;
