/**
 * The artifact directory of one compiled model. All paths in one place.
 *
 *     DIR/compiled.json   what compile produced: hashes, settings, input/output specs, constraint counts
 *     DIR/fidelity.json   quantized vs float error on the calibration samples
 *     DIR/program.json    the quantized integer program (its reference evaluator runs at prove time)
 *     DIR/circuit.circom  generated source            DIR/circuit.r1cs, circuit.sym, circuit_js/circuit.wasm
 *     DIR/setup.json      what setup produced: vk hash, dev flag, ptau power
 *     DIR/circuit.zkey    proving key                 DIR/verification_key.json
 *     DIR/Verifier.sol    Solidity verifier (export-verifier)
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { ArtifactError } from '../errors.js';

export const CIRCUIT_NAME = 'circuit';

export const artifactPaths = (dir: string) => ({
  dir,
  compiled: path.join(dir, 'compiled.json'),
  fidelity: path.join(dir, 'fidelity.json'),
  program: path.join(dir, 'program.json'),
  paramsOpening: path.join(dir, 'params.opening.json'),
  source: path.join(dir, `${CIRCUIT_NAME}.circom`),
  r1cs: path.join(dir, `${CIRCUIT_NAME}.r1cs`),
  sym: path.join(dir, `${CIRCUIT_NAME}.sym`),
  wasm: path.join(dir, `${CIRCUIT_NAME}_js`, `${CIRCUIT_NAME}.wasm`),
  setup: path.join(dir, 'setup.json'),
  zkey: path.join(dir, `${CIRCUIT_NAME}.zkey`),
  vkey: path.join(dir, 'verification_key.json'),
  verifier: path.join(dir, 'Verifier.sol'),
});

export type ArtifactPaths = ReturnType<typeof artifactPaths>;

export function readJson<T>(file: string, what: string, hint?: string): T {
  if (!existsSync(file)) throw new ArtifactError(`${file}: ${what} not found`, { hint });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ArtifactError(`${file}: ${what} is not valid JSON (${(e as Error).message})`, { hint });
  }
}

/** Write atomically (temp file + rename) so a crash never leaves a half-written artifact. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export const writeJson = (file: string, v: unknown): void => writeFileAtomic(file, `${JSON.stringify(v, null, 2)}\n`);
