/**
 * `npm run bench:serve`: the proving service against its targets (issue 15), on the bundled MLP, with a real
 * redis-server (append-only, fsync always, as `serve` runs it), the server and workers as processes, and
 * autocannon as the load generator.
 *
 *   immediate answer   p50/p99 of POST /v1/models/<id>/inferences at 50 and 200 req/s while a worker proves
 *                      (target p99 ≤ 50 ms at 200 req/s); also with no worker, for reference
 *   throughput         proofs/min of one warm worker on a queued burst vs `prove-many` on the same model, same
 *                      run, alternating (prove-many, worker) twice (≥ 90%)
 *   queue overhead     accepted → proving starts, on an idle worker (≤ 100 ms); time to receipt p50/p99
 *   1 vs 2 workers     the same burst
 *   Redis operations   commands per proof job (INFO commandstats), for docs/scaling.md
 *
 * Writes bench/results/serve-<time>.json and, with --snapshot, bench/snapshot/SERVE.md and two SVG charts.
 */
import { closeSync, existsSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, redisOptions } from '../src/serve/redis.js';
import { QUEUE_NAME } from '../src/serve/jobs.js';
import type { ProofJobData, ProofJobResult } from '../src/serve/jobs.js';
import { ZkinferClient } from '../src/serve/client.js';
import { readCompiled } from '../src/setup.js';
import { modelIdOf } from '../src/receipt.js';
import { stackedBars } from '../src/bench/svg.js';
import { BIN, MLP_INPUTS, buildMlp, startWorkerProcess, zkinfer } from '../test/helpers/serve.js';
import type { Proc } from '../test/helpers/serve.js';
import { tempDir } from '../test/helpers/pipeline.js';
import { openLoop, percentile } from './load.js';
import { LOCAL_WORKER_NICE } from '../src/cli/commands/serve.js';
import type { OpenLoopResult } from './load.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const SNAPSHOT = args.includes('--snapshot');
const BURST = Number(args[args.indexOf('--burst') + 1]) || 12;
const SECONDS = Number(args[args.indexOf('--seconds') + 1]) || 10;

const pct = percentile;
const cpuBusy = (): { idle: number; total: number } => {
  const c = os.cpus().map((x) => x.times);
  const total = c.reduce((a, t) => a + t.user + t.nice + t.sys + t.idle + t.irq, 0);
  return { idle: c.reduce((a, t) => a + t.idle, 0), total };
};

