/**
 * The dev setup against snarkjs itself: files byte-identical to `powersoftau prepare phase2` and
 * `zkey new`, accepted by `powersoftau verify` and `zkey verify`, and keys that prove and verify.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtauTooSmallError, SetupError } from '../errors.js';
import { compileCircuit } from './circom.js';
import type { CompileResult } from './circom.js';
import {
  _internal,
  circuitPower,
  devPtauFileName,
  devSetup,
  getDevPtau,
  productionSetup,
  readPtauInfo,
  writeDevPtau,
} from './devsetup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface SnarkjsExtra {
  zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<boolean>;
    exportVerificationKey(zkey: string): Promise<Record<string, unknown>>;
  };
  powersOfTau: {
    preparePhase2(oldPtau: string, newPtau: string, logger?: unknown): Promise<void>;
    verify(ptau: string, logger?: unknown): Promise<boolean>;
  };
}
const sj = snarkjs as unknown as SnarkjsExtra;

/** Fixed toxic waste, so that snarkjs can rebuild the same keys from our ptau. */
const SECRETS = {
  tau: 0x1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f01n,
  alpha: 0x0badc0ffee0ddf00d5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eedn,
  beta: 0x123456789abcdef0fedcba9876543210123456789abcdef0fedcba98765432n,
};

const CIRCUIT = `pragma circom 2.1.0;
include "bitify.circom";
template T(n) {
  signal input a;
  signal input b;
  signal input pub;
  signal output out;
  signal output low;
  component bits = Num2Bits(n);
  bits.in <== a;
  signal prod <== a * b;
  out <== prod + pub;
  low <== bits.out[0] * b;
}
component main {public [pub]} = T(16);
`;

/** Every signal public: the C section of the key is empty. */
const ALL_PUBLIC = `pragma circom 2.1.0;
template Sq() {
  signal input a;
  signal output b;
  b <== a * a;
}
component main {public [a]} = Sq();
`;

let work: string;
let circ: CompileResult;
let allPublic: CompileResult;
let power: number;

