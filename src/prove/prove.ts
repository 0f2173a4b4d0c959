/**
 * prove: input file → integers → witness (circom wasm) → Groth16 proof (snarkjs) → receipt.
 * The integer reference evaluator runs beside the witness (receipt-build.ts): the public signals it
 * predicts must be the ones the prover produced, and the receipt must verify against the artifacts
 * (a SelfCheckError otherwise: no receipt is returned).
 */
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { artifactPaths, readJson } from '../artifacts/layout.js';
import { inputSpecs, readParamsOpening } from '../compile.js';
import type { CompiledInfo } from '../compile.js';
import { readCompiled, readSetup } from '../setup.js';
import type { SetupInfo } from '../setup.js';
import { readInputFile } from './input.js';
import { quantizeInput } from '../quantize/input.js';
import { calculateWtns, defaultWitnessCalculators } from '../toolchain/witness.js';
import { warmCurve } from '../toolchain/curve.js';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import { programFromJson } from '../quantize/program.js';
import type { Program } from '../quantize/program.js';
import { assembleReceipt, prepareWitness } from './receipt-build.js';
import type { PreparedWitness } from './receipt-build.js';
import { ArtifactError } from '../errors.js';
import { saltName } from '../codegen/circom.js';
import type { VerifyResult } from '../verify/verify.js';

export { DEV_SETUP_NOTE, toTensors } from './receipt-build.js';

export interface ProveParams {
  dir: string;
  inputPath: string;
  /** The address the proof is bound to (circuits compiled with `bindProver`): only it can submit the proof to a registry. */
  prover?: string;
  onProgress?: (message: string) => void;
}

export interface ProveResult {
  receipt: Receipt;
  /** Salts and values opening the receipt's commitments (hashed visibility): keep it private. */
  opening?: Opening;
  /** Decoded outputs, also when the output is hashed (then only the prover sees them). */
  outputs: ReceiptTensor[];
  /** The prover's self-check: verify's result against the artifacts (always ok: otherwise SelfCheckError). */
  verified: VerifyResult;
  /** Seconds of the witness, of Groth16 (curve start-up included), and of the self-check. */
  seconds: { witness: number; prove: number; verify: number };
}

/** The artifacts of one circuit, loaded and checked once, ready to prove any number of inputs. */
export interface Prover {
  dir: string;
  compiled: CompiledInfo;
  /** Prove one input file (quantize → reference evaluation → witness → Groth16) and build its receipt. */
  prove(inputPath: string, onProgress?: (message: string) => void): Promise<ProveResult>;
  /**
   * Prove input integers (already quantized: a segment's boundary values) with the commitment salts given
   * (a boundary's salt is shared with the neighbouring segment); commitments without a salt here get a random one.
   */
  proveInts(inputs: bigint[][], salts?: { input?: bigint; output?: bigint }): Promise<ProveResult>;
}

export interface LoadProverParams {
  dir: string;
  /**
   * Read the proving key into memory and instantiate the witness generator now, so that every proof
   * reuses them (for proving many inputs in one process). Default false: read per proof.
   */
  preload?: boolean;
  /** The address every proof is bound to (circuits compiled with `bindProver`). */
  prover?: string;
}

export function readProgram(dir: string): Program {
  const file = artifactPaths(dir).program;
  try {
    return programFromJson(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new ArtifactError(`${file}: missing or unreadable (${(e as Error).message})`, { hint: `run 'zkinfer compile' again into ${dir}` });
  }
}

/** An input file as the circuit's input signals (quantized, range-checked, salts and private parameters included). */
export function circuitInputFor(dir: string, inputPath: string, compiled = readCompiled(dir), program = readProgram(dir), prover?: string): PreparedWitness {
  const specs = inputSpecs(compiled);
  const ints = readInputFile(inputPath, specs).map((v, i) => quantizeInput(v, specs[i]!, inputPath));
  const paramsSalt = compiled.layout.visibility.params === 'hashed' ? BigInt(readParamsOpening(dir).salt) : undefined;
  return prepareWitness(compiled, program, ints, paramsSalt, prover);
}

/**
 * Load and check a circuit's artifacts (compiled.json, keys, verification-key hash, integer program).
 * @example const prover = await loadProver({ dir: 'build/model', preload: true }); await prover.prove('a.json');
 */
export async function loadProver(params: LoadProverParams): Promise<Prover> {
  const paths = artifactPaths(params.dir);
  const compiled: CompiledInfo = readCompiled(params.dir);
  const setup: SetupInfo = readSetup(params.dir, compiled);
  const vk = readJson<Record<string, unknown>>(paths.vkey, 'verification key');
  const program = readProgram(params.dir);
  let zkey: string | { type: 'mem'; data: Uint8Array } = paths.zkey;
  if (params.preload) {
    try {
      zkey = { type: 'mem', data: new Uint8Array(readFileSync(paths.zkey)) };
    } catch (e) {
      throw new ArtifactError(`${paths.zkey}: cannot read the proving key (${(e as Error).message})`, { hint: `run 'zkinfer setup ${params.dir}' again` });
    }
    await warmCurve(); // before the witness wasm: see toolchain/curve.ts
    await defaultWitnessCalculators.get(paths.wasm);
  }
  const paramsSalt = (): bigint | undefined => (compiled.layout.visibility.params === 'hashed' ? BigInt(readParamsOpening(params.dir).salt) : undefined);
  const run = async (prepared: PreparedWitness, onProgress?: (message: string) => void): Promise<ProveResult> => {
    const progress = onProgress ?? (() => {});
    const tc = performance.now();
    await warmCurve(); // before the witness wasm is instantiated: see toolchain/curve.ts
    const curveSeconds = (performance.now() - tc) / 1000; // the prover's fixed cost: counted in its seconds
    progress('prove: computing witness');
    const t0 = performance.now();
    const wtns = await calculateWtns({ wasmPath: paths.wasm, input: prepared.circuitInput });
    const t1 = performance.now();
    progress(`prove: Groth16 proof over ${compiled.constraints.total} constraints`);
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns);
    const t2 = performance.now();
    progress('prove: checking the receipt with verify');
    const r = await assembleReceipt({ compiled, setup, vk, prepared, proof, publicSignals, vkLabel: paths.vkey });
    const t3 = performance.now();
    return { ...r, seconds: { witness: (t1 - t0) / 1000, prove: curveSeconds + (t2 - t1) / 1000, verify: (t3 - t2) / 1000 } };
  };
  const prove = (inputPath: string, onProgress?: (message: string) => void) => run(circuitInputFor(params.dir, inputPath, compiled, program, params.prover), onProgress);
  const proveInts = (inputs: bigint[][], salts: { input?: bigint; output?: bigint } = {}) => {
    const prepared = prepareWitness(compiled, program, inputs, paramsSalt(), params.prover);
    for (const of of ['input', 'output'] as const) {
      const salt = salts[of];
      if (salt === undefined || prepared.salts[of] === undefined) continue; // only commitments the circuit has
      prepared.salts[of] = salt;
      prepared.circuitInput[saltName(of)] = salt;
    }
    return run(prepared);
  };
  return { dir: params.dir, compiled, prove, proveInts };
}

/**
 * Prove one inference and package it as a receipt.
 * @example const { receipt } = await proveInference({ dir: 'build/model', inputPath: 'input.json' });
 */
export async function proveInference(params: ProveParams): Promise<ProveResult> {
  return (await loadProver({ dir: params.dir, prover: params.prover })).prove(params.inputPath, params.onProgress);
}