async function main() {
  const log = (m: string) => process.stderr.write(`[bench:serve] ${m}\n`);
  const t0 = Date.now();
  const load0 = os.loadavg()[0]!;
  log(`building the bundled MLP (cached after the first run); load ${load0.toFixed(1)} on ${os.cpus().length} cores`);
  const dir = await buildMlp();
  const modelId = modelIdOf(readCompiled(dir).model);
  const body = readFileSync(MLP_INPUTS[0]!, 'utf8');
  const redisDir = tempDir('zkinfer-bench-redis-');
  const fsyncAtStart = fsyncLatency(redisDir);
  log(`fsync on the Redis disk: p50 ${fsyncAtStart.p50.toFixed(2)} ms, p99 ${fsyncAtStart.p99.toFixed(2)} ms`);
  const redis = await startRedis({ dir: redisDir });
  const conn = redisOptions(redis.url);
  const queue = new Queue<ProofJobData, ProofJobResult, string>(QUEUE_NAME, { connection: conn as ConnectionOptions });
  const r = new Redis(conn);
  await r.config('SET', 'latency-monitor-threshold', '1'); // Redis records each second's slowest fsync ≥ 1 ms
  const procs: Proc[] = [];
  const results: Record<string, unknown> = {};
  try {
    // prove-many: the baseline, same model, same run, in its own process; run again between the worker bursts
    const inputs = Array.from({ length: BURST }, (_, i) => MLP_INPUTS[i % MLP_INPUTS.length]!);
    /** proving: seconds inside witness + Groth16; the rest of `seconds` is per-proof overhead (receipt, self-check, queue). */
    const proveManyRuns: { proofs: number; seconds: number; load: number; proving: number }[] = [];
    const proveManyOnce = () => {
      log(`prove-many: ${BURST} proofs`);
      // at the local workers' nice like the workers below (as serve runs them): the same share of a busy machine
      const pm = spawnSync('nice', ['-n', String(LOCAL_WORKER_NICE), process.execPath, BIN, 'prove-many', dir, ...inputs.flatMap((f) => ['--input', f]), '--out-dir', tempDir('zkinfer-bench-pm-'), '--json'], { encoding: 'utf8' });
      if (pm.status !== 0) throw new Error(`prove-many failed: ${pm.stderr}`);
      const pmj = JSON.parse(pm.stdout) as { seconds: { load: number; total: number; proofs: { witness: number; prove: number }[] } };
      const proving = pmj.seconds.proofs.reduce((a, p) => a + p.witness + p.prove, 0);
      proveManyRuns.push({ proofs: BURST, seconds: pmj.seconds.total - pmj.seconds.load, load: pmj.seconds.load, proving });
      log(`prove-many: ${((60 * BURST) / proveManyRuns.at(-1)!.seconds).toFixed(1)} proofs/min (load excluded)`);
    };
    proveManyOnce();

    const server = zkinfer(['serve', '--redis', redis.url, '--workers', '0', '--port', '0', '--data', tempDir('zkinfer-bench-data-'), '--max-queued', '1000000', '--model', dir]);
    procs.push(server);
    const url = (await server.waitFor(/^serving\s+http/)).match(/http:\/\/[^\s]+/)![0];
    const client = new ZkinferClient({ url });
    const target = `${url}/v1/models/${modelId}/inferences`;
    // The load generator runs in this process (nice 0, as the server): on 2 cores it takes its share too (its CPU
    // per request is reported). Open loop (bench/load.ts): requests evenly spaced at the rate, latency from when
    // each was due. autocannon's overallRate sends each second's requests back to back at the start of the
    // second (50 at once at 200 req/s); one such row is kept for comparison with earlier snapshots.
    type Service = { server: Proc; url: string; target: string; redis: { process: { pid?: number } }; r: Redis };
    const main: Service = { server, url, target, redis, r };
    const hammer = async (rate: number, generator: 'open loop' | 'autocannon' = 'open loop', on: Service = main) => {
      const { server, target, redis, r } = on;
      const metricsText = async () => (await fetch(`${on.url}/metrics`)).text(); // also restarts the event-loop delay histogram
      const m0 = await metricsText();
      await r.call('LATENCY', 'RESET');
      const c0 = cpuBusy();
      const s0 = processCpuMs(server.child.pid!);
      const q0 = [server.child.pid!, redis.process.pid!].map(runQueueWaitMs);
      const g0 = process.cpuUsage();
      const headers = { 'content-type': 'application/json' };
      let res: { sent: number; achieved: number; p50: number; p90: number; p99: number; max: number; non2xx: number; errors: number; timings?: OpenLoopResult['timings']; maxSendLagMs?: number };
      if (generator === 'open loop') {
        res = await openLoop({ url: target, method: 'POST', headers, body, rate, seconds: SECONDS });
      } else {
        const a = await autocannon({ url: target, method: 'POST', headers, body, connections: Math.max(20, Math.ceil(rate / 4)), overallRate: rate, duration: SECONDS, timeout: 10 });
        res = { sent: a.requests.total, achieved: a.requests.total / SECONDS, ...a.latency, non2xx: a.non2xx, errors: a.errors + a.timeouts };
      }
      const g1 = process.cpuUsage(g0);
      const c1 = cpuBusy();
      const s1 = processCpuMs(server.child.pid!);
      const q1 = [server.child.pid!, redis.process.pid!].map(runQueueWaitMs);
      const m1 = await metricsText();
      const slowFsyncs = ((await r.call('LATENCY', 'HISTORY', 'aof-fsync-always')) as [number, number][]).map((x) => Number(x[1]));
      const n = Math.max(1, res.sent);
      return {
        rate, generator, achieved: res.achieved, p50: res.p50, p90: res.p90, p99: res.p99, max: res.max, non2xx: res.non2xx, errors: res.errors,
        cpuBusy: 1 - (c1.idle - c0.idle) / (c1.total - c0.total), serverCpuMs: (s1 - s0) / n, loadGenCpuMs: (g1.user + g1.system) / 1000 / n,
        ...(res.timings ? { breakdown: { ...breakdown(res.timings, m0, m1), maxSendLagMs: res.maxSendLagMs ?? 0, runQueueWaitMs: { server: (q1[0]! - q0[0]!) / n, redis: (q1[1]! - q0[1]!) / n }, slowFsyncs } } : {}),
      };
    };
    const drain = async () => {
      await queue.obliterate({ force: true });
    };
    // immediate answer, no worker (reference)
    const idleLatency = [];
    for (const rate of [50, 200]) {
      idleLatency.push(await hammer(rate));
      log(`no worker, ${rate} req/s: p50 ${idleLatency.at(-1)!.p50.toFixed(1)} ms, p99 ${idleLatency.at(-1)!.p99.toFixed(1)} ms (server CPU ${idleLatency.at(-1)!.serverCpuMs.toFixed(2)} ms per answer)`);
      await drain();
    }
    results.latencyNoWorker = idleLatency;

    // one worker at the local workers' nice, as `serve` runs its local workers (answers first): warm it, then queue overhead
    // on an idle worker, one inference at a time
    const warmWorker = async () => {
      const w = await startWorkerProcess(redis.url, url, ['--nice', String(LOCAL_WORKER_NICE)]);
      procs.push(w);
      await client.infer(modelId, JSON.parse(body), { waitSeconds: 120 }); // artifacts fetched, key loaded
      return w;
    };
    let w1 = await warmWorker();
    const overhead: number[] = [];
    const receiptSeconds: number[] = [];
    for (let i = 0; i < 10; i++) {
      const v = await client.infer(modelId, JSON.parse(readFileSync(MLP_INPUTS[i % 4]!, 'utf8')));
      const done = await client.waitForReceipt(v.id, { timeoutSeconds: 120 });
      overhead.push(done.timings.queueSeconds! * 1000);
      receiptSeconds.push(done.timings.totalSeconds!);
    }
    results.queueOverheadMs = { p50: pct(overhead, 50), p99: pct(overhead, 99), max: Math.max(...overhead), samples: overhead };
    results.timeToReceiptIdle = { p50: pct(receiptSeconds, 50), p99: pct(receiptSeconds, 99) };
    log(`queue overhead (idle worker): p50 ${pct(overhead, 50).toFixed(1)} ms, max ${Math.max(...overhead).toFixed(1)} ms`);

    // a burst: throughput, time to receipt under a queue, Redis commands per job. Like prove-many's inputs, the
    // burst is all queued before the workers take it (queue paused while it is accepted); the bench waits for
    // the last receipt before it reads the others, so its own reads do not compete with the proofs.
    const burst = async (label: string) => {
      const stats0 = await commandCalls(r);
      await queue.pause();
      const accepted = await Promise.all(Array.from({ length: BURST }, (_, i) => client.infer(modelId, JSON.parse(readFileSync(MLP_INPUTS[i % 4]!, 'utf8')))));
      await queue.resume();
      await client.waitForReceipt(accepted.at(-1)!.id, { timeoutSeconds: 600 });
      const done = [];
      for (const a of accepted) done.push(await client.waitForReceipt(a.id, { timeoutSeconds: 600 }));
      const stats1 = await commandCalls(r);
      const jobs = await Promise.all(accepted.map((a) => queue.getJob(a.id)));
      const start = Math.min(...jobs.map((j) => j!.processedOn!));
      const end = Math.max(...jobs.map((j) => j!.finishedOn!));
      const ttr = done.map((d) => d.timings.totalSeconds!);
      const bytes = await Promise.all(accepted.map((a) => r.call('MEMORY', 'USAGE', `bull:${QUEUE_NAME}:${a.id}`, 'SAMPLES', '0') as Promise<number>));
      const proving = jobs.reduce((a, j) => a + j!.returnvalue.seconds.witness + j!.returnvalue.seconds.prove, 0);
      const out = {
        label, proofs: BURST, seconds: (end - start) / 1000, proving, proofsPerMinute: (60 * BURST * 1000) / (end - start), timeToReceipt: { p50: pct(ttr, 50), p99: pct(ttr, 99) },
        redisCommandsPerJob: (stats1.calls - stats0.calls) / BURST, redisUsecPerJob: (stats1.usec - stats0.usec) / BURST, redisBytesPerJob: bytes.reduce((x, y) => x + Number(y), 0) / BURST,
      };
      log(`${label}: ${out.proofsPerMinute.toFixed(1)} proofs/min, time to receipt p50 ${out.timeToReceipt.p50.toFixed(1)} s p99 ${out.timeToReceipt.p99.toFixed(1)} s, ${out.redisCommandsPerJob.toFixed(0)} Redis commands (${out.redisUsecPerJob.toFixed(0)} µs) and ${(out.redisBytesPerJob / 1024).toFixed(1)} KiB per job`);
      return out;
    };
    // one worker and prove-many alternate: (prove-many, worker) twice, each figure over both of its runs
    const oneWorkerRuns = [await burst('1 worker')];
    proveManyOnce();
    oneWorkerRuns.push(await burst('1 worker'));
    const sumOf = (xs: { proofs: number; seconds: number; proving: number }[]) => ({ proofs: xs.reduce((a, x) => a + x.proofs, 0), seconds: xs.reduce((a, x) => a + x.seconds, 0), proving: xs.reduce((a, x) => a + x.proving, 0) });
    const pmSum = sumOf(proveManyRuns);
    results.proveMany = { ...pmSum, proofsPerMinute: (60 * pmSum.proofs) / pmSum.seconds, runs: proveManyRuns };
    const owSum = sumOf(oneWorkerRuns);
    results.oneWorker = { ...oneWorkerRuns[1]!, ...owSum, proofsPerMinute: (60 * owSum.proofs) / owSum.seconds, runs: oneWorkerRuns.map((b) => b.proofsPerMinute) };

    // immediate answer while the worker proves (a queue it cannot empty during the run)
    const busy = [];
    for (const [rate, generator] of [[50, 'open loop'], [200, 'open loop'], [200, 'autocannon']] as const) {
      busy.push(await hammer(rate, generator));
      log(`1 worker proving, ${rate} req/s (${generator}): p50 ${busy.at(-1)!.p50.toFixed(1)} ms, p99 ${busy.at(-1)!.p99.toFixed(1)} ms (cpu ${(100 * busy.at(-1)!.cpuBusy).toFixed(0)}%, server CPU ${busy.at(-1)!.serverCpuMs.toFixed(2)} ms per answer)`);
      await w1.stop();
      await drain();
      w1 = await warmWorker();
    }
    // diagnostic, not durable: the same answers with their Redis on tmpfs (an fsync costs nothing there) while the
    // worker keeps proving, to show what this disk's fsync adds (appendfsync always waits for it before the 202)
    if (existsSync('/dev/shm')) {
      const shmRedis = await startRedis({ dir: mkdtempSync('/dev/shm/zkinfer-bench-redis-') });
      const s2 = zkinfer(['serve', '--redis', shmRedis.url, '--workers', '0', '--port', '0', '--data', tempDir('zkinfer-bench-data-'), '--max-queued', '1000000', '--model', dir]);
      const r2 = new Redis(redisOptions(shmRedis.url));
      try {
        await r2.config('SET', 'latency-monitor-threshold', '1');
        const url2 = (await s2.waitFor(/^serving\s+http/)).match(/http:\/\/[^\s]+/)![0];
        await openLoop({ url: `${url2}/v1/models/${modelId}/inferences`, method: 'POST', headers: { 'content-type': 'application/json' }, body, rate: 50, seconds: 1 }); // warm
        // the worker proves a backlog on the main Redis meanwhile (more than the run lasts)
        await Promise.all(Array.from({ length: 4 * SECONDS }, (_, i) => client.infer(modelId, JSON.parse(readFileSync(MLP_INPUTS[i % 4]!, 'utf8')))));
        busy.push({ ...(await hammer(200, 'open loop', { server: s2, url: url2, target: `${url2}/v1/models/${modelId}/inferences`, redis: shmRedis, r: r2 })), redisOnTmpfs: true });
        log(`1 worker proving, 200 req/s, Redis on tmpfs (diagnostic): p50 ${busy.at(-1)!.p50.toFixed(1)} ms, p99 ${busy.at(-1)!.p99.toFixed(1)} ms`);
      } finally {
        r2.disconnect();
        await s2.stop();
        await shmRedis.stop();
        rmSync(path.dirname(shmRedis.socket), { recursive: true, force: true });
      }
      await w1.stop();
      await drain();
      w1 = await warmWorker();
    }
    results.latencyWorkerProving = busy;

    const w2 = await startWorkerProcess(redis.url, url, ['--nice', String(LOCAL_WORKER_NICE)]);
    procs.push(w2);
    await Promise.all([0, 1].map(() => client.infer(modelId, JSON.parse(body), { waitSeconds: 120 })));
    results.twoWorkers = await burst('2 workers');
  } finally {
    for (const p of procs) await p.stop();
    await queue.close();
    r.disconnect();
    await redis.stop();
  }
  const report = {
    at: new Date(t0).toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, load1AtStart: load0, load1AtEnd: os.loadavg()[0], fsyncAtStart, fsyncAtEnd: fsyncLatency(tempDir('zkinfer-bench-fsync-')) },
    model: { id: modelId, constraints: readCompiled(dir).constraints.total },
    ...results,
  };
  const outDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `serve-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${file}`);
  const md = renderReport(report as unknown as ServeReport);
  process.stdout.write(md);
  if (SNAPSHOT) writeSnapshot(report as unknown as ServeReport, md);
}

