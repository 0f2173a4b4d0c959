/**
 * Redis for the proving service: connection options from a URL, and the embedded `redis-server` that
 * `zkinfer serve` runs as a child (Debian's package, found on PATH) on a Unix socket inside its data
 * directory, with append-only persistence fsynced on every write: a 202 is only sent after the job is on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ServiceError } from '../errors.js';

/**
 * ioredis options for `redis://[user:pass@]host:port[/db]`, `rediss://…`, `unix:///path/to.sock` or a bare
 * socket path. `maxRetriesPerRequest: null` is what BullMQ's blocking connections need.
 * @example new Redis(redisOptions('unix:///data/redis.sock'))
 */
export function redisOptions(url: string): RedisOptions {
  const base: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false };
  if (url.startsWith('/')) return { ...base, path: url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ServiceError(`--redis '${url}': not a URL`, { hint: 'use redis://host:6379 or unix:///path/to/redis.sock' });
  }
  if (u.protocol === 'unix:') return { ...base, path: decodeURIComponent(u.pathname) };
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ServiceError(`--redis '${url}': unsupported scheme ${u.protocol}`, { hint: 'use redis://, rediss:// or unix://' });
  return {
    ...base,
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The redis-server binary on PATH (or $REDIS_SERVER), or undefined. */
export function findRedisServer(): string | undefined {
  if (process.env.REDIS_SERVER) return existsSync(process.env.REDIS_SERVER) ? process.env.REDIS_SERVER : undefined;
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    const f = path.join(d, 'redis-server');
    if (d && existsSync(f)) return f;
  }
  for (const f of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(f)) return f;
  return undefined;
}

export const REDIS_INSTALL_HINT = 'install it: apt-get install redis-server (Debian/Ubuntu), brew install redis (macOS); or pass --redis URL of a running Redis';

export interface EmbeddedRedis {
  /** unix:///…/redis.sock */
  url: string;
  socket: string;
  process: ChildProcess;
  /** Shut down (the append-only file is complete on disk). */
  stop(): Promise<void>;
}

export interface StartRedisParams {
  /** Directory for the socket, the append-only files and the log. */
  dir: string;
  /** Listen on this TCP port of 127.0.0.1 too (default: socket only). */
  port?: number;
  /** fsync policy of the append-only file (default always: nothing acknowledged is lost on a crash). */
  appendfsync?: 'always' | 'everysec';
  /** Milliseconds to wait for readiness (default 10 s). */
  timeoutMs?: number;
}

/**
 * Start `redis-server` as a child process on a Unix socket in `dir`, persistence on (append-only file).
 * @example const redis = await startRedis({ dir: '.zkinfer-serve/redis' }); …; await redis.stop();
 */
export async function startRedis(params: StartRedisParams): Promise<EmbeddedRedis> {
  const bin = findRedisServer();
  if (!bin) throw new ServiceError('redis-server not found on PATH: the service keeps its queue in Redis', { hint: REDIS_INSTALL_HINT });
  const dir = path.resolve(params.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'redis.sock');
  if (Buffer.byteLength(socket) > 100) throw new ServiceError(`${socket}: too long for a Unix socket path (over 100 bytes)`, { hint: 'use a shorter --data directory' });
  const args = [
    '--port', String(params.port ?? 0), '--bind', '127.0.0.1',
    '--unixsocket', socket, '--unixsocketperm', '700',
    '--dir', dir, '--appendonly', 'yes', '--appendfsync', params.appendfsync ?? 'always', '--save', '',
    '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log'),
  ];
  const child = spawn(bin, args, { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (params.timeoutMs ?? 10_000);
  let ready = false;
  while (!ready && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(socket)) continue;
    const probe = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      // while an append-only file is replayed, commands fail with LOADING
      ready = (await probe.ping()) === 'PONG';
    } catch {
      /* not yet */
    } finally {
      probe.disconnect();
    }
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw new ServiceError(`redis-server did not start within ${(params.timeoutMs ?? 10_000) / 1000} s (log: ${path.join(dir, 'redis.log')})`);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM'); // redis-server finishes the append-only file and exits
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  return { url: `unix://${socket}`, socket, process: child, stop };
}

/** redis-server's version line, for `serve`'s banner (undefined when missing). */
export function redisServerVersion(): string | undefined {
  const bin = findRedisServer();
  if (!bin) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
