/**
 * Step 1 of a dev setup: the prepared (phase-2) dev ptau, written in snarkjs's format from known τ, α, β.
 */
import path from 'node:path';
import { blake2b } from '@noble/hashes/blake2b';
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { SetupError } from '../../errors.js';
import { BinWriter } from './binfile.js';
import { MAX_POWER, Q, R, bigLE, checkScalar, concatBytes, fpow, lagrangeValues, packScalars, randomScalar, u32le } from './field.js';
import { CHUNK, type Engine, type GroupId, PointPool, type PointStream, SG, affine, blake512, engine, hashToG2, runStreams, uncompressed } from './msm.js';
import { DEV_PTAU_CONTRIBUTION_NAME, type GetDevPtauParameters, type GetDevPtauReturnType, type WriteDevPtauParameters, type WriteDevPtauReturnType } from './types.js';

export function checkPower(power: number): void {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) {
    throw new SetupError(`ptau power must be an integer in [1, ${MAX_POWER}], got ${power}`);
  }
}

/** Size in bytes of a prepared ptau of this power as written here (and by snarkjs). */
export function devPtauSize(power: number, contributionSize: number): number {
  const N = 2 ** power;
  const sections = [
    44,
    (2 * N - 1) * 64,
    N * 128,
    N * 64,
    N * 64,
    128,
    contributionSize,
    (4 * N - 1) * 64,
    (2 * N - 1) * 128,
    (2 * N - 1) * 64,
    (2 * N - 1) * 64,
  ];
  return 12 + sections.reduce((s, x) => s + 12 + x, 0);
}

export const PTAU_NAME_BYTES = new TextEncoder().encode(DEV_PTAU_CONTRIBUTION_NAME.slice(0, 64));
/** Section 7 with one type-0 contribution carrying the name parameter. */
export const PTAU_CONTRIBUTIONS_SIZE = 4 + (64 + 128 + 64 + 64 + 128) + (6 * 64 + 3 * 128) + 216 + 64 + 4 + 4 + 2 + PTAU_NAME_BYTES.byteLength;

/** snarkjs powersoftau_utils.calculateFirstChallengeHash: the hash of the all-generators accumulator. */
export function firstChallengeHash(eng: Engine, power: number): Uint8Array {
  const g1 = uncompressed(eng.curve.G1, eng.curve.G1.g);
  const g2 = uncompressed(eng.curve.G2, eng.curve.G2.g);
  const h = createHash('blake2b512');
  h.update(blake512());
  const repeat = (p: Uint8Array, n: number) => {
    const block = 4096;
    const big = new Uint8Array(p.byteLength * Math.min(n, block));
    for (let i = 0; i < Math.min(n, block); i++) big.set(p, i * p.byteLength);
    for (let left = n; left > 0; left -= block) h.update(left >= block ? big : big.subarray(0, left * p.byteLength));
  };
  const N = 2 ** power;
  repeat(g1, 2 * N - 1);
  repeat(g2, N);
  repeat(g1, N);
  repeat(g1, N);
  h.update(g2);
  return new Uint8Array(h.digest());
}

/** snarkjs misc.toPartialHash: the internal state of a @noble/hashes blake2b hasher (216 bytes). */
export function toPartialHash(hasher: unknown): Uint8Array {
  const h = hasher as Record<string, number> & { buffer: Uint8Array };
  const res = new Uint8Array(216);
  const r32 = new Uint32Array(res.buffer, 128, 22);
  res.set(h.buffer);
  const names = ['v0l', 'v0h', 'v1l', 'v1h', 'v2l', 'v2h', 'v3l', 'v3h', 'v4l', 'v4h', 'v5l', 'v5h', 'v6l', 'v6h', 'v7l', 'v7h'];
  names.forEach((n, i) => (r32[i] = h[n]!));
  r32[18] = h.pos!;
  r32[16] = h.length! - h.pos!;
  return res;
}

export interface PtauKeyPart {
  g1s: Uint8Array;
  g1sx: Uint8Array;
  g2spx: Uint8Array;
}

/** One part of a ptau contribution key (keypair.calculatePubKey with a known private key). */
export function ptauKeyPart(eng: Engine, personalization: number, challenge: Uint8Array, prv: bigint): PtauKeyPart {
  const { G1, G2 } = eng.curve;
  const g1s = affine(G1, randomScalar());
  const g1sx = affine(G1, prv, g1s);
  const g2sp = hashToG2(eng, blake512(new Uint8Array([personalization]), challenge, uncompressed(G1, g1s), uncompressed(G1, g1sx)));
  const g2spx = affine(G2, prv, g2sp);
  return { g1s, g1sx, g2spx };
}

