/**
 * setup: Groth16 keys for a compiled circuit. Without a ptau, a development setup whose secrets are
 * generated locally (and thrown away) — marked insecure in setup.json and in every receipt. With a
 * ptau from a public ceremony, snarkjs's own phase-2 path.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { artifactPaths, readJson, writeJson } from './artifacts/layout.js';
import type { CompiledInfo } from './compile.js';
import { buildToken } from './compile.js';
import { sha256 } from './artifacts/hash.js';
import { devSetup, productionSetup } from './toolchain/devsetup.js';
import { KEY_FORMAT, vkHash } from './receipt.js';
import { canonicalJson } from './artifacts/hash.js';
import type { KeyBinding } from './receipt.js';
import { ArtifactError } from './errors.js';

export const SETUP_FORMAT = 'zkinfer.setup/1';

/** The setup format and the zkinfer build (version, key-binding format, compiler sources): keys made by another are not reused. */
export const setupToken = (): string => sha256(SETUP_FORMAT, '\n', buildToken());

export interface SetupInfo {
  format: typeof SETUP_FORMAT;
  /** setupToken of the zkinfer that made the keys. */
  build?: string;
  circuitHash: string;
  vkHash: string;
  dev: boolean;
  ptau: { power: number; source: string };
  seconds: number;
}

export interface SetupParams {
  dir: string;
  /** A prepared phase-2 .ptau from a ceremony; omit for a dev setup. */
  ptauPath?: string;
  /** Where dev ptau files are cached (default: $ZKINFER_CACHE or ~/.cache/zkinfer). */
  cacheDir?: string;
  onProgress?: (message: string) => void;
}

export const defaultCacheDir = (): string => process.env.ZKINFER_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'zkinfer');

export const readCompiled = (dir: string): CompiledInfo =>
  readJson<CompiledInfo>(artifactPaths(dir).compiled, 'compiled.json', `run 'zkinfer compile <model> -o ${dir}' first`);

export function readSetup(dir: string, compiled: CompiledInfo): SetupInfo {
  const s = readJson<SetupInfo>(artifactPaths(dir).setup, 'setup.json', `run 'zkinfer setup ${dir}' first`);
  if (s.circuitHash !== compiled.circuitHash) {
    throw new ArtifactError(`${dir}: the keys belong to another circuit (setup ${s.circuitHash.slice(0, 12)}…, circuit ${compiled.circuitHash.slice(0, 12)}…)`, { hint: `run 'zkinfer setup ${dir}' again` });
  }
  return s;
}

/** Pass progress on at most every 2 s, not once per chunk. */
function throttled(progress: (m: string) => void): (m: string) => void {
  let last = performance.now();
  return (m) => {
    const now = performance.now();
    if (now - last < 2000) return;
    last = now;
    progress(m);
  };
}

/**
 * What zkinfer binds into the verification key (and so its hash): the model (hashes, file and graph name), the
 * weights' commitment with hashed params, the circuit, and the meaning of every public signal.
 */
export function keyBinding(compiled: CompiledInfo, dev: boolean): KeyBinding {
  return {
    format: KEY_FORMAT,
    circuitHash: compiled.circuitHash,
    model: { fileSha256: compiled.model.fileSha256, quantizedSha256: compiled.model.quantizedSha256, file: compiled.model.file, name: compiled.model.name },
    ...(compiled.paramsCommitment !== undefined ? { paramsCommitment: compiled.paramsCommitment } : {}),
    layout: compiled.layout,
    ...(compiled.batch !== undefined ? { batch: compiled.batch } : {}),
    inputs: compiled.inputs.map(({ name, shape, scale }) => ({ name, shape, scale })),
    outputs: compiled.outputs,
    devSetup: dev,
    settings: {
      scale: compiled.settings.scale,
      paramBits: compiled.settings.paramBits,
      inputs: compiled.inputs.map(({ name, shape, scale, min, max }) => ({ name, shape, scale, min, max })),
      ...(compiled.settings.outputScale !== undefined ? { outputScale: compiled.settings.outputScale } : {}),
    },
  };
}

/** Write the bound verification key and setup.json (with the key's hash). */
function writeKey(dir: string, vk: Record<string, unknown>, info: SetupInfo): SetupInfo {
  const paths = artifactPaths(dir);
  writeJson(paths.vkey, vk);
  const out = { ...info, vkHash: vkHash(vk) };
  writeJson(paths.setup, out);
  return out;
}

/**
 * Create (or reuse, when they belong to the current circuit) the proving and verification keys.
 * @example await setupKeys({ dir: 'build/model' });
 */
export async function setupKeys(params: SetupParams): Promise<{ info: SetupInfo; cached: boolean }> {
  const progress = params.onProgress ?? (() => {});
  const paths = artifactPaths(params.dir);
  const compiled = readCompiled(params.dir);
  if (existsSync(paths.setup) && existsSync(paths.zkey) && existsSync(paths.vkey)) {
    const prev = readJson<SetupInfo>(paths.setup, 'setup.json');
    const wantDev = !params.ptauPath;
    if (prev.format === SETUP_FORMAT && prev.build === setupToken() && prev.circuitHash === compiled.circuitHash && prev.dev === wantDev && (wantDev || prev.ptau.source === path.resolve(params.ptauPath!))) {
      const prevVk = readJson<Record<string, unknown>>(paths.vkey, 'verification key');
      const binding = keyBinding(compiled, prev.dev);
      if (canonicalJson(prevVk.zkinfer) === canonicalJson(binding)) {
        progress('setup: keys up to date for this circuit');
        return { info: prev, cached: true };
      }
      // Same Groth16 keys, an older binding (e.g. zkinfer.key/1): rewrite the binding, so the key hash changes.
      progress('setup: keys up to date for this circuit; binding the model into the key anew (its hash changes)');
      return { info: writeKey(params.dir, { ...prevVk, zkinfer: binding }, { ...prev, seconds: 0 }), cached: false };
    }
  }
  const t0 = performance.now();
  let vk: Record<string, unknown>;
  let power: number;
  let source: string;
  if (params.ptauPath) {
    progress(`setup: Groth16 phase 2 from ${params.ptauPath}`);
    const r = await productionSetup({ r1csPath: paths.r1cs, ptauPath: params.ptauPath, zkeyPath: paths.zkey });
    vk = r.vkey;
    power = r.power;
    source = path.resolve(params.ptauPath);
  } else {
    progress(`setup: development keys for 2^${compiled.ptauPower} (INSECURE: single-party, for testing only)`);
    const r = await devSetup({ r1csPath: paths.r1cs, zkeyPath: paths.zkey, cacheDir: params.cacheDir ?? defaultCacheDir(), onProgress: throttled(progress) });
    vk = r.vkey;
    power = r.power;
    source = 'dev';
  }
  const info = writeKey(params.dir, { ...vk, zkinfer: keyBinding(compiled, !params.ptauPath) }, {
    format: SETUP_FORMAT,
    build: setupToken(),
    circuitHash: compiled.circuitHash,
    vkHash: '',
    dev: !params.ptauPath,
    ptau: { power, source },
    seconds: (performance.now() - t0) / 1000,
  });
  return { info, cached: false };
}
