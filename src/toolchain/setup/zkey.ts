/**
 * Step 2 of a dev setup: the dev proving key computed directly from the R1CS and known secrets, in snarkjs's zkey format.
 */
import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { PtauTooSmallError, SetupError } from '../../errors.js';
import { BinWriter, type R1csFile, readR1cs } from './binfile.js';
import { MAX_POWER, MONT_R2, Q, R, bigLE, checkScalar, circuitPower, concatBytes, finv, fmod, fpow, lagrangeValues, packScalars, randomScalar, readScalarLE, u32be, u32le, writeScalarLE } from './field.js';
import { PointPool, type PointStream, SG, affine, blake512, engine, hashToG2, runStreams, uncompressed } from './msm.js';
import { exportVkey, writeJsonSidecar } from './snarkjs.js';
import { DEV_ZKEY_CONTRIBUTION_NAME, type DevSetupParameters, type SetupReturnType, report } from './types.js';

export interface KeyScalars {
  nPublic: number;
  power: number;
  domainSize: number;
  /** Per signal: A_s(τ), B_s(τ), β·A_s(τ) + α·B_s(τ) + C_s(τ). */
  a: bigint[];
  b: bigint[];
  k: bigint[];
  /** Section 4 bytes (coefficients of A and B, ×R², plus the public-input rows). */
  coeffs: Uint8Array;
}

/** One pass over the constraints: the QAP polynomials of every signal evaluated at τ, and the coefficient section. */
export function keyScalars(r1cs: R1csFile, tau: bigint, alpha: bigint, beta: bigint): KeyScalars {
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  const power = circuitPower(r1cs.nConstraints, nPublic);
  if (power > MAX_POWER) throw new SetupError(`circuit too large for this setup (domain 2^${power})`);
  const domainSize = 2 ** power;
  const L = lagrangeValues(tau, { bits: power, start: 0, count: r1cs.nConstraints + nPublic + 1 });
  const nVars = r1cs.nVars;
  const a = new Array<bigint>(nVars).fill(0n);
  const b = new Array<bigint>(nVars).fill(0n);
  const c = new Array<bigint>(nVars).fill(0n);
  const cons = r1cs.constraints;
  const dv = new DataView(cons.buffer, cons.byteOffset, cons.byteLength);
  const entry = 12 + 32;

  // pass 1: count A and B terms
  let pos = 0;
  let nCoefs = nPublic + 1;
  for (let ci = 0; ci < r1cs.nConstraints; ci++) {
    for (let m = 0; m < 3; m++) {
      const n = dv.getUint32(pos, true);
      if (m < 2) nCoefs += n;
      pos += 4 + n * (4 + r1cs.n8);
    }
  }
  if (pos !== cons.byteLength) throw new SetupError('malformed r1cs: constraint section size mismatch');

  const coeffs = new Uint8Array(4 + nCoefs * entry);
  const cv = new DataView(coeffs.buffer);
  cv.setUint32(0, nCoefs, true);
  let cp = 4;
  const putCoef = (matrix: number, constraint: number, signal: number, coef: bigint) => {
    cv.setUint32(cp, matrix, true);
    cv.setUint32(cp + 4, constraint, true);
    cv.setUint32(cp + 8, signal, true);
    writeScalarLE(cv, cp + 12, (coef * MONT_R2) % R);
    cp += entry;
  };

  // pass 2: accumulate (unreduced) Σ coef·L_c per signal
  const accs = [a, b, c];
  pos = 0;
  for (let ci = 0; ci < r1cs.nConstraints; ci++) {
    const Lc = L[ci]!;
    for (let m = 0; m < 3; m++) {
      const acc = accs[m]!;
      const n = dv.getUint32(pos, true);
      pos += 4;
      for (let t = 0; t < n; t++) {
        const s = dv.getUint32(pos, true);
        const coef = readScalarLE(dv, pos + 4);
        pos += 4 + r1cs.n8;
        if (s >= nVars) throw new SetupError(`malformed r1cs: signal ${s} out of range in constraint ${ci}`);
        acc[s] = acc[s]! + (coef === 1n ? Lc : coef * Lc);
        if (m < 2) putCoef(m, ci, s, coef);
      }
    }
  }
  // Extra rows binding the public signals (and 1): A_s += L_{nConstraints+s}.
  for (let s = 0; s <= nPublic; s++) {
    a[s] = a[s]! + L[r1cs.nConstraints + s]!;
    putCoef(0, r1cs.nConstraints + s, s, 1n);
  }
  const k = new Array<bigint>(nVars);
  for (let s = 0; s < nVars; s++) {
    a[s] = fmod(a[s]!);
    b[s] = fmod(b[s]!);
    k[s] = fmod(beta * a[s]! + alpha * b[s]! + c[s]!);
  }
  return { nPublic, power, domainSize, a, b, k, coeffs };
}