/**
 * Write a prepared (phase-2) powers-of-tau file of 2^power powers from known secrets, in exactly the
 * layout of snarkjs `powersoftau new` + `contribute` + `prepare phase2`: header, tauG1 (2^(p+1)−1 points),
 * tauG2, alphaTauG1, betaTauG1, betaG2, one contribution (a valid snarkjs contribution record named
 * "…INSECURE…", so `snarkjs powersoftau verify` accepts the file), and the Lagrange sections 12–15 for
 * all powers 0..p (tauG1 also p+1).
 *
 * @example
 * await writeDevPtau({ power: 12, path: '/tmp/dev12.ptau' });
 */
export async function writeDevPtau(params: WriteDevPtauParameters): Promise<WriteDevPtauReturnType> {
  const t0 = performance.now();
  const { power } = params;
  checkPower(power);
  const sec = params.secrets ?? { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() };
  const tau = checkScalar('tau', sec.tau);
  const alpha = checkScalar('alpha', sec.alpha);
  const beta = checkScalar('beta', sec.beta);
  const eng = await engine();
  const N = 2 ** power;

  const pool = await PointPool.start(eng);
  let out: BinWriter | undefined;
  try {
    pool.plan({ 1: 12 * N, 2: 3 * N });
    out = await BinWriter.create(params.path, 'ptau', 1, 11);
    const w = out;

    // 1: header
    await w.section(1, 44);
    await w.write(concatBytes([u32le(32), bigLE(Q, 32), u32le(power), u32le(power)]));

    // 2..6: powers. Response hash over the compressed points; the points' positions for the read-back.
    const challenge = firstChallengeHash(eng, power);
    const responseHasher = blake2b.create({ dkLen: 64 });
    responseHasher.update(challenge);
    const geometric = (first: bigint) => (start: number, count: number) => {
      let x = (first * fpow(tau, BigInt(start))) % R;
      return packScalars(count, () => {
        const v = x;
        x = (x * tau) % R;
        return v;
      });
    };
    const powerStreams: Array<PointStream & { id: number }> = [
      { id: 2, group: 1, n: 2 * N - 1, scalars: geometric(1n), want: { lem: true, c: true }, stage: 'ptau:tauG1' },
      { id: 3, group: 2, n: N, scalars: geometric(1n), want: { lem: true, c: true }, stage: 'ptau:tauG2' },
      { id: 4, group: 1, n: N, scalars: geometric(alpha), want: { lem: true, c: true }, stage: 'ptau:alphaTauG1' },
      { id: 5, group: 1, n: N, scalars: geometric(beta), want: { lem: true, c: true }, stage: 'ptau:betaTauG1' },
      { id: 6, group: 2, n: 1, scalars: geometric(beta), want: { lem: true, c: true }, stage: 'ptau:betaG2' },
    ];
    const firstPoints = new Map<number, Uint8Array>(); // section id → first two points (LEM)
    const sectionPos = new Map<number, number>();
    await runStreams(
      pool,
      powerStreams,
      async (b) => {
        const s = b.stream as PointStream & { id: number };
        if (b.start === 0) {
          await w.section(s.id, s.n * SG[s.group]);
          sectionPos.set(s.id, w.offset);
          firstPoints.set(s.id, b.lem!.slice(0, Math.min(2, b.count) * SG[s.group]));
        }
        await w.write(b.lem!);
        responseHasher.update(b.c!);
      },
      params.onProgress,
    );

    // 7: the contribution record (type 0) of a single contributor whose keys are τ, α, β.
    const key = {
      tau: ptauKeyPart(eng, 0, challenge, tau),
      alpha: ptauKeyPart(eng, 1, challenge, alpha),
      beta: ptauKeyPart(eng, 2, challenge, beta),
    };
    const keyParts = [key.tau, key.alpha, key.beta];
    const keyU = concatBytes([
      ...keyParts.flatMap((k) => [uncompressed(eng.curve.G1, k.g1s), uncompressed(eng.curve.G1, k.g1sx)]),
      ...keyParts.map((k) => uncompressed(eng.curve.G2, k.g2spx)),
    ]);
    const keyLEM = concatBytes([...keyParts.flatMap((k) => [k.g1s, k.g1sx]), ...keyParts.map((k) => k.g2spx)]);
    const partialHash = toPartialHash(responseHasher);
    responseHasher.update(keyU);
    const responseHash = responseHasher.digest();

    // nextChallenge = H(responseHash ‖ uncompressed points of sections 2..6), read back from the file.
    const next = createHash('blake2b512');
    next.update(responseHash);
    for (const s of powerStreams) {
      const sG = SG[s.group];
      const per = CHUNK[s.group] * 4;
      for (let i = 0; i < s.n; i += per) {
        const count = Math.min(per, s.n - i);
        const lem = await w.readAt(sectionPos.get(s.id)! + i * sG, count * sG);
        next.update(await pool.toUncompressed(s.group, lem));
      }
    }
    const nextChallenge = new Uint8Array(next.digest());

    const p2 = firstPoints.get(2)!;
    const p3 = firstPoints.get(3)!;
    const contribution = concatBytes([
      u32le(1),
      p2.subarray(64, 128), // tauG1 = τ·G1
      p3.subarray(128, 256), // tauG2
      firstPoints.get(4)!.subarray(0, 64), // alphaG1
      firstPoints.get(5)!.subarray(0, 64), // betaG1
      firstPoints.get(6)!.subarray(0, 128), // betaG2
      keyLEM,
      partialHash,
      nextChallenge,
      u32le(0), // type: contribution (not a beacon)
      u32le(2 + PTAU_NAME_BYTES.byteLength),
      new Uint8Array([1, PTAU_NAME_BYTES.byteLength]),
      PTAU_NAME_BYTES,
    ]);
    await w.section(7, contribution.byteLength);
    await w.write(contribution);

    // 12..15: Lagrange bases for every power 0..p (tauG1 also p+1), as prepare phase2 lays them out.
    const lagrangeStream = (id: number, group: GroupId, factor: bigint, withTop: boolean, stage: string): Array<PointStream & { id: number }> => {
      const levels: Array<PointStream & { id: number }> = [];
      for (let k = 0; k <= power + (withTop ? 1 : 0); k++) {
        const dropTop = k === power + 1;
        levels.push({
          id,
          group,
          n: 2 ** k,
          stage,
          want: { lem: true },
          scalars: (start, count) => {
            const L = lagrangeValues(tau, { bits: k, start, count, dropTop });
            return packScalars(count, (i) => (factor === 1n ? L[i]! : (L[i]! * factor) % R));
          },
        });
      }
      return levels;
    };
    const lagrange = [
      ...lagrangeStream(12, 1, 1n, true, 'ptau:lagrange tauG1'),
      ...lagrangeStream(13, 2, 1n, false, 'ptau:lagrange tauG2'),
      ...lagrangeStream(14, 1, alpha, false, 'ptau:lagrange alphaTauG1'),
      ...lagrangeStream(15, 1, beta, false, 'ptau:lagrange betaTauG1'),
    ];
    const lagrangeSize: Record<number, number> = { 12: (4 * N - 1) * 64, 13: (2 * N - 1) * 128, 14: (2 * N - 1) * 64, 15: (2 * N - 1) * 64 };
    let currentSection = 0;
    await runStreams(
      pool,
      lagrange,
      async (b) => {
        const id = (b.stream as PointStream & { id: number }).id;
        if (id !== currentSection) {
          await w.section(id, lagrangeSize[id]!);
          currentSection = id;
        }
        await w.write(b.lem!);
      },
      params.onProgress,
    );
    await w.close();
    out = undefined;
  } catch (e) {
    if (out) {
      await out.abort();
      await unlink(params.path).catch(() => undefined);
    }
    throw e;
  } finally {
    await pool.close();
  }
  return { path: params.path, power, seconds: (performance.now() - t0) / 1000 };
}

