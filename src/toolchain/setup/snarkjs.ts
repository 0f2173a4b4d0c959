/** The snarkjs side of setup (loaded lazily): newZKey + contribution, verification-key export, the JSON sidecar. */
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { SetupError } from '../../errors.js';
import { type OnSetupProgress, type VerificationKey, report } from './types.js';

export async function writeJsonSidecar(zkeyPath: string, data: Record<string, unknown>): Promise<string> {
  const sidecarPath = `${zkeyPath}.setup.json`;
  await writeFile(sidecarPath, JSON.stringify(data, null, 2) + '\n');
  return sidecarPath;
}

export interface SnarkjsZKeyApi {
  newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
  contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
  exportVerificationKey(zkey: string, logger?: unknown): Promise<Record<string, unknown>>;
}

export interface SnarkjsPtauApi {
  verify(ptau: string, logger?: unknown): Promise<boolean>;
}

/** snarkjs's key and ptau APIs, loaded on first use (snarkjs takes a while to import). */
export async function snarkjsApis(): Promise<{ zKey: SnarkjsZKeyApi; powersOfTau: SnarkjsPtauApi }> {
  const snarkjs = await import('snarkjs');
  return { zKey: snarkjs.zKey as unknown as SnarkjsZKeyApi, powersOfTau: snarkjs.powersOfTau as unknown as SnarkjsPtauApi };
}

/**
 * Run snarkjs work that needs its global multi-threaded curve, and terminate that curve afterwards if it
 * was not running before (its worker threads would otherwise keep the process alive).
 */
export async function withSnarkjsCurve<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const hadCurve = !!g.curve_bn128;
  try {
    return await fn();
  } finally {
    if (!hadCurve) await g.curve_bn128?.terminate();
  }
}

export async function exportVkey(zkeyPath: string): Promise<VerificationKey> {
  const { zKey } = await snarkjsApis();
  return (await zKey.exportVerificationKey(zkeyPath)) as VerificationKey;
}

/** snarkjs newZKey into a temporary file, then one contribution with fresh random entropy into zkeyPath. */
export async function newKeyWithContribution(r1csPath: string, ptauPath: string, zkeyPath: string, name: string, onProgress?: OnSetupProgress, entropy = ''): Promise<void> {
  const { zKey } = await snarkjsApis();
  const init = `${zkeyPath}.${process.pid}.${randomBytes(6).toString('hex')}.init`;
  try {
    report(onProgress, { stage: 'snarkjs:newZKey', done: 0, total: 1 });
    const r = await zKey.newZKey(r1csPath, ptauPath, init);
    if (!(r instanceof Uint8Array)) {
      throw new SetupError(`snarkjs newZKey failed for ${r1csPath} with ${ptauPath}`, { hint: 'check that the ptau is prepared (phase 2) and large enough' });
    }
    report(onProgress, { stage: 'snarkjs:contribute', done: 0, total: 1 });
    await zKey.contribute(init, zkeyPath, name, randomBytes(32).toString('hex') + entropy);
    report(onProgress, { stage: 'snarkjs:contribute', done: 1, total: 1 });
  } finally {
    await unlink(init).catch(() => undefined);
  }
}

