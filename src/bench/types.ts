/** Types shared by the benchmark harness (run.ts), its child-process worker (worker.ts) and the report. */
import type { CompileParams } from '../compile.js';
import type { CircomOptimization } from '../toolchain/circom.js';

/** One model to benchmark: compile settings, the inputs to prove, and the targets it is judged by. */
export interface BenchModel extends Omit<CompileParams, 'outDir' | 'onProgress'> {
  name: string;
  /** bench: the models; conformance: networks written by others; scaling: size series for the curves. */
  group: 'bench' | 'conformance' | 'scaling';
  /** Models of one architecture at several sizes: how memory grows with size is judged within a family. */
  family?: string;
  /** Input files: the first is proved in the timed runs, all of them in the repeated-proving run. */
  inputs: string[];
  /** Fixed-point scale of the inputs (bits), passed to compile: honoured once compile supports it (ops work). */
  inputScale?: number;
  target?: {
    /** Most constraints allowed, and what circomlib-ml needs for the same architecture. */
    constraints?: number;
    reference?: number;
    /** Median Groth16 seconds allowed. */
    proveSeconds?: number;
    /** Dev setup (ptau + proving key) seconds allowed. */
    setupSeconds?: number;
  };
}

/** A job for one worker process. Paths are absolute. */
export type WorkerTask =
  | { step: 'noop' }
  | { step: 'compile'; params: Omit<CompileParams, 'onProgress'> }
  | { step: 'setup'; dir: string; cacheDir: string }
  | { step: 'ptau'; power: number; path: string }
  | { step: 'witness'; dir: string; input: string }
  | { step: 'prove'; dir: string; input: string; receiptPath: string }
  | { step: 'verify'; receiptPath: string }
  | { step: 'prove-many'; dir: string; inputs: string[] }
  /** The O1/O2 comparison: circom, dev key and Groth16 on one circuit source, outside the artifact layout. */
  | { step: 'circom'; sourcePath: string; outDir: string; optimize: CircomOptimization }
  | { step: 'devsetup'; r1csPath: string; zkeyPath: string }
  | { step: 'groth16'; wasmPath: string; zkeyPath: string; inputPath: string; phases?: boolean; zkeyInMemory?: boolean };

/** What a worker reports; `seconds` is the step itself (not process start-up). */
export interface WorkerResult {
  seconds: number;
  /** Split of a proof: witness generation vs the Groth16 prover. */
  split?: { witness: number; prove: number };
  data?: Record<string, unknown>;
  error?: { name: string; message: string };
  /** Cores' worth of CPU other processes used while the step ran (src/bench/contention.ts); absent off Linux. */
  othersCores?: number;
}

/** One measured step: median seconds and peak resident memory of N runs. */
export interface StepStats {
  runs: number;
  seconds: number;
  secondsAll: number[];
  /** Peak RSS (MiB) of the step's process plus its largest child process (the circom compiler). */
  peakRssMB: number;
  peakRssMBAll: number[];
  /** Median 1-minute load average at the run starts (shown only: it lags and counts the bench's own threads). */
  load1: number;
  load1All: number[];
  /**
   * Median cores' worth of CPU other processes used during the runs: what the seconds are judged and fitted
   * with (cost-model.ts slowdown). Absent in results written before it was measured (read as 0).
   */
  othersCores?: number;
  othersCoresAll?: number[];
}
