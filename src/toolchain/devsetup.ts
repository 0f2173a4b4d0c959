/**
 * Groth16 trusted setup: a fast *development* setup computed from known secrets, and a production setup
 * (snarkjs newZKey + one contribution) over a user-given ceremony ptau.
 *
 * A dev setup is single-party with known toxic waste, so instead of snarkjs's group FFTs
 * (`powersoftau prepare phase2`: O(P·2^P) scalar multiplications) every point is computed directly as
 * generator × (a known scalar): τ^i, α·τ^i, Lagrange values L_i(τ) (field arithmetic with BigInt), and for
 * the proving key the per-signal sums Σ coef·L_c(τ) from the R1CS. The scalar multiplications run in
 * worker threads on the curve library's own WebAssembly (the bn128 module of ffjavascript/wasmcurves),
 * with fixed-base signed-window tables: about 255/w mixed additions per point instead of ~380
 * doublings/additions.
 *
 * The files are written in exactly snarkjs's binary formats; the tests compare them byte for byte with
 * `powersoftau prepare phase2` and `zkey new` output and check them with `powersoftau verify` and
 * `zkey verify`. The secrets are random unless given (tests give them) and are never stored.
 *
 * Files: setup/field.ts (BN254 scalar field with BigInt, Lagrange values, byte helpers), setup/msm.ts (the
 * fixed-base MSM engine in worker threads), setup/binfile.ts (binfileutils files, r1cs reading),
 * setup/ptau.ts (the dev ptau writer), setup/zkey.ts (the dev zkey writer), setup/snarkjs.ts (snarkjs
 * calls), setup/types.ts (parameters and results). This file: the entry points.
 */
import path from 'node:path';
import { PtauTooSmallError, SetupError } from '../errors.js';
import { type BinSection, readR1cs, readRange, readSectionTable } from './setup/binfile.js';
import { Q, R, circuitPower, fmod, lagrangeValues, packScalars, rootOfUnity } from './setup/field.js';
import { type GroupId, PointPool, chooseWindow, engine } from './setup/msm.js';
import { getDevPtau } from './setup/ptau.js';
import { exportVkey, newKeyWithContribution, snarkjsApis, withSnarkjsCurve, writeJsonSidecar } from './setup/snarkjs.js';
import { DEV_ZKEY_CONTRIBUTION_NAME, type DevSetupParameters, type ProductionSetupParameters, type SetupReturnType } from './setup/types.js';
import { devSetupDirect } from './setup/zkey.js';

export type * from './setup/types.js';
export { DEV_PTAU_CONTRIBUTION_NAME, DEV_ZKEY_CONTRIBUTION_NAME } from './setup/types.js';
export { circuitPower } from './setup/field.js';
export { devPtauFileName, devPtauFileSize, getDevPtau, writeDevPtau } from './setup/ptau.js';

/**
 * A Groth16 proving key for a development setup: single party, toxic waste known to this process,
 * computed directly from the R1CS (default) — or, with method "snarkjs", via a cached dev ptau,
 * snarkjs newZKey and one random contribution. δ is random, with a valid contribution record, so the key
 * passes `snarkjs zkey verify` against a ptau with the same τ, α, β. The key is marked insecure: its
 * contribution is named "…INSECURE…", the return value has `dev: true`, and `<zkey>.setup.json` says so.
 *
 * @example
 * const { zkeyPath, vkey } = await devSetup({ r1csPath: 'build/model.r1cs', zkeyPath: 'build/model.zkey' });
 */
export async function devSetup(params: DevSetupParameters): Promise<SetupReturnType> {
  const method = params.method ?? 'direct';
  return withSnarkjsCurve(() => (method === 'snarkjs' ? devSetupViaSnarkjs(params) : devSetupDirect(params)));
}



async function devSetupViaSnarkjs(params: DevSetupParameters): Promise<SetupReturnType> {
  const t0 = performance.now();
  if (!params.cacheDir) throw new SetupError('devSetup with method "snarkjs" needs a cacheDir for the dev ptau');
  const r1cs = await readR1cs(params.r1csPath);
  const power = circuitPower(r1cs.nConstraints, r1cs.nOutputs + r1cs.nPubInputs);
  const { ptauPath } = await getDevPtau({ power: Math.max(power, params.ptauPower ?? power), cacheDir: params.cacheDir, onProgress: params.onProgress });
  await newKeyWithContribution(params.r1csPath, ptauPath, params.zkeyPath, DEV_ZKEY_CONTRIBUTION_NAME, params.onProgress);
  const vkey = await exportVkey(params.zkeyPath);
  const sidecarPath = await writeJsonSidecar(params.zkeyPath, {
    setup: 'dev',
    insecure: true,
    note: 'single-party development setup: the toxic waste was known to the process that made this key',
    method: 'snarkjs',
    power,
    ptau: path.basename(ptauPath),
    createdAt: new Date().toISOString(),
  });
  const seconds = (performance.now() - t0) / 1000;
  return { zkeyPath: params.zkeyPath, vkey, power, seconds, dev: true, method: 'snarkjs', sidecarPath };
}