/** Section payloads of a binfileutils file, by id. */
function sections(buf: Buffer): Map<number, Buffer> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Map<number, Buffer>();
  let pos = 12;
  for (let i = 0; i < dv.getUint32(8, true); i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    out.set(id, buf.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  return out;
}

/** A copy of a ptau without the phase-2 sections 12..15 (what `powersoftau contribute` leaves). */
async function stripPhase2(src: string, dst: string): Promise<void> {
  const buf = await readFile(src);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const parts: Buffer[] = [Buffer.from(buf.subarray(0, 12))];
  let kept = 0;
  let pos = 12;
  for (let i = 0; i < dv.getUint32(8, true); i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    if (id <= 7) {
      parts.push(buf.subarray(pos, pos + 12 + size));
      kept++;
    }
    pos += 12 + size;
  }
  parts[0]!.writeUInt32LE(kept, 8);
  await writeFile(dst, Buffer.concat(parts));
}

const ptauOf = (p: number) => path.join(work, `secrets-p${p}.ptau`);

beforeAll(async () => {
  await mkdir(path.join(ROOT, '.zkinfer'), { recursive: true });
  work = await mkdtemp(path.join(ROOT, '.zkinfer', 'test-devsetup-'));
  await writeFile(path.join(work, 't.circom'), CIRCUIT);
  await writeFile(path.join(work, 'sq.circom'), ALL_PUBLIC);
  const inc = [path.join(ROOT, 'node_modules/circomlib/circuits')];
  circ = await compileCircuit({ sourcePath: path.join(work, 't.circom'), outDir: path.join(work, 't'), includeDirs: inc, projectRoot: ROOT });
  allPublic = await compileCircuit({ sourcePath: path.join(work, 'sq.circom'), outDir: path.join(work, 'sq'), projectRoot: ROOT });
  power = circuitPower(circ.nonLinearConstraints + circ.linearConstraints, circ.publicInputs + circ.outputs);
  // ptaus with the fixed secrets: exactly the circuit's power, and one more
  for (const p of [power, power + 1]) await writeDevPtau({ power: p, path: ptauOf(p), secrets: SECRETS });
});

afterAll(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('field helpers', () => {
  it('uses ffjavascript’s roots of unity', async () => {
    const spec = 'ffjavascript';
    const ff = (await import(spec)) as { buildBn128(single: boolean): Promise<{ Fr: { w: Uint8Array[]; toObject(a: Uint8Array): bigint } }> };
    const curve = await ff.buildBn128(true);
    for (const bits of [0, 1, 5, 17, 28]) expect(_internal.rootOfUnity(bits)).toBe(curve.Fr.toObject(curve.Fr.w[bits]!));
  });

  it('picks wider windows for more points', () => {
    expect(_internal.chooseWindow(100)).toBeLessThan(_internal.chooseWindow(100_000));
  });

  it('fixed-base multiplication agrees with ffjavascript for edge scalars and every window width', async () => {
    const spec = 'ffjavascript';
    type G = { g: Uint8Array; timesScalar(p: Uint8Array, s: bigint): Uint8Array; toAffine(p: Uint8Array): Uint8Array };
    const ff = (await import(spec)) as { buildBn128(single: boolean): Promise<{ G1: G; G2: G }> };
    const curve = await ff.buildBn128(true);
    const r = _internal.R;
    const scalars = [0n, 1n, 2n, r - 1n, r - 2n, (1n << 253n) + 12345n, (1n << 128n) - 1n, SECRETS.tau, SECRETS.alpha, SECRETS.beta];
    for (let w = 4; w <= 16; w += 3) scalars.push((1n << BigInt(w - 1)) * 0x1234567n, (1n << BigInt(w)) - 1n);
    for (const [group, G, size] of [[1, curve.G1, 64], [2, curve.G2, 128]] as const) {
      const expected = scalars.map((s) => Buffer.from(G.toAffine(G.timesScalar(G.g, s))).toString('hex'));
      for (const w of [4, 5, 8, 11, 13, 16]) {
        if (group === 2 && w > 13) continue; // big G2 tables: slow to build, same code path
        const got = await _internal.fixedBaseMul(group, scalars, w);
        const hex = scalars.map((_, i) => Buffer.from(got.subarray(i * size, (i + 1) * size)).toString('hex'));
        expect({ group, w, hex }).toEqual({ group, w, hex: expected });
      }
    }
  });
});

describe('dev ptau', () => {
  it('is byte-identical to snarkjs prepare phase2 and passes powersoftau verify', async () => {
    const ours = ptauOf(power + 1);
    const stripped = path.join(work, 'stripped.ptau');
    const prepared = path.join(work, 'prepared-by-snarkjs.ptau');
    await stripPhase2(ours, stripped);
    await sj.powersOfTau.preparePhase2(stripped, prepared);
    const a = await readFile(ours);
    const b = await readFile(prepared);
    expect(a.length).toBe(b.length);
    expect(Buffer.compare(a, b)).toBe(0);
    expect(await sj.powersOfTau.verify(ours)).toBe(true);
    expect(await readPtauInfo(ours)).toEqual({ power: power + 1, ceremonyPower: power + 1, prepared: true });
    expect((await readPtauInfo(stripped)).prepared).toBe(false);
  });

  it('works with snarkjs newZKey: the key proves, and a changed public signal fails', async () => {
    const zkey = path.join(work, 'snarkjs-newzkey.zkey');
    expect(await sj.zKey.newZKey(circ.r1csPath, ptauOf(power), zkey)).toBeInstanceOf(Uint8Array);
    const vkey = await sj.zKey.exportVerificationKey(zkey);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 1234, b: 7, pub: 3 }, circ.wasmPath, zkey);
    expect(publicSignals).toEqual(['8641', '0', '3']);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(vkey, ['8642', '0', '3'], proof)).toBe(false);
  });

  it('is cached by power; concurrent callers share one complete file', async () => {
    const cacheDir = path.join(work, 'cache');
    const [x, y] = await Promise.all([getDevPtau({ power: 4, cacheDir }), getDevPtau({ power: 4, cacheDir })]);
    expect(x.ptauPath).toBe(path.join(cacheDir, devPtauFileName(4)));
    expect(y.ptauPath).toBe(x.ptauPath);
    expect(devPtauFileName(4)).toContain('p4');
    const before = await stat(x.ptauPath);
    const again = await getDevPtau({ power: 4, cacheDir });
    expect(again.cached).toBe(true);
    expect((await stat(again.ptauPath)).mtimeMs).toBe(before.mtimeMs);
    expect(await sj.powersOfTau.verify(again.ptauPath)).toBe(true);
  });

  it('rejects bad parameters with SetupError', async () => {
    await expect(writeDevPtau({ power: 0, path: path.join(work, 'x.ptau') })).rejects.toBeInstanceOf(SetupError);
    await expect(writeDevPtau({ power: 3, path: path.join(work, 'x.ptau'), secrets: { ...SECRETS, tau: 0n } })).rejects.toBeInstanceOf(SetupError);
  });
});

