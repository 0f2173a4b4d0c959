/**
 * Proving many inputs in one process: the artifacts are checked, the proving key read and the witness
 * generator instantiated once; the curve (snarkjs's worker threads) is built by the first proof and reused.
 */
import { loadProver } from './prove.js';
import type { ProveResult } from './prove.js';

export interface ProveManyParams {
  dir: string;
  inputPaths: string[];
  /** The address every proof is bound to (circuits compiled with `bindProver`). */
  prover?: string;
  onProgress?: (message: string) => void;
  /** Called after each proof (write the receipt here to keep memory flat for long batches). */
  onProof?: (index: number, result: ProveResult) => void | Promise<void>;
  /** Keep every result in the return value (default true). */
  keepResults?: boolean;
}

export interface ProveManyResult {
  results: ProveResult[];
  seconds: {
    /** Checking artifacts, reading the key, instantiating the witness wasm. */
    load: number;
    /** Everything, load included. */
    total: number;
    /** Witness and Groth16 seconds of each proof. */
    proofs: { witness: number; prove: number }[];
  };
  /** Proofs per minute over the whole batch, load included. */
  proofsPerMinute: number;
}

/**
 * Prove several inputs against one artifact directory.
 * @example const { proofsPerMinute } = await proveMany({ dir: 'build/model', inputPaths: ['a.json', 'b.json'] });
 */
export async function proveMany(params: ProveManyParams): Promise<ProveManyResult> {
  const progress = params.onProgress ?? (() => {});
  const t0 = performance.now();
  const prover = await loadProver({ dir: params.dir, preload: true, prover: params.prover });
  const load = (performance.now() - t0) / 1000;
  progress(`prove: key and witness generator loaded in ${load.toFixed(2)} s; proving ${params.inputPaths.length} input(s)`);
  const results: ProveResult[] = [];
  const proofs: ProveManyResult['seconds']['proofs'] = [];
  for (const [i, file] of params.inputPaths.entries()) {
    const r = await prover.prove(file);
    proofs.push(r.seconds);
    progress(`prove: ${i + 1}/${params.inputPaths.length} ${file} (witness ${r.seconds.witness.toFixed(2)} s, Groth16 ${r.seconds.prove.toFixed(2)} s)`);
    await params.onProof?.(i, r);
    if (params.keepResults ?? true) results.push(r);
  }
  const total = (performance.now() - t0) / 1000;
  return { results, seconds: { load, total, proofs }, proofsPerMinute: total > 0 ? (60 * params.inputPaths.length) / total : 0 };
}