/** Bytes of a prepared (phase-2) dev ptau of this power, as writeDevPtau writes it. */
export const devPtauFileSize = (power: number): number => devPtauSize(power, PTAU_CONTRIBUTIONS_SIZE);

/** File name of a cached dev ptau. */
export function devPtauFileName(power: number): string {
  return `zkinfer-dev-bn128-p${power}.ptau`;
}

/**
 * A dev ptau of the given power from the cache, generating it when missing. The file is written under a
 * temporary name and then linked into place, so concurrent processes never see a partial file and all
 * end up using the same one (the first one to finish wins).
 *
 * @example
 * const { ptauPath } = await getDevPtau({ power: 12, cacheDir: '.zkinfer/ptau' });
 */
export async function getDevPtau(params: GetDevPtauParameters): Promise<GetDevPtauReturnType> {
  const t0 = performance.now();
  checkPower(params.power);
  await mkdir(params.cacheDir, { recursive: true });
  const ptauPath = path.join(params.cacheDir, devPtauFileName(params.power));
  const expected = devPtauSize(params.power, PTAU_CONTRIBUTIONS_SIZE);
  const existing = await stat(ptauPath).catch(() => undefined);
  if (existing?.isFile() && existing.size === expected) {
    return { ptauPath, power: params.power, cached: true, seconds: (performance.now() - t0) / 1000 };
  }
  const tmp = `${ptauPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeDevPtau({ power: params.power, path: tmp, onProgress: params.onProgress });
    if (existing) {
      // A wrong-sized (stale or foreign) file: replace it.
      await rename(tmp, ptauPath);
    } else {
      try {
        await link(tmp, ptauPath); // fails if another process got there first: use theirs
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          // keep the other process's file
        } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
          await rename(tmp, ptauPath); // no hard links on this file system
        } else {
          throw e;
        }
      }
      await unlink(tmp).catch(() => undefined);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e instanceof SetupError ? e : new SetupError(`could not write the dev ptau ${ptauPath}: ${(e as Error).message}`, { cause: e });
  }
  return { ptauPath, power: params.power, cached: false, seconds: (performance.now() - t0) / 1000 };
}

