/** prove: input file → witness (circom wasm) → Groth16 proof (snarkjs) → receipt. */
import * as snarkjs from 'snarkjs';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { inputSpecs } from '../compile.js';
import type { CompiledInfo } from '../compile.js';
import { readCompiled, readSetup } from '../setup.js';
import { readInputFile, quantizeInput } from './input.js';
import { calculateWtns } from '../toolchain/witness.js';
import type { Receipt } from '../receipt.js';
import { inputSignalName } from '../codegen/circom.js';
import { buildReceipt } from './receipt-build.js';

export { DEV_SETUP_NOTE, decodeTensors } from './receipt-build.js';

export interface ProveParams {
  dir: string;
  inputPath: string;
  onProgress?: (message: string) => void;
}

export interface ProveResult {
  receipt: Receipt;
  seconds: { witness: number; prove: number };
}

/**
 * Prove one inference and package it as a receipt.
 * @example const { receipt } = await proveInference({ dir: 'build/model', inputPath: 'input.json' });
 */
export async function proveInference(params: ProveParams): Promise<ProveResult> {
  const progress = params.onProgress ?? (() => {});
  const paths = artifactPaths(params.dir);
  const compiled: CompiledInfo = readCompiled(params.dir);
  const specs = inputSpecs(compiled);
  const values = readInputFile(params.inputPath, specs);
  const ints = values.map((v, i) => quantizeInput(v, specs[i]!, params.inputPath));
  const setup = readSetup(params.dir, compiled);
  const circuitInput: Record<string, bigint[]> = {};
  ints.forEach((xs, i) => (circuitInput[inputSignalName(i)] = xs));

  progress('prove: computing witness');
  const t0 = performance.now();
  const wtns = await calculateWtns({ wasmPath: paths.wasm, input: circuitInput });
  const t1 = performance.now();
  progress(`prove: Groth16 proof over ${compiled.constraints.total} constraints`);
  const { proof, publicSignals } = await snarkjs.groth16.prove(paths.zkey, wtns);
  const t2 = performance.now();

  const vk = readJson<Record<string, unknown>>(paths.vkey, 'verification key');
  const receipt = buildReceipt({ compiled, setup, vk, proof, publicSignals, vkLabel: paths.vkey });
  return { receipt, seconds: { witness: (t1 - t0) / 1000, prove: (t2 - t1) / 1000 } };
}