const PHASES = ['parse', 'answer', 'sign', 'queue', 'total'] as const;
interface Breakdown {
  /** The server's Server-Timing durations, ms: p50 and p99 of each (./load.ts collects them). */
  phases: Record<(typeof PHASES)[number] | 'outside', { p50: number; p99: number }>;
  /** Mean ms of each over the answers at or above the client's p99 (where the tail goes). */
  tail: Record<(typeof PHASES)[number] | 'outside', number>;
  /** Garbage collections in the server during the run (all kinds), their ms, and the major ones. */
  gc: { count: number; ms: number; major: number };
  /** Event-loop delay of the server's main thread during the run (prom-client, 10 ms resolution), ms. */
  eventLoopDelay: { p99: number; max: number };
  /** The load generator's own worst lateness sending a request (counted in the client latency and outside). */
  maxSendLagMs?: number;
  /** Per answer: ms the server's threads and redis-server spent runnable but waiting for a CPU (/proc schedstat). */
  runQueueWaitMs?: { server: number; redis: number };
  /** Redis's latency monitor: the slowest append-only fsync of each second that had one ≥ 1 ms, ms. */
  slowFsyncs?: number[];
}

/** The server-side view of one run: Server-Timing per answer, the rest (client − server total) and /metrics. */
function breakdown(timings: OpenLoopResult['timings'], m0: string, m1: string): Breakdown {
  const of = (t: OpenLoopResult['timings'][number], k: string) => (k === 'outside' ? t.ms - (t.server.total ?? 0) : (t.server[k] ?? 0));
  const keys = [...PHASES, 'outside'] as const;
  const p99 = percentile(timings.map((t) => t.ms), 99);
  const slow = timings.filter((t) => t.ms >= p99);
  const metric = (m: string, re: RegExp) => [...m.matchAll(re)].reduce((a, x) => a + Number(x[1]), 0);
  const gc = (m: string, what: string, kind = '[^"]+') => metric(m, new RegExp(`^zkinfer_server_nodejs_gc_duration_seconds_${what}\\{kind="${kind}"\\} ([\\d.e+-]+)$`, 'gm'));
  return {
    phases: Object.fromEntries(keys.map((k) => [k, { p50: percentile(timings.map((t) => of(t, k)), 50), p99: percentile(timings.map((t) => of(t, k)), 99) }])) as Breakdown['phases'],
    tail: Object.fromEntries(keys.map((k) => [k, slow.reduce((a, t) => a + of(t, k), 0) / Math.max(1, slow.length)])) as Breakdown['tail'],
    gc: { count: gc(m1, 'count') - gc(m0, 'count'), ms: 1000 * (gc(m1, 'sum') - gc(m0, 'sum')), major: gc(m1, 'count', 'major') - gc(m0, 'count', 'major') },
    eventLoopDelay: { p99: 1000 * metric(m1, /^zkinfer_server_nodejs_eventloop_lag_p99_seconds ([\d.e+-]+)$/gm), max: 1000 * metric(m1, /^zkinfer_server_nodejs_eventloop_lag_max_seconds ([\d.e+-]+)$/gm) },
  };
}

