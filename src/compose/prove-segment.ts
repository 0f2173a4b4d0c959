/**
 * One segment's witness and Groth16 proof: in this process, or in a child process (the `--jobs` pool of
 * `prove` on segmented artifacts). snarkjs cannot run in worker_threads, hence processes.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof } from 'snarkjs';
import { WitnessCalculators, calculateWtns } from '../toolchain/witness.js';
import type { CircuitInput } from '../toolchain/witness.js';
import { warmCurve } from '../toolchain/curve.js';

export interface SegmentJob {
  wasmPath: string;
  zkeyPath: string;
  /** Circuit input signals, bigints as decimal strings (so the job crosses a process boundary). */
  input: Record<string, string | string[]>;
}

export interface SegmentProof {
  proof: Groth16Proof;
  publicSignals: string[];
  seconds: { witness: number; prove: number };
}

export const jobInput = (x: Record<string, bigint | bigint[]>): SegmentJob['input'] =>
  Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));

/** Prove one segment in this process (a witness generator of its own, dropped afterwards). */
export async function proveSegmentHere(job: SegmentJob): Promise<SegmentProof> {
  const tc = performance.now();
  await warmCurve(); // before the witness wasm: see toolchain/curve.ts
  const curve = (performance.now() - tc) / 1000;
  const t0 = performance.now();
  const wtns = await calculateWtns({ wasmPath: job.wasmPath, input: job.input as CircuitInput, calculators: new WitnessCalculators() });
  const t1 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(job.zkeyPath, wtns);
  const t2 = performance.now();
  return { proof, publicSignals, seconds: { witness: (t1 - t0) / 1000, prove: curve + (t2 - t1) / 1000 } };
}

const WORKER = fileURLToPath(new URL('./prove-worker.ts', import.meta.url));

/** Prove one segment in a child process (Node with tsx's loader running prove-worker.ts). */
export function proveSegmentInChild(job: SegmentJob): Promise<SegmentProof> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let done = false;
    child.on('message', (m: { ok: true; result: SegmentProof } | { ok: false; error: string }) => {
      done = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(`segment prover process: ${m.error}`));
    });
    child.on('exit', (code, signal) => {
      if (!done) reject(new Error(`segment prover process exited (${signal ?? `code ${code}`}) before answering`));
    });
    child.send(job);
  });
}

/** Run jobs with at most `jobs` at a time; results in job order. */
export async function pool<T, R>(items: T[], jobs: number, run: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, lane));
  return out;
}
