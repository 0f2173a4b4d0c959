/**
 * One benchmark step in its own process, so that its peak memory is its own and snarkjs's worker threads
 * of one step cannot slow the next:
 *
 *   node --import tsx src/bench/worker.ts TASK.json     → writes TASK.json.out.json (a WorkerResult)
 *
 * The step's seconds are measured here, around the step only (not Node start-up or module loading).
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { compileModel, CIRCUITS_DIR, CIRCOMLIB_DIR, PACKAGE_ROOT } from '../compile.js';
import { readCompiled, setupKeys } from '../setup.js';
import { circuitInputFor, proveInference } from '../prove/prove.js';
import { proveMany } from '../prove/batch.js';
import { verifyReceipt } from '../verify/verify.js';
import { artifactPaths } from '../artifacts/layout.js';
import { calculateWtns } from '../toolchain/witness.js';
import { compileCircuit } from '../toolchain/circom.js';
import { devSetup, writeDevPtau } from '../toolchain/devsetup.js';
import { warmCurve } from '../toolchain/curve.js';
import type { WorkerResult, WorkerTask } from './types.js';
import { cpuSample, othersCores } from './contention.js';

const since = (t0: number): number => (performance.now() - t0) / 1000;

async function run(task: WorkerTask): Promise<WorkerResult> {
  const t0 = performance.now();
  switch (task.step) {
    case 'noop':
      return { seconds: 0 };
    case 'compile': {
      const { info } = await compileModel(task.params);
      return { seconds: since(t0), data: { constraints: info.constraints, nPublic: info.nPublic, ptauPower: info.ptauPower, compilerSeconds: info.compiler.seconds, ops: info.ops } };
    }
    case 'setup': {
      const p = artifactPaths(task.dir);
      for (const f of [p.setup, p.zkey, p.vkey]) rmSync(f, { force: true });
      const t = performance.now();
      await setupKeys({ dir: task.dir, cacheDir: task.cacheDir });
      return { seconds: since(t), data: { zkeyBytes: statSync(p.zkey).size } };
    }
    case 'ptau': {
      await writeDevPtau({ power: task.power, path: task.path });
      return { seconds: since(t0), data: { ptauBytes: statSync(task.path).size } };
    }
    case 'witness': {
      const { circuitInput } = circuitInputFor(task.dir, task.input);
      const t = performance.now();
      await calculateWtns({ wasmPath: artifactPaths(task.dir).wasm, input: circuitInput });
      return { seconds: since(t) };
    }
    case 'prove': {
      const r = await proveInference({ dir: task.dir, inputPath: task.input });
      writeFileSync(task.receiptPath, JSON.stringify(r.receipt));
      return { seconds: r.seconds.prove, split: r.seconds, data: { outputs: r.outputs, proofBytes: Buffer.byteLength(JSON.stringify(r.receipt.proof)) } };
    }
    case 'verify': {
      const receipt = JSON.parse(readFileSync(task.receiptPath, 'utf8')) as unknown;
      const t = performance.now();
      const v = await verifyReceipt({ receipt });
      if (!v.ok) throw new Error(`receipt did not verify: ${v.failed?.name}: ${v.failed?.detail}`);
      return { seconds: since(t) };
    }
    case 'prove-many': {
      const r = await proveMany({ dir: task.dir, inputPaths: task.inputs });
      return { seconds: r.seconds.total, data: { proofsPerMinute: r.proofsPerMinute, load: r.seconds.load, proofs: r.seconds.proofs, outputs: r.results.map((x) => x.outputs) } };
    }
    case 'circom': {
      const c = await compileCircuit({ sourcePath: task.sourcePath, outDir: task.outDir, includeDirs: [CIRCUITS_DIR, CIRCOMLIB_DIR], optimize: task.optimize, projectRoot: PACKAGE_ROOT });
      return { seconds: c.seconds, data: { nonLinear: c.nonLinearConstraints, linear: c.linearConstraints, wires: c.wires, r1csPath: c.r1csPath, wasmPath: c.wasmPath } };
    }
    case 'devsetup': {
      await devSetup({ r1csPath: task.r1csPath, zkeyPath: task.zkeyPath });
      return { seconds: since(t0), data: { zkeyBytes: statSync(task.zkeyPath).size } };
    }
    case 'groth16': {
      const input = JSON.parse(readFileSync(task.inputPath, 'utf8')) as Record<string, string | string[]>;
      await warmCurve(); // as proveInference does: before the witness wasm, counted with the prover
      const tw = performance.now();
      const wtns = await calculateWtns({ wasmPath: task.wasmPath, input });
      const t1 = performance.now();
      const marks: [number, string][] = [];
      const logger = task.phases ? { debug: (m: string) => marks.push([performance.now(), m]), info() {}, warn() {}, error() {} } : undefined;
      await snarkjs.groth16.prove(task.zkeyInMemory ? { type: 'mem', data: new Uint8Array(readFileSync(task.zkeyPath)) } : task.zkeyPath, wtns, logger);
      const t2 = performance.now();
      const split = { witness: (t1 - tw) / 1000, prove: (tw - t0 + t2 - t1) / 1000 };
      return { seconds: split.prove, split, data: task.phases ? { phases: { 'bn128 curve (worker threads)': (tw - t0) / 1000, ...proverPhases(marks, t1, t2) } } : undefined };
    }
  }
}

/** Where snarkjs's Groth16 prover spends its time, from the debug messages it logs at each phase. */
const PHASES: [RegExp, string][] = [
  [/^Reading Wtns$/, 'read witness and coefficients'],
  [/^Building ABC$/, 'A·w, B·w, C·w'],
  [/^IFFT_A: fft/, 'FFTs (3 inverse, 3 forward)'],
  [/^Join ABC$/, 'join A·B − C'],
  [/^Reading A Points$/, 'MSM A (G1, wires)'],
  [/^Reading B1 Points$/, 'MSM B1 (G1, wires)'],
  [/^Reading B2 Points$/, 'MSM B2 (G2, wires)'],
  [/^Reading C Points$/, 'MSM C (G1, private wires)'],
  [/^Reading H Points$/, 'MSM H (G1, domain)'],
];
function proverPhases(marks: [number, string][], start: number, end: number): Record<string, number> {
  const at: [number, string][] = [[start, 'key header and curve']];
  for (const [re, name] of PHASES) {
    const m = marks.find(([, msg]) => re.test(msg));
    if (m) at.push([m[0], name]);
  }
  return Object.fromEntries(at.map(([t, name], i) => [name, ((at[i + 1]?.[0] ?? end) - t) / 1000]));
}

const taskFile = process.argv[2];
if (!taskFile) {
  process.stderr.write('usage: node --import tsx src/bench/worker.ts TASK.json\n');
  process.exit(2);
}
let result: WorkerResult;
try {
  const task = JSON.parse(readFileSync(taskFile, 'utf8')) as WorkerTask;
  const before = cpuSample();
  result = await run(task);
  result.othersCores = othersCores(before, cpuSample());
} catch (e) {
  const err = e as Error;
  result = { seconds: NaN, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e) } };
}
writeFileSync(`${taskFile}.out.json`, JSON.stringify(result));
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
