/**
 * Running benchmark steps in child processes (src/bench/worker.ts) and reading their peak memory: each
 * Node process the step starts records its peak RSS at exit (rss-hook.mjs, preloaded through NODE_OPTIONS).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepStats, WorkerResult, WorkerTask } from './types.js';

/** From the TypeScript sources (a clone, through tsx) or from the compiled dist/ (an installed package). */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url));
const HOOK = new URL('./rss-hook.mjs', import.meta.url).href;
const loaderArgs = (): string[] => (FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : []);

export interface StepRun extends WorkerResult {
  /** Peak RSS (MiB): the worker plus its largest child process. */
  peakRssMB: number;
  /** 1-minute load average when the step started. */
  load1: number;
}

/** A failed step: the worker's error, with the error class name it had. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

let counter = 0;

/** Run one task in a fresh worker process; throws StepError when the step failed. */
export async function runStep(workDir: string, task: WorkerTask): Promise<StepRun> {
  const id = `${process.pid}-${++counter}-${task.step}`;
  const taskFile = path.join(workDir, 'tasks', `${id}.json`);
  const rssDir = path.join(workDir, 'rss', id);
  mkdirSync(path.dirname(taskFile), { recursive: true });
  mkdirSync(rssDir, { recursive: true });
  writeFileSync(taskFile, JSON.stringify(task));
  const load1 = os.loadavg()[0]!;
  const env = { ...process.env, ZKINFER_BENCH_RSS_DIR: rssDir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import="${HOOK}"`.trim() };
  const { code, pid, stderr } = await new Promise<{ code: number | null; pid: number; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [...loaderArgs(), WORKER, taskFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, pid: child.pid!, stderr: Buffer.concat(err).toString('utf8') }));
  });
  let result: WorkerResult;
  try {
    result = JSON.parse(readFileSync(`${taskFile}.out.json`, 'utf8')) as WorkerResult;
  } catch {
    throw new StepError(task.step, 'WorkerCrash', `bench worker for '${task.step}' exited with code ${code} without a result: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  if (result.error) throw new StepError(task.step, result.error.name, result.error.message);
  const records = readdirSync(rssDir).map((f) => JSON.parse(readFileSync(path.join(rssDir, f), 'utf8')) as { pid: number; maxRssKB: number });
  const self = records.find((r) => r.pid === pid)?.maxRssKB ?? 0;
  const child = Math.max(0, ...records.filter((r) => r.pid !== pid).map((r) => r.maxRssKB));
  return { ...result, peakRssMB: (self + child) / 1024, load1 };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Median seconds and peak memory of several runs of one step. */
export function stats(runs: StepRun[]): StepStats {
  return {
    runs: runs.length,
    seconds: median(runs.map((r) => r.seconds)),
    secondsAll: runs.map((r) => r.seconds),
    peakRssMB: median(runs.map((r) => r.peakRssMB)),
    peakRssMBAll: runs.map((r) => r.peakRssMB),
    load1: median(runs.map((r) => r.load1)),
    load1All: runs.map((r) => r.load1),
    othersCores: median(runs.map((r) => r.othersCores ?? 0)),
    othersCoresAll: runs.map((r) => r.othersCores ?? 0),
  };
}

/** Run a task `n` times (fresh process each), with a per-run task maker. */
export async function repeat(n: number, workDir: string, make: (i: number) => WorkerTask, onRun?: (i: number, r: StepRun) => void): Promise<StepRun[]> {
  const out: StepRun[] = [];
  for (let i = 0; i < n; i++) {
    const r = await runStep(workDir, make(i));
    onRun?.(i, r);
    out.push(r);
  }
  return out;
}