/** Power and preparation state of a ptau file, from its header and section table. */
export async function readPtauInfo(ptauPath: string): Promise<{ power: number; ceremonyPower: number; prepared: boolean }> {
  let sections: Map<number, BinSection[]>;
  try {
    sections = await readSectionTable(ptauPath, 'ptau');
  } catch (e) {
    if (e instanceof SetupError) throw e;
    throw new SetupError(`cannot read the ptau file ${ptauPath}: ${(e as Error).message}`, { cause: e });
  }
  const h = sections.get(1)?.[0];
  if (!h) throw new SetupError(`${ptauPath}: no ptau header`);
  const head = await readRange(ptauPath, h);
  const dv = new DataView(head.buffer);
  const n8 = dv.getUint32(0, true);
  let q = 0n;
  for (let i = n8 - 1; i >= 0; i--) q = (q << 8n) | BigInt(head[4 + i]!);
  if (q !== Q) throw new SetupError(`${ptauPath}: not a BN254 (bn128) powers-of-tau file`);
  const power = dv.getUint32(4 + n8, true);
  const ceremonyPower = dv.getUint32(8 + n8, true);
  const prepared = [12, 13, 14, 15].every((id) => sections.has(id));
  return { power, ceremonyPower, prepared };
}

/**
 * A production proving key: snarkjs newZKey over a prepared ceremony ptau, then one random contribution.
 * Throws PtauTooSmallError when the ptau's power is below the circuit's, SetupError when it is not a
 * prepared BN254 ptau.
 *
 * @example
 * await productionSetup({ r1csPath: 'build/model.r1cs', ptauPath: 'pot16_final.ptau', zkeyPath: 'build/model.zkey' });
 */
export async function productionSetup(params: ProductionSetupParameters): Promise<SetupReturnType> {
  const t0 = performance.now();
  const r1cs = await readR1cs(params.r1csPath);
  const power = circuitPower(r1cs.nConstraints, r1cs.nOutputs + r1cs.nPubInputs);
  const info = await readPtauInfo(params.ptauPath);
  if (info.power < power) throw new PtauTooSmallError(info.power, power);
  if (!info.prepared) {
    throw new SetupError(`${params.ptauPath} is not prepared for phase 2 (no Lagrange sections)`, {
      hint: 'run `snarkjs powersoftau prepare phase2` on it, or download a *_final.ptau file',
    });
  }
  return withSnarkjsCurve(async () => {
    if (params.verifyPtau && !(await (await snarkjsApis()).powersOfTau.verify(params.ptauPath))) {
      throw new SetupError(`${params.ptauPath} does not pass snarkjs powersoftau verify`);
    }
    await newKeyWithContribution(params.r1csPath, params.ptauPath, params.zkeyPath, params.name ?? 'zkinfer phase-2 contribution', undefined, params.entropy);
    const vkey = await exportVkey(params.zkeyPath);
    const sidecarPath = await writeJsonSidecar(params.zkeyPath, {
      setup: 'production',
      insecure: false,
      method: 'snarkjs',
      power,
      ptau: path.basename(params.ptauPath),
      ptauPower: info.power,
      createdAt: new Date().toISOString(),
    });
    const seconds = (performance.now() - t0) / 1000;
    return { zkeyPath: params.zkeyPath, vkey, power, seconds, dev: false, method: 'production' as const, sidecarPath };
  });
}

/** Tests only: generator × each scalar through the point workers with window width w (affine, LEM layout). */
async function fixedBaseMul(group: GroupId, scalars: bigint[], w: number): Promise<Uint8Array> {
  const pool = await PointPool.start(await engine());
  try {
    pool.setWindow(group, w);
    const b = await pool.mul({ group, scalars: packScalars(scalars.length, (i) => fmod(scalars[i]!)), lem: true });
    return b.lem!;
  } finally {
    await pool.close();
  }
}

/** Internals exposed for the tests (not part of the API). */
export const _internal = { rootOfUnity, lagrangeValues, chooseWindow, fixedBaseMul, R };
