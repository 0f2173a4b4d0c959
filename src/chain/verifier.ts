/** Solidity Groth16 verifier for a circuit, from snarkjs's own template. */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { artifactPaths, writeFileAtomic } from '../artifacts/layout.js';
import { readCompiled, readSetup } from '../setup.js';
import { ArtifactError } from '../errors.js';

const require = createRequire(import.meta.url);

export interface ExportVerifierParams {
  dir: string;
  outPath?: string;
}

/**
 * The Solidity verifier source for the keys in `dir` (snarkjs's template, contract `Groth16Verifier`).
 * @example const sol = await verifierSource({ dir: 'build/model' });
 */
export async function verifierSource(params: { dir: string }): Promise<string> {
  const paths = artifactPaths(params.dir);
  const compiled = readCompiled(params.dir);
  readSetup(params.dir, compiled);
  if (!existsSync(paths.zkey)) throw new ArtifactError(`${paths.zkey}: proving key not found`, { hint: `run 'zkinfer setup ${params.dir}' first` });
  const template = readFileSync(path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  return snarkjs.zKey.exportSolidityVerifier(paths.zkey, { groth16: template }, undefined);
}

/**
 * Render the Solidity verifier for the keys in `dir`.
 * @example await exportVerifier({ dir: 'build/model', outPath: 'Verifier.sol' });
 */
export async function exportVerifier(params: ExportVerifierParams): Promise<{ path: string; bytes: number; nPublic: number }> {
  const paths = artifactPaths(params.dir);
  const compiled = readCompiled(params.dir);
  const sol = await verifierSource({ dir: params.dir });
  const out = params.outPath ?? paths.verifier;
  writeFileAtomic(out, sol);
  return { path: out, bytes: Buffer.byteLength(sol), nPublic: compiled.nPublic };
}