export async function devSetupDirect(params: DevSetupParameters): Promise<SetupReturnType> {
  const t0 = performance.now();
  const r1cs = await readR1cs(params.r1csPath);
  const sec = params.secrets;
  const tau = checkScalar('tau', sec?.tau ?? randomScalar());
  const alpha = checkScalar('alpha', sec?.alpha ?? randomScalar());
  const beta = checkScalar('beta', sec?.beta ?? randomScalar());
  const delta = checkScalar('delta', sec?.delta ?? randomScalar());
  const eng = await engine();
  const { G1, G2 } = eng.curve;

  report(params.onProgress, { stage: 'zkey:constraints', done: 0, total: r1cs.nConstraints });
  const ks = keyScalars(r1cs, tau, alpha, beta);
  const { nPublic, power, domainSize: m } = ks;
  const ptauPower = params.ptauPower ?? power;
  if (!Number.isInteger(ptauPower) || ptauPower < power) throw new PtauTooSmallError(ptauPower, power);
  report(params.onProgress, { stage: 'zkey:constraints', done: r1cs.nConstraints, total: r1cs.nConstraints });

  const nVars = r1cs.nVars;
  const nC = nVars - nPublic - 1;
  const deltaInv = finv(delta);
  const withDelta = delta !== 1n;

  // H: odd Lagrange points of the 2m domain (as snarkjs takes them from the ptau), divided by δ;
  // csHash uses (τ^(m+i) − τ^i)·G1 for i < m−1 instead.
  const hScalars = (start: number, count: number) => {
    const L = lagrangeValues(tau, { bits: power + 1, start: 2 * start + 1, count, stride: 2, dropTop: ptauPower === power });
    return packScalars(count, (i) => (L[i]! * deltaInv) % R);
  };
  const zt = fmod(fpow(tau, BigInt(m)) - 1n);
  const hHashScalars = (start: number, count: number) => {
    let x = (zt * fpow(tau, BigInt(start))) % R;
    return packScalars(count, () => {
      const v = x;
      x = (x * tau) % R;
      return v;
    });
  };
  const from = (arr: bigint[], offset = 0, factor = 1n) => (start: number, count: number) =>
    packScalars(count, (i) => (factor === 1n ? arr[offset + start + i]! : (arr[offset + start + i]! * factor) % R));

  type Stream = PointStream & { id?: number; hashOnly?: boolean };
  const streams: Stream[] = [
    { id: 3, group: 1, n: nPublic + 1, scalars: from(ks.k), want: { lem: true, u: true }, stage: 'zkey:IC' },
    { id: 9, group: 1, n: m, scalars: hScalars, want: { lem: true }, stage: 'zkey:H' },
    { hashOnly: true, group: 1, n: m - 1, scalars: hHashScalars, want: { u: true }, stage: 'zkey:H (hash)' },
    ...(withDelta
      ? [
          { id: 8, group: 1 as const, n: nC, scalars: from(ks.k, nPublic + 1, deltaInv), want: { lem: true }, stage: 'zkey:C' },
          { hashOnly: true, group: 1 as const, n: nC, scalars: from(ks.k, nPublic + 1), want: { u: true }, stage: 'zkey:C (hash)' },
        ]
      : [{ id: 8, group: 1 as const, n: nC, scalars: from(ks.k, nPublic + 1), want: { lem: true, u: true }, stage: 'zkey:C' }]),
    { id: 5, group: 1, n: nVars, scalars: from(ks.a), want: { lem: true, u: true }, stage: 'zkey:A' },
    { id: 6, group: 1, n: nVars, scalars: from(ks.b), want: { lem: true, u: true }, stage: 'zkey:B1' },
    { id: 7, group: 2, n: nVars, scalars: from(ks.b), want: { lem: true, u: true }, stage: 'zkey:B2' },
  ];
  // Hash prefixes (big-endian counts) before each group of points, as zkey_new.js hashes them.
  const hashCount: Record<string, number> = { 'zkey:IC': nPublic + 1, 'zkey:H (hash)': m - 1, 'zkey:A': nVars, 'zkey:B1': nVars, 'zkey:B2': nVars };
  hashCount[withDelta ? 'zkey:C (hash)' : 'zkey:C'] = nC;

  // Header points.
  const alpha1 = affine(G1, alpha);
  const beta1 = affine(G1, beta);
  const beta2 = affine(G2, beta);
  const g1 = G1.oneAffine.slice();
  const g2 = G2.oneAffine.slice();
  const delta1 = withDelta ? affine(G1, delta) : g1;
  const delta2 = withDelta ? affine(G2, delta) : g2;
  const csHasher = createHash('blake2b512');
  for (const [G, p] of [[G1, alpha1], [G1, beta1], [G2, beta2], [G2, g2], [G1, g1], [G2, g2]] as const) csHasher.update(uncompressed(G, p));

  const pool = await PointPool.start(eng);
  let out: BinWriter | undefined;
  try {
    pool.plan({ 1: nPublic + 1 + 2 * m + (withDelta ? 2 : 1) * nC + 2 * nVars, 2: nVars });
    out = await BinWriter.create(params.zkeyPath, 'zkey', 1, 10);
    const w = out;
    await w.section(1, 4);
    await w.write(u32le(1)); // Groth16
    await w.section(2, 84 + 576);
    await w.write(
      concatBytes([u32le(32), bigLE(Q, 32), u32le(32), bigLE(R, 32), u32le(nVars), u32le(nPublic), u32le(m), alpha1, beta1, beta2, g2, delta1, delta2]),
    );
    await w.section(4, ks.coeffs.byteLength);
    await w.write(ks.coeffs);

    await runStreams(
      pool,
      streams,
      async (b) => {
        const s = b.stream as Stream;
        if (b.start === 0) {
          if (s.id !== undefined) await w.section(s.id, s.n * SG[s.group]);
          const hc = hashCount[s.stage];
          if (hc !== undefined) csHasher.update(u32be(hc));
        }
        if (b.lem) await w.write(b.lem);
        if (b.u) csHasher.update(b.u);
      },
      params.onProgress,
    );
    const csHash = new Uint8Array(csHasher.digest());

    // 10: csHash and the contribution that set δ.
    let mpc: Uint8Array;
    if (withDelta) {
      const g1s = affine(G1, randomScalar());
      const g1sx = affine(G1, delta, g1s);
      const transcript = blake512(csHash, uncompressed(G1, g1s), uncompressed(G1, g1sx));
      const g2spx = affine(G2, delta, hashToG2(eng, transcript));
      const name = new TextEncoder().encode(DEV_ZKEY_CONTRIBUTION_NAME.slice(0, 64));
      mpc = concatBytes([csHash, u32le(1), delta1, g1s, g1sx, g2spx, transcript, u32le(0), u32le(2 + name.byteLength), new Uint8Array([1, name.byteLength]), name]);
    } else {
      mpc = concatBytes([csHash, u32le(0)]);
    }
    await w.section(10, mpc.byteLength);
    await w.write(mpc);
    await w.close();
    out = undefined;
  } catch (e) {
    if (out) {
      await out.abort();
      await unlink(params.zkeyPath).catch(() => undefined);
    }
    throw e;
  } finally {
    await pool.close();
  }

  const vkey = await exportVkey(params.zkeyPath);
  const sidecarPath = await writeJsonSidecar(params.zkeyPath, {
    setup: 'dev',
    insecure: true,
    note: 'single-party development setup: the toxic waste was known to the process that made this key',
    method: 'direct',
    power,
    createdAt: new Date().toISOString(),
  });
  const seconds = (performance.now() - t0) / 1000;
  return { zkeyPath: params.zkeyPath, vkey, power, seconds, dev: true, method: 'direct', sidecarPath };
}