/** This disk's fsync latency, as `appendfsync always` pays it: 200 appends of 4 KB, each fdatasync'ed (ms). */
function fsyncLatency(dir: string): { p50: number; p99: number; max: number } {
  const fd = openSync(path.join(dir, 'fsync-probe'), 'a');
  const buf = Buffer.alloc(4096, 120);
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    writeSync(fd, buf);
    fdatasyncSync(fd);
    ms.push(performance.now() - t);
  }
  closeSync(fd);
  rmSync(path.join(dir, 'fsync-probe'));
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
}

const fsyncLine = (m: ServeReport['machine']) =>
  m.fsyncAtStart && m.fsyncAtEnd ? ` fsync of a 4 KB append on the Redis disk (shared with the other processes): p50 ${m.fsyncAtStart.p50.toFixed(2)} / p99 ${m.fsyncAtStart.p99.toFixed(2)} ms at the start, ${m.fsyncAtEnd.p50.toFixed(2)} / ${m.fsyncAtEnd.p99.toFixed(2)} ms at the end.` : '';

/** Milliseconds a process's threads have spent runnable, waiting for a CPU (/proc/PID/task/TID/schedstat). */
function runQueueWaitMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return ns / 1e6;
}

/** CPU milliseconds a process (all its threads) has used so far (/proc/PID/stat utime + stime). */
function processCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100 on Linux)
}

