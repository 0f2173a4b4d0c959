/**
 * prove: input file → integers → witness (circom wasm) → Groth16 proof (snarkjs) → receipt.
 * The integer reference evaluator runs beside the witness (receipt-build.ts): the public signals it
 * predicts must be the ones the prover produced.
 */
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { inputSpecs, readParamsOpening } from '../compile.js';
import type { CompiledInfo } from '../compile.js';
import { readCompiled, readSetup } from '../setup.js';
import { readInputFile, quantizeInput } from './input.js';
import { calculateWtns } from '../toolchain/witness.js';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import { programFromJson } from '../quantize/program.js';
import type { Program } from '../quantize/program.js';
import { assembleReceipt, prepareWitness } from './receipt-build.js';
import { ArtifactError } from '../errors.js';

export { DEV_SETUP_NOTE, toTensors } from './receipt-build.js';

export interface ProveParams {
  dir: string;
  inputPath: string;
  onProgress?: (message: string) => void;
}

export interface ProveResult {
  receipt: Receipt;
  /** Salts and values opening the receipt's commitments (hashed visibility): keep it private. */
  opening?: Opening;
  /** Decoded outputs, also when the output is hashed (then only the prover sees them). */
  outputs: ReceiptTensor[];
  seconds: { witness: number; prove: number };
}

export function readProgram(dir: string): Program {
  const file = artifactPaths(dir).program;
  try {
    return programFromJson(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new ArtifactError(`${file}: missing or unreadable (${(e as Error).message})`, { hint: `run 'zkinfer compile' again into ${dir}` });
  }
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
  const vk = readJson<Record<string, unknown>>(paths.vkey, 'verification key');
  const program = readProgram(params.dir);
  const paramsSalt = compiled.layout.visibility.params === 'hashed' ? BigInt(readParamsOpening(params.dir).salt) : undefined;
  const prepared = prepareWitness(compiled, program, ints, paramsSalt);

  progress('prove: computing witness');
  const t0 = performance.now();
  const wtns = await calculateWtns({ wasmPath: paths.wasm, input: prepared.circuitInput });
  const t1 = performance.now();
  progress(`prove: Groth16 proof over ${compiled.constraints.total} constraints`);
  const { proof, publicSignals } = await snarkjs.groth16.prove(paths.zkey, wtns);
  const t2 = performance.now();
  const r = await assembleReceipt({ compiled, setup, vk, prepared, proof, publicSignals, vkLabel: paths.vkey });
  return { ...r, seconds: { witness: (t1 - t0) / 1000, prove: (t2 - t1) / 1000 } };
}
