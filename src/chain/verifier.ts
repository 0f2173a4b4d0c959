/** Solidity Groth16 verifier for a circuit, from snarkjs's own template. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { artifactPaths, readJson, writeFileAtomic } from '../artifacts/layout.js';
import { readCompiled, readSetup } from '../setup.js';
import { ArtifactError } from '../errors.js';

const require = createRequire(import.meta.url);

export interface ExportVerifierParams {
  dir: string;
  outPath?: string;
}

let template: ((vk: object) => string) | undefined;

/**
 * snarkjs's Groth16 verifier template (`templates/verifier_groth16.sol.ejs`), compiled once into a function of
 * the verification key: `<%= expr %>` and `<% code %>` evaluated against the key's fields, as ejs does (no
 * escaping is needed: the template prints only numbers). snarkjs renders the same template with the key it reads
 * from a zkey; rendering it from the key itself makes the verifier a function of the key alone.
 */
function groth16Template(): (vk: object) => string {
  if (template) return template;
  const text = readFileSync(path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  const body = text
    .split(/(<%=?[\s\S]*?%>)/)
    .map((part) => (part.startsWith('<%=') ? `out += String(${part.slice(3, -2)});` : part.startsWith('<%') ? part.slice(2, -2) : `out += ${JSON.stringify(part)};`))
    .join('\n');
  const f = new Function('vk', `let out = ''; with (vk) {\n${body}\n} return out;`) as (vk: object) => string;
  template = f;
  return f;
}

/**
 * The Solidity verifier source for a Groth16 verification key (snarkjs's template, contract `Groth16Verifier`).
 * @example const sol = verifierSourceFromKey(receipt.verificationKey);
 */
export function verifierSourceFromKey(vk: object): string {
  // The key may come from anyone (a receipt): only decimal numbers and a consistent count reach the template.
  const k = vk as Record<string, unknown>;
  const dec = (x: unknown): boolean => typeof x === 'string' && /^\d{1,78}$/.test(x);
  const g1 = (p: unknown): boolean => Array.isArray(p) && p.length >= 2 && dec(p[0]) && dec(p[1]);
  const g2 = (p: unknown): boolean => Array.isArray(p) && p.length >= 2 && p.slice(0, 2).every((q) => Array.isArray(q) && q.length >= 2 && dec(q[0]) && dec(q[1]));
  const ok = k.protocol === 'groth16' && Array.isArray(k.IC) && k.nPublic === k.IC.length - 1 && k.IC.every(g1) && g1(k.vk_alpha_1) && g2(k.vk_beta_2) && g2(k.vk_gamma_2) && g2(k.vk_delta_2);
  if (!ok) throw new ArtifactError('not a Groth16 verification key (protocol, nPublic, IC and the alpha/beta/gamma/delta points as decimal numbers)', { hint: "pass a snarkjs verification key, e.g. a receipt's verificationKey" });
  return groth16Template()(vk);
}

/**
 * The Solidity verifier source for the keys in `dir`.
 * @example const sol = await verifierSource({ dir: 'build/model' });
 */
export async function verifierSource(params: { dir: string }): Promise<string> {
  const paths = artifactPaths(params.dir);
  const compiled = readCompiled(params.dir);
  readSetup(params.dir, compiled);
  return verifierSourceFromKey(readJson<object>(paths.vkey, 'verification key', `run 'zkinfer setup ${params.dir}' first`));
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
