/**
 * Field arithmetic in the BN254 scalar field with BigInt: inverses, roots of unity, Lagrange values at τ; byte helpers.
 */
import { randomBytes } from 'node:crypto';
import { SetupError } from '../../errors.js';

/** BN254 scalar field order r. */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** BN254 base field order q. */
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** 2-adicity of r − 1 and the smallest quadratic non-residue: ffjavascript's roots of unity are 5^((r−1)/2^28) squared down. */
export const FR_S = 28;
export const FR_NQR = 5n;
/** Montgomery R² mod r for 256-bit limbs: snarkjs stores coefficients as coef·R² (see zkey_new.js). */
export const MONT_R2 = ((1n << 256n) % R) ** 2n % R;
export const MASK64 = (1n << 64n) - 1n;
/** Largest supported power (snarkjs switches to a different Lagrange scheme above 2^28). */
export const MAX_POWER = 27;

export function fmod(a: bigint): bigint {
  const x = a % R;
  return x < 0n ? x + R : x;
}

export function fpow(base: bigint, e: bigint): bigint {
  let b = fmod(base);
  let x = 1n;
  while (e > 0n) {
    if (e & 1n) x = (x * b) % R;
    b = (b * b) % R;
    e >>= 1n;
  }
  return x;
}

export function finv(a: bigint): bigint {
  const x = fmod(a);
  if (x === 0n) throw new SetupError('internal error: inverse of zero in the scalar field');
  return fpow(x, R - 2n);
}

/** Montgomery's trick: inverses of non-zero elements with one field inversion. */
export function batchInverse(xs: bigint[]): bigint[] {
  const n = xs.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = (acc * xs[i]!) % R;
  }
  let inv = finv(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % R;
    inv = (inv * xs[i]!) % R;
  }
  return out;
}

/** Primitive 2^bits-th root of unity, the one ffjavascript's (i)fft uses (Fr.w[bits]). */
export function rootOfUnity(bits: number): bigint {
  const t = (R - 1n) >> BigInt(FR_S);
  return fpow(fpow(FR_NQR, t), 1n << BigInt(FR_S - bits));
}

export interface LagrangeOptions {
  /** Domain size 2^bits. */
  bits: number;
  start: number;
  count: number;
  stride?: number;
  /**
   * Evaluate the interpolant of τ^0..τ^(m−2) with the top coefficient τ^(m−1) replaced by 0 — what snarkjs's
   * prepare phase2 writes for the extra power P+1 of the tauG1 section (it has only 2^(P+1)−1 powers).
   */
  dropTop?: boolean;
}

/**
 * L_i(τ) over the domain {ω^i} of size m = 2^bits, for i = start + k·stride: the i-th entry of the
 * inverse FFT of (τ^0, …, τ^(m−1)), i.e. ω^i (τ^m − 1) / (m (τ − ω^i)).
 */
export function lagrangeValues(tau: bigint, o: LagrangeOptions): bigint[] {
  const stride = o.stride ?? 1;
  const m = 1n << BigInt(o.bits);
  const w = rootOfUnity(o.bits);
  const wStride = fpow(w, BigInt(stride));
  const wis = new Array<bigint>(o.count);
  let wi = fpow(w, BigInt(o.start));
  for (let k = 0; k < o.count; k++) {
    wis[k] = wi;
    wi = (wi * wStride) % R;
  }
  const t = fmod(tau);
  const zt = fmod(fpow(t, m) - 1n);
  let values: bigint[];
  if (zt === 0n) {
    // τ lies in the domain: L_i(τ) = [ω^i = τ].
    values = wis.map((x) => (x === t ? 1n : 0n));
  } else {
    const c = (zt * finv(m)) % R;
    const inv = batchInverse(wis.map((x) => fmod(t - x)));
    values = wis.map((x, k) => (((c * x) % R) * inv[k]!) % R);
  }
  if (o.dropTop) {
    // subtract τ^(m−1) · ω^(−i(m−1)) / m = τ^(m−1) · ω^i / m
    const corr = (fpow(t, m - 1n) * finv(m)) % R;
    values = values.map((v, k) => fmod(v - corr * wis[k]!));
  }
  return values;
}

export function randomScalar(): bigint {
  for (;;) {
    const x = BigInt('0x' + randomBytes(48).toString('hex')) % R;
    if (x !== 0n) return x;
  }
}

export function checkScalar(name: string, x: bigint): bigint {
  if (typeof x !== 'bigint' || x <= 0n || x >= R) {
    throw new SetupError(`secret ${name} must be a bigint in (0, r)`);
  }
  return x;
}

// ── byte helpers ──

export function writeScalarLE(dv: DataView, off: number, x: bigint): void {
  dv.setBigUint64(off, x & MASK64, true);
  dv.setBigUint64(off + 8, (x >> 64n) & MASK64, true);
  dv.setBigUint64(off + 16, (x >> 128n) & MASK64, true);
  dv.setBigUint64(off + 24, x >> 192n, true);
}

export function readScalarLE(dv: DataView, off: number): bigint {
  return (
    dv.getBigUint64(off, true) |
    (dv.getBigUint64(off + 8, true) << 64n) |
    (dv.getBigUint64(off + 16, true) << 128n) |
    (dv.getBigUint64(off + 24, true) << 192n)
  );
}

/** 32-byte little-endian scalars (standard form, < r), the input format of the point workers. */
export function packScalars(n: number, at: (i: number) => bigint): Uint8Array {
  const buf = new Uint8Array(n * 32);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < n; i++) writeScalarLE(dv, i * 32, at(i));
  return buf;
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

export function bigLE(x: bigint, n8: number): Uint8Array {
  const b = new Uint8Array(n8);
  let v = x;
  for (let i = 0; i < n8; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** The circuit's domain power exactly as snarkjs computes it: ⌊log2(constraints + public)⌋ + 1. */
export function circuitPower(nConstraints: number, nPublic: number): number {
  const v = nConstraints + nPublic;
  if (v >= 2 ** 31) throw new SetupError(`circuit too large: ${v} constraints + public signals`);
  return (v > 0 ? 31 - Math.clz32(v) : 0) + 1;
}