/** Commands Redis has run and the microseconds it spent in them (INFO commandstats; INFO itself excluded). */
async function commandCalls(r: Redis): Promise<{ calls: number; usec: number }> {
  const info = await r.info('commandstats');
  const n = { calls: 0, usec: 0 };
  for (const m of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
    if (m[1] === 'info') continue;
    n.calls += Number(m[2]);
    n.usec += Number(m[3]);
  }
  return n;
}

interface Lat { rate: number; generator?: string; redisOnTmpfs?: boolean; breakdown?: Breakdown; achieved: number; p50: number; p90: number; p99: number; max: number; non2xx: number; errors: number; cpuBusy: number; serverCpuMs?: number; loadGenCpuMs?: number }
interface Burst { runs?: number[]; proving?: number; label: string; proofs: number; seconds: number; proofsPerMinute: number; timeToReceipt: { p50: number; p99: number }; redisCommandsPerJob: number; redisUsecPerJob: number; redisBytesPerJob: number }
interface ServeReport {
  at: string;
  machine: { cpus: number; cpuModel?: string; node: string; load1AtStart: number; load1AtEnd: number; fsyncAtStart?: { p50: number; p99: number; max: number }; fsyncAtEnd?: { p50: number; p99: number; max: number } };
  model: { id: string; constraints: number };
  proveMany: { proofs: number; seconds: number; proving?: number; proofsPerMinute: number; runs?: unknown[] };
  latencyNoWorker: Lat[];
  latencyWorkerProving: Lat[];
  queueOverheadMs: { p50: number; p99: number; max: number };
  timeToReceiptIdle: { p50: number; p99: number };
  oneWorker: Burst;
  twoWorkers: Burst;
}