describe('direct dev key', () => {
  it.each([
    ['the circuit power', 0],
    ['one more than the circuit power', 1],
  ])('with δ = 1 equals snarkjs newZKey byte for byte (ptau of %s)', async (_label, extra) => {
    const p = power + extra;
    const theirs = path.join(work, `newzkey-p${p}.zkey`);
    const ours = path.join(work, `direct-delta1-p${p}.zkey`);
    await sj.zKey.newZKey(circ.r1csPath, ptauOf(p), theirs);
    const r = await devSetup({ r1csPath: circ.r1csPath, zkeyPath: ours, secrets: { ...SECRETS, delta: 1n }, ptauPower: p });
    expect(r.power).toBe(power);
    const a = sections(await readFile(ours));
    const b = sections(await readFile(theirs));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [id, payload] of b) expect({ id, equal: Buffer.compare(a.get(id)!, payload) === 0 }).toEqual({ id, equal: true });
    expect(Buffer.compare(await readFile(ours), await readFile(theirs))).toBe(0);
  });

  it('with δ = 1 equals snarkjs newZKey for a circuit without private signals', async () => {
    const p = circuitPower(allPublic.nonLinearConstraints + allPublic.linearConstraints, allPublic.publicInputs + allPublic.outputs);
    const ptau = path.join(work, `sq-p${p}.ptau`);
    await writeDevPtau({ power: p, path: ptau, secrets: SECRETS });
    const theirs = path.join(work, 'sq-newzkey.zkey');
    const ours = path.join(work, 'sq-direct.zkey');
    await sj.zKey.newZKey(allPublic.r1csPath, ptau, theirs);
    await devSetup({ r1csPath: allPublic.r1csPath, zkeyPath: ours, secrets: { ...SECRETS, delta: 1n } });
    expect(Buffer.compare(await readFile(ours), await readFile(theirs))).toBe(0);
  });

  it('with random δ passes zkey verify, proves, and rejects a changed public signal', async () => {
    const zkeyPath = path.join(work, 'direct.zkey');
    const progress: string[] = [];
    const r = await devSetup({ r1csPath: circ.r1csPath, zkeyPath, secrets: SECRETS, onProgress: (m) => progress.push(m) });
    expect(r).toMatchObject({ zkeyPath, power, dev: true, method: 'direct' });
    expect(progress.some((m) => m.includes('zkey:B2'))).toBe(true);
    for (const p of [power, power + 1]) expect(await sj.zKey.verifyFromR1cs(circ.r1csPath, ptauOf(p), zkeyPath)).toBe(true);
    expect(r.vkey).toEqual(await sj.zKey.exportVerificationKey(zkeyPath));
    expect(r.vkey.vk_delta_2).not.toEqual(r.vkey.vk_gamma_2);
    const sidecar = JSON.parse(await readFile(r.sidecarPath, 'utf8')) as { setup: string; insecure: boolean };
    expect(sidecar).toMatchObject({ setup: 'dev', insecure: true });

    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 99, b: 5, pub: 11 }, circ.wasmPath, zkeyPath);
    expect(await snarkjs.groth16.verify(r.vkey, publicSignals, proof)).toBe(true);
    const tampered = [...publicSignals];
    tampered[2] = '12';
    expect(await snarkjs.groth16.verify(r.vkey, tampered, proof)).toBe(false);
  });

  it('with fresh secrets does not verify against someone else’s ptau', async () => {
    const zkeyPath = path.join(work, 'direct-fresh.zkey');
    await devSetup({ r1csPath: circ.r1csPath, zkeyPath });
    expect(await sj.zKey.verifyFromR1cs(circ.r1csPath, ptauOf(power), zkeyPath)).toBe(false);
  });

  it('via the snarkjs fallback (cached dev ptau + newZKey + contribution) also verifies', async () => {
    const cacheDir = path.join(work, 'cache');
    const zkeyPath = path.join(work, 'via-snarkjs.zkey');
    const r = await devSetup({ r1csPath: circ.r1csPath, zkeyPath, cacheDir, method: 'snarkjs' });
    expect(r).toMatchObject({ dev: true, method: 'snarkjs', power });
    const ptau = path.join(cacheDir, devPtauFileName(power));
    expect(await sj.zKey.verifyFromR1cs(circ.r1csPath, ptau, zkeyPath)).toBe(true);
  });
});

describe('production setup', () => {
  it('contributes to a key over a given ptau', async () => {
    const zkeyPath = path.join(work, 'prod.zkey');
    const r = await productionSetup({ r1csPath: circ.r1csPath, ptauPath: ptauOf(power + 1), zkeyPath });
    expect(r).toMatchObject({ dev: false, method: 'production', power });
    expect(await sj.zKey.verifyFromR1cs(circ.r1csPath, ptauOf(power + 1), zkeyPath)).toBe(true);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 1, b: 2, pub: 3 }, circ.wasmPath, zkeyPath);
    expect(await snarkjs.groth16.verify(r.vkey, publicSignals, proof)).toBe(true);
  });

  it('refuses a ptau that is too small, or not prepared', async () => {
    const small = path.join(work, 'small.ptau');
    await writeDevPtau({ power: power - 1, path: small });
    const err = await productionSetup({ r1csPath: circ.r1csPath, ptauPath: small, zkeyPath: path.join(work, 'never.zkey') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PtauTooSmallError);
    expect(err).toMatchObject({ code: 'ptau-too-small', ptauPower: power - 1, requiredPower: power });

    const unprepared = path.join(work, 'unprepared.ptau');
    await stripPhase2(ptauOf(power), unprepared);
    await expect(productionSetup({ r1csPath: circ.r1csPath, ptauPath: unprepared, zkeyPath: path.join(work, 'never.zkey') })).rejects.toThrow(/not prepared/);
  });
});