const mark = (ok: boolean) => (ok ? 'pass' : '**miss**');

export function renderReport(r: ServeReport): string {
  const p200 = r.latencyWorkerProving.find((l) => l.rate === 200 && (l.generator ?? 'open loop') === 'open loop' && !l.redisOnTmpfs)!;
  const ratio = r.oneWorker.proofsPerMinute / r.proveMany.proofsPerMinute;
  const o: string[] = [];
  o.push(`# Proving service benchmark (\`npm run bench:serve\`)`, '');
  o.push(`${r.at}, ${r.machine.cpus} × ${r.machine.cpuModel ?? '?'}, Node ${r.machine.node}; bundled MLP (${r.model.constraints} constraints). Load average (other processes included) ${r.machine.load1AtStart.toFixed(1)} at the start, ${r.machine.load1AtEnd.toFixed(1)} at the end.${fsyncLine(r.machine)}`, '');
  if (r.machine.load1AtStart > r.machine.cpus) o.push(`**Contention:** other processes kept the machine at a load of ${r.machine.load1AtStart.toFixed(0)} on ${r.machine.cpus} cores during this run (${(r.machine.load1AtStart / r.machine.cpus).toFixed(0)}× oversubscribed): the server got a small share of a core, so the latency rows measure that share, not the service; rerun on a quiet machine to judge the latency target.`, '');
  o.push('| target | measured | |', '|---|---|---|');
  o.push(`| immediate answer p99 ≤ 50 ms at 200 req/s (a worker proving) | p99 ${p200.p99.toFixed(1)} ms (p50 ${p200.p50.toFixed(1)} ms), ${p200.achieved.toFixed(0)} req/s achieved | ${mark(p200.p99 <= 50)} |`);
  o.push(`| proof throughput per worker ≥ 90% of prove-many | ${r.oneWorker.proofsPerMinute.toFixed(1)} vs ${r.proveMany.proofsPerMinute.toFixed(1)} proofs/min (${(100 * ratio).toFixed(0)}%) | ${mark(ratio >= 0.9)} |`);
  o.push(`| queue overhead (202 → proving, idle worker) ≤ 100 ms | p50 ${r.queueOverheadMs.p50.toFixed(1)} ms, p99 ${r.queueOverheadMs.p99.toFixed(1)} ms | ${mark(r.queueOverheadMs.p99 <= 100)} |`, '');
  o.push('## Immediate answer (POST /v1/models/<id>/inferences: parse, integer program, attestation, job on Redis fsynced)', '');
  o.push('| worker | load generator | rate (req/s) | achieved | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | machine CPU busy | server CPU ms / answer | load generator CPU ms / request |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const ms = (x?: number) => (x === undefined ? '' : x.toFixed(2));
  const f1 = (x: number) => x.toFixed(1);
  const rows = [...r.latencyNoWorker.map((l) => ['none', l] as const), ...r.latencyWorkerProving.map((l) => [`1 proving (nice ${LOCAL_WORKER_NICE})${l.redisOnTmpfs ? ', Redis on tmpfs (diagnostic: not durable)' : ''}`, l] as const)];
  for (const [w, l] of rows) o.push(`| ${w} | ${l.generator ?? 'autocannon'} | ${l.rate} | ${l.achieved.toFixed(0)} | ${f1(l.p50)} | ${f1(l.p90)} | ${f1(l.p99)} | ${f1(l.max)} | ${l.non2xx} | ${l.errors} | ${(100 * l.cpuBusy).toFixed(0)}% | ${ms(l.serverCpuMs)} | ${ms(l.loadGenCpuMs)} |`);
  o.push('', `The server, Redis, the worker and the load generator (in the bench process at nice 0) share the 2 cores; the worker runs at nice ${LOCAL_WORKER_NICE} as \`serve\` runs its local workers. Server CPU counts all its threads (the attestation signing thread too). Open loop (bench/load.ts): requests evenly spaced at the rate, each on a free keep-alive connection, latency from when it was due; autocannon's \`overallRate\` instead sends each connection's share of a second back to back when the second starts (at 200 req/s over 50 connections: 50 requests at once, every second), and adds synthetic samples for slow answers (a 1 ms expected interval), so its tail measures bursts of 50.`);
  o.push('', '### Where the time goes (open loop; the server\'s Server-Timing header per answer, ms p50 / p99)', '');
  o.push('| worker | rate | client | outside the handler | parse | answer | sign | queue (Redis, fsynced) | handler total | slowest 1%: mean outside / sign / queue | GC in the server: count (major), ms | event-loop delay p99 / max | worst send lag of the load generator | waiting for a CPU per answer: server / redis-server | Redis fsync ≥ 1 ms: seconds with one, slowest |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [w, l] of rows) {
    const b = l.breakdown;
    if (!b) continue;
    const pp = (k: keyof Breakdown['phases']) => `${f1(b.phases[k].p50)} / ${f1(b.phases[k].p99)}`;
    o.push(`| ${w} | ${l.rate} | ${f1(l.p50)} / ${f1(l.p99)} | ${pp('outside')} | ${pp('parse')} | ${pp('answer')} | ${pp('sign')} | ${pp('queue')} | ${pp('total')} | ${f1(b.tail.outside)} / ${f1(b.tail.sign)} / ${f1(b.tail.queue)} | ${b.gc.count} (${b.gc.major}), ${f1(b.gc.ms)} | ${f1(b.eventLoopDelay.p99)} / ${f1(b.eventLoopDelay.max)} | ${f1(b.maxSendLagMs ?? 0)} | ${b.runQueueWaitMs ? `${b.runQueueWaitMs.server.toFixed(2)} / ${b.runQueueWaitMs.redis.toFixed(2)}` : ''} | ${b.slowFsyncs ? `${b.slowFsyncs.length}, ${Math.max(0, ...b.slowFsyncs)} ms` : ''} |`);
  }
  o.push('', 'outside the handler: client latency − the handler\'s total (connection, kernel, waiting for the server\'s event loop and the CPU, the response\'s write and read); parse: request read, JSON parsed, schema checked (Fastify, before the handler); answer: integer program and hashes; sign: the attestation (signing thread); queue: BullMQ add, one Redis round trip with its fsync (\`appendfsync always\`). The row "Redis on tmpfs" is a diagnostic, not a configuration: the same answers against a second server whose Redis keeps its append-only file in memory (fsync costs nothing there, nothing survives a reboot) while the worker proves a backlog on the first; what separates it from the durable 200 req/s row is what this disk\'s fsync costs.');
  o.push('', '## Proofs', '');
  const split = (b: { proofs: number; seconds: number; proving?: number }) => (b.proving === undefined ? '' : `${((1000 * b.proving) / b.proofs).toFixed(0)} + ${((1000 * (b.seconds - b.proving)) / b.proofs).toFixed(0)}`);
  o.push('| | proofs | seconds | proofs/min | ms per proof: witness + Groth16, + the rest | time to receipt p50 | p99 | Redis commands / CPU µs / KiB kept per job |', '|---|---|---|---|---|---|---|---|');
  o.push(`| prove-many (one process, key loaded once; ${r.proveMany.runs?.length ?? 1} runs alternating with the worker's) | ${r.proveMany.proofs} | ${r.proveMany.seconds.toFixed(1)} | ${r.proveMany.proofsPerMinute.toFixed(1)} | ${split(r.proveMany)} | | | |`);
  for (const b of [r.oneWorker, r.twoWorkers]) o.push(`| ${b.label} (${b.runs ? `${b.runs.length} bursts of ${b.proofs / b.runs.length}` : `burst of ${b.proofs}`}) | ${b.proofs} | ${b.seconds.toFixed(1)} | ${b.proofsPerMinute.toFixed(1)} | ${b === r.oneWorker ? split(b) : '(in parallel)'} | ${b.timeToReceipt.p50.toFixed(1)} s | ${b.timeToReceipt.p99.toFixed(1)} s | ${b.redisCommandsPerJob.toFixed(0)} / ${b.redisUsecPerJob.toFixed(0)} / ${(b.redisBytesPerJob / 1024).toFixed(1)} |`);
  o.push(`| one at a time, idle worker | 10 | | | | ${r.timeToReceiptIdle.p50.toFixed(2)} s | ${r.timeToReceiptIdle.p99.toFixed(2)} s | |`, '');
  o.push(`Like with like: prove-many and the workers run at nice ${LOCAL_WORKER_NICE} (as \`serve\` runs its local workers); prove-many and the one-worker burst alternate twice; a burst is queued whole (queue paused while it is accepted) before the workers take it, as prove-many has its inputs before it starts, and its receipts are read after the last one is proved. Both self-verify every receipt.`, '');
  o.push('Redis commands and CPU per job include what the server, the workers and the event stream ran during the burst (INFO commandstats), divided by the jobs.', '');
  o.push('Charts: [serve-latency.svg](serve-latency.svg), [serve-throughput.svg](serve-throughput.svg). Scaling on paper: [docs/scaling.md](../../docs/scaling.md).', '');
  return o.join('\n');
}

function writeSnapshot(r: ServeReport, md: string): void {
  const dir = path.join(ROOT, 'bench', 'snapshot');
  writeFileSync(path.join(dir, 'SERVE.md'), md);
  const bars = [...r.latencyNoWorker.map((l) => ({ ...l, w: 'no worker' })), ...r.latencyWorkerProving.map((l) => ({ ...l, w: 'worker' }))];
  writeFileSync(path.join(dir, 'serve-latency.svg'), stackedBars({ title: 'immediate answer latency, ms (p50, then up to p99)', parts: ['p50', 'p99'], bars: bars.map((l) => ({ label: `${l.w}, ${l.rate}/s${l.generator === 'autocannon' ? ', autocannon' : ''}${l.redisOnTmpfs ? ', tmpfs Redis' : ''}`, values: [Number(l.p50.toFixed(1)), Number(Math.max(0, l.p99 - l.p50).toFixed(1))] })) }));
  writeFileSync(path.join(dir, 'serve-throughput.svg'), stackedBars({ title: 'proofs per minute, bundled MLP', parts: ['proofs/min'], bars: [{ label: 'prove-many', values: [Number(r.proveMany.proofsPerMinute.toFixed(1))] }, ...[r.oneWorker, r.twoWorkers].map((b) => ({ label: b.label, values: [Number(b.proofsPerMinute.toFixed(1))] }))] }));
}

await main();
