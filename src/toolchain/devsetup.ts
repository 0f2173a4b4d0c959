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
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { blake2b } from '@noble/hashes/blake2b';
import * as snarkjs from 'snarkjs';
import { PtauTooSmallError, SetupError } from '../errors.js';

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Public types
// ────────────────────────────────────────────────────────────────────────────────────────────────

/** Toxic waste of a powers-of-tau file: field elements in (0, r). */
export interface PtauSecrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
}

/** Toxic waste of a proving key; δ random when omitted. δ = 1n reproduces snarkjs `zkey new` exactly. */
export interface KeySecrets extends PtauSecrets {
  delta?: bigint;
}

export interface SetupProgress {
  /** e.g. "ptau:tauG1", "zkey:A". */
  stage: string;
  done: number;
  total: number;
}

/**
 * Progress callback: a one-line human-readable message (stage starts, every ~25 %, stage ends) and the
 * same information structured.
 */
export type OnSetupProgress = (message: string, progress: SetupProgress) => void;

function report(onProgress: OnSetupProgress | undefined, p: SetupProgress): void {
  onProgress?.(`setup: ${p.stage} ${p.done}/${p.total}`, p);
}

export interface WriteDevPtauParameters {
  /** The file holds 2^power tau powers (enough for circuits with < 2^power constraints + public signals). */
  power: number;
  /** Output path (written in place; use getDevPtau for an atomic, cached file). */
  path: string;
  /** Testing only: fixed secrets. Default: fresh random secrets, discarded afterwards. */
  secrets?: PtauSecrets;
  onProgress?: OnSetupProgress;
}

export interface WriteDevPtauReturnType {
  path: string;
  power: number;
  seconds: number;
}

export interface GetDevPtauParameters {
  power: number;
  /** Directory of the cache; created if missing. */
  cacheDir: string;
  onProgress?: OnSetupProgress;
}

export interface GetDevPtauReturnType {
  ptauPath: string;
  power: number;
  /** True when the file was already in the cache. */
  cached: boolean;
  seconds: number;
}

export interface DevSetupParameters {
  r1csPath: string;
  zkeyPath: string;
  /** Dev-ptau cache; only used by method "snarkjs" (the direct method needs no ptau). */
  cacheDir?: string;
  onProgress?: OnSetupProgress;
  /**
   * "direct" (default): compute the zkey from the secrets. "snarkjs": cached dev ptau + snarkjs newZKey +
   * one random contribution (slower; kept as a fallback and as a reference for benchmarks).
   */
  method?: 'direct' | 'snarkjs';
  /** Testing only (direct method): fixed secrets. */
  secrets?: KeySecrets;
  /**
   * Direct method: the power of the ptau the key is to correspond to byte for byte (default: the circuit
   * power). snarkjs derives the H points from the ptau's 2n-domain Lagrange section, which drops the
   * τ^(2n−1) coefficient when the ptau power equals the circuit power; both variants are valid keys.
   */
  ptauPower?: number;
}

export interface VerificationKey {
  protocol: string;
  curve: string;
  nPublic: number;
  [k: string]: unknown;
}

export interface SetupReturnType {
  zkeyPath: string;
  vkey: VerificationKey;
  /** Circuit domain power: ⌊log2(constraints + public signals)⌋ + 1 (the minimum ptau power). */
  power: number;
  seconds: number;
  /** True for a dev setup: the toxic waste was known to this process. Never use such a key in production. */
  dev: boolean;
  method: 'direct' | 'snarkjs' | 'production';
  /** JSON sidecar next to the zkey describing the setup (`<zkey>.setup.json`). */
  sidecarPath: string;
}

export interface ProductionSetupParameters {
  r1csPath: string;
  /** A *prepared* (phase-2) ptau from a public ceremony. */
  ptauPath: string;
  zkeyPath: string;
  /** Name recorded in the contribution. */
  name?: string;
  /** Extra entropy for the contribution (random bytes are always mixed in). */
  entropy?: string;
  /** Also run snarkjs `powersoftau verify` on the ptau (slow for large files). Default false. */
  verifyPtau?: boolean;
}

/** Name recorded in the contribution sections of dev files: the files say themselves that they are insecure. */
export const DEV_PTAU_CONTRIBUTION_NAME = 'zkinfer dev ptau: INSECURE, toxic waste was known';
export const DEV_ZKEY_CONTRIBUTION_NAME = 'zkinfer dev key: INSECURE, toxic waste was known';

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Field arithmetic (BN254 scalar field) with BigInt
// ────────────────────────────────────────────────────────────────────────────────────────────────

/** BN254 scalar field order r. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** BN254 base field order q. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** 2-adicity of r − 1 and the smallest quadratic non-residue: ffjavascript's roots of unity are 5^((r−1)/2^28) squared down. */
const FR_S = 28;
const FR_NQR = 5n;
/** Montgomery R² mod r for 256-bit limbs: snarkjs stores coefficients as coef·R² (see zkey_new.js). */
const MONT_R2 = ((1n << 256n) % R) ** 2n % R;
const MASK64 = (1n << 64n) - 1n;
/** Largest supported power (snarkjs switches to a different Lagrange scheme above 2^28). */
const MAX_POWER = 27;

function fmod(a: bigint): bigint {
  const x = a % R;
  return x < 0n ? x + R : x;
}

function fpow(base: bigint, e: bigint): bigint {
  let b = fmod(base);
  let x = 1n;
  while (e > 0n) {
    if (e & 1n) x = (x * b) % R;
    b = (b * b) % R;
    e >>= 1n;
  }
  return x;
}

function finv(a: bigint): bigint {
  const x = fmod(a);
  if (x === 0n) throw new SetupError('internal error: inverse of zero in the scalar field');
  return fpow(x, R - 2n);
}

/** Montgomery's trick: inverses of non-zero elements with one field inversion. */
function batchInverse(xs: bigint[]): bigint[] {
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
function rootOfUnity(bits: number): bigint {
  const t = (R - 1n) >> BigInt(FR_S);
  return fpow(fpow(FR_NQR, t), 1n << BigInt(FR_S - bits));
}

interface LagrangeOptions {
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
function lagrangeValues(tau: bigint, o: LagrangeOptions): bigint[] {
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

function randomScalar(): bigint {
  for (;;) {
    const x = BigInt('0x' + randomBytes(48).toString('hex')) % R;
    if (x !== 0n) return x;
  }
}

function checkScalar(name: string, x: bigint): bigint {
  if (typeof x !== 'bigint' || x <= 0n || x >= R) {
    throw new SetupError(`secret ${name} must be a bigint in (0, r)`);
  }
  return x;
}

// ── byte helpers ──

function writeScalarLE(dv: DataView, off: number, x: bigint): void {
  dv.setBigUint64(off, x & MASK64, true);
  dv.setBigUint64(off + 8, (x >> 64n) & MASK64, true);
  dv.setBigUint64(off + 16, (x >> 128n) & MASK64, true);
  dv.setBigUint64(off + 24, x >> 192n, true);
}

function readScalarLE(dv: DataView, off: number): bigint {
  return (
    dv.getBigUint64(off, true) |
    (dv.getBigUint64(off + 8, true) << 64n) |
    (dv.getBigUint64(off + 16, true) << 128n) |
    (dv.getBigUint64(off + 24, true) << 192n)
  );
}

/** 32-byte little-endian scalars (standard form, < r), the input format of the point workers. */
function packScalars(n: number, at: (i: number) => bigint): Uint8Array {
  const buf = new Uint8Array(n * 32);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < n; i++) writeScalarLE(dv, i * 32, at(i));
  return buf;
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function bigLE(x: bigint, n8: number): Uint8Array {
  const b = new Uint8Array(n8);
  let v = x;
  for (let i = 0; i < n8; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
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

// ────────────────────────────────────────────────────────────────────────────────────────────────
// The curve: ffjavascript for a few single operations, worker threads for batches
// ────────────────────────────────────────────────────────────────────────────────────────────────

/** The parts of an ffjavascript WasmCurve group used here (points are Uint8Arrays in the wasm layout). */
interface WasmGroup {
  g: Uint8Array;
  oneAffine: Uint8Array;
  timesScalar(p: Uint8Array, s: bigint | Uint8Array): Uint8Array;
  toAffine(p: Uint8Array): Uint8Array;
  toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void;
  fromRng(rng: unknown): Uint8Array;
  F: { n8: number };
}

interface SyncCurve {
  G1: WasmGroup;
  G2: WasmGroup;
  Fr: { w: Uint8Array[]; toObject(a: Uint8Array): bigint };
  tm: { code: Uint8Array };
}

interface FfjavascriptModule {
  buildBn128(singleThread?: boolean): Promise<SyncCurve>;
  ChaCha: new (seed: number[]) => unknown;
}

interface Engine {
  curve: SyncCurve;
  ChaCha: new (seed: number[]) => unknown;
}

let enginePromise: Promise<Engine> | undefined;

/**
 * A single-threaded ffjavascript bn128 instance (no worker threads, nothing to terminate): small point
 * operations in the main thread, and the wasm code the point workers instantiate. Built once per process.
 */
function engine(): Promise<Engine> {
  enginePromise ??= (async () => {
    const spec = 'ffjavascript';
    const ff = (await import(spec)) as FfjavascriptModule;
    const curve = await ff.buildBn128(true);
    return { curve, ChaCha: ff.ChaCha };
  })().catch((e: unknown) => {
    enginePromise = undefined;
    throw e instanceof SetupError ? e : new SetupError(`cannot load the bn128 curve library: ${(e as Error).message}`, { cause: e });
  });
  return enginePromise;
}

type GroupId = 1 | 2;

/** Affine point size (bytes) in the wasm/LEM layout. */
const SG: Record<GroupId, number> = { 1: 64, 2: 128 };

interface MulRequest {
  group: GroupId;
  scalars: Uint8Array;
  /** Affine points in snarkjs's file layout ("LEM": little-endian Montgomery). */
  lem?: boolean;
  /** Uncompressed big-endian standard form (what snarkjs hashes). */
  u?: boolean;
  /** Compressed form (what ptau response hashes use). */
  c?: boolean;
}

interface PointBatch {
  lem?: Uint8Array;
  u?: Uint8Array;
  c?: Uint8Array;
}

/**
 * Source of the point workers (plain JS, evaluated in a worker thread: no snarkjs there). Fixed-base
 * scalar multiplication with signed windows of w bits: for each window k a table of j·2^(wk)·B,
 * j = 1..2^(w−1); a scalar costs ⌈255/w⌉ mixed additions. Outputs go through the library's batch
 * affine conversion (one inversion per batch), then optionally to the U / C encodings.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const GROUPS = { 1: { p: 'g1m', n8: 32 }, 2: { p: 'g2m', n8: 64 } };
let ex = null;
let memory = null;
let heapTop = 0;
const tables = new Map();

function ensure(end) {
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / 65536));
}
function alloc(n) {
  heapTop = (heapTop + 7) & ~7;
  const p = heapTop;
  heapTop += n;
  ensure(heapTop + 64);
  return p;
}
// Batch functions of the library take scratch space at the free pointer (address 0): batchToAffine
// n·n8 bytes, plus (n+1)·n8 for the batch inverse it calls.
function scratch(n) {
  heapTop = (heapTop + 7) & ~7;
  ensure(heapTop + n + 64);
  new Uint32Array(memory.buffer, 0, 1)[0] = heapTop;
}
function u8() { return new Uint8Array(memory.buffer); }

function table(g, w, base) {
  const key = g.p + ':' + w + ':' + Buffer.from(base).toString('hex');
  const hit = tables.get(key);
  if (hit) return hit;
  const sA = 2 * g.n8, sJ = 3 * g.n8;
  const nW = Math.ceil(255 / w), H = 1 << (w - 1);
  const pT = alloc(nW * H * sA);
  const mark = heapTop;
  const pB = alloc(sA), pJ0 = alloc(sJ), pJ1 = alloc(sJ), pE = alloc(H * sJ);
  u8().set(base, pB);
  const toJ = ex[g.p + '_toJacobian'], dbl = ex[g.p + '_double'], toA = ex[g.p + '_toAffine'];
  const addM = ex[g.p + '_addMixed'], batchA = ex[g.p + '_batchToAffine'];
  for (let k = 0; k < nW; k++) {
    if (k > 0) {
      toJ(pB, pJ0);
      let a = pJ0, b = pJ1;
      for (let i = 0; i < w; i++) { dbl(a, b); const t = a; a = b; b = t; }
      toA(a, pB);
    }
    toJ(pB, pE);
    for (let d = 1; d < H; d++) addM(pE + (d - 1) * sJ, pB, pE + d * sJ);
    scratch((2 * H + 2) * g.n8);
    batchA(pE, H, pT + k * H * sA);
  }
  heapTop = mark;
  const t = { pT, nW, H, w };
  tables.set(key, t);
  return t;
}

function mul(msg) {
  const g = GROUPS[msg.group];
  const t = table(g, msg.w, msg.base);
  const sA = 2 * g.n8, sJ = 3 * g.n8;
  const n = msg.scalars.byteLength / 32;
  const mark = heapTop;
  const pAcc = alloc(n * sJ);
  const s32 = new Uint32Array(msg.scalars.buffer, msg.scalars.byteOffset, n * 8);
  const zero = ex[g.p + '_zero'], addM = ex[g.p + '_addMixed'], subM = ex[g.p + '_subMixed'];
  const w = t.w, H = t.H, nW = t.nW, pT = t.pT, mask = (1 << w) - 1, full = 1 << w;
  for (let i = 0; i < n; i++) {
    const acc = pAcc + i * sJ;
    zero(acc);
    const o = i * 8;
    let carry = 0;
    for (let k = 0; k < nW; k++) {
      const bit = k * w, word = bit >>> 5, sh = bit & 31;
      let v = s32[o + word] >>> sh;
      if (sh + w > 32 && word < 7) v |= s32[o + word + 1] << (32 - sh);
      v = (v & mask) + carry;
      if (v > H) { v -= full; carry = 1; } else { carry = 0; }
      if (v > 0) addM(acc, pT + (k * H + v - 1) * sA, acc);
      else if (v < 0) subM(acc, pT + (k * H - v - 1) * sA, acc);
    }
  }
  scratch((2 * n + 2) * g.n8);
  ex[g.p + '_batchToAffine'](pAcc, n, pAcc);
  const out = {};
  if (msg.lem) out.lem = u8().slice(pAcc, pAcc + n * sA);
  if (msg.u) {
    const p = alloc(n * sA);
    ex[g.p + '_batchLEMtoU'](pAcc, n, p);
    out.u = u8().slice(p, p + n * sA);
  }
  if (msg.c) {
    const p = alloc(n * g.n8);
    ex[g.p + '_batchLEMtoC'](pAcc, n, p);
    out.c = u8().slice(p, p + n * g.n8);
  }
  heapTop = mark;
  return out;
}

function toU(msg) {
  const g = GROUPS[msg.group];
  const sA = 2 * g.n8;
  const n = msg.points.byteLength / sA;
  const mark = heapTop;
  const pIn = alloc(n * sA), pOut = alloc(n * sA);
  u8().set(msg.points, pIn);
  ex[g.p + '_batchLEMtoU'](pIn, n, pOut);
  const out = { u: u8().slice(pOut, pOut + n * sA) };
  heapTop = mark;
  return out;
}

parentPort.on('message', (msg) => {
  try {
    if (msg.cmd === 'init') {
      const mod = new WebAssembly.Module(msg.code);
      memory = new WebAssembly.Memory({ initial: 64, maximum: 32767 });
      ex = new WebAssembly.Instance(mod, { env: { memory } }).exports;
      heapTop = new Uint32Array(memory.buffer, 0, 1)[0];
      parentPort.postMessage({ id: msg.id, ok: true, out: {} });
      return;
    }
    const out = msg.cmd === 'mul' ? mul(msg) : toU(msg);
    const transfer = [out.lem, out.u, out.c].filter(Boolean).map((b) => b.buffer);
    parentPort.postMessage({ id: msg.id, ok: true, out }, transfer);
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((e && e.stack) || e) });
  }
});
`;

interface WorkerReply {
  id: number;
  ok: boolean;
  out?: PointBatch;
  error?: string;
}

interface PendingJob {
  msg: Record<string, unknown>;
  transfer: ArrayBuffer[];
  resolve: (b: PointBatch) => void;
  reject: (e: Error) => void;
}

/**
 * Mixed additions per point for window width w, including the (per worker) table construction:
 * ⌈255/w⌉ · (points + 2^(w−1)·1.3).
 */
function chooseWindow(pointsPerWorker: number): number {
  let best = 4;
  let bestCost = Infinity;
  for (let w = 4; w <= 16; w++) {
    const cost = Math.ceil(255 / w) * (pointsPerWorker + 1.3 * 2 ** (w - 1));
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}

/** A small pool of point workers; one job per worker at a time. Always `close()` it (finally). */
class PointPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: PendingJob[] = [];
  private readonly running = new Map<Worker, PendingJob>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly windows: Record<GroupId, number> = { 1: 8, 2: 8 };

  private constructor(private readonly bases: Record<GroupId, Uint8Array>) {}

  static async start(eng: Engine, threads = Math.max(1, availableParallelism())): Promise<PointPool> {
    const pool = new PointPool({ 1: eng.curve.G1.oneAffine.slice(), 2: eng.curve.G2.oneAffine.slice() });
    const inits: Promise<PointBatch>[] = [];
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      pool.workers.push(w);
      w.on('message', (reply: WorkerReply) => pool.onReply(w, reply));
      w.on('error', (e: Error) => pool.fail(e));
      w.on('exit', (code) => {
        if (pool.running.has(w)) pool.fail(new SetupError(`point worker exited unexpectedly (code ${code})`));
      });
      inits.push(
        new Promise<PointBatch>((resolve, reject) => {
          const job: PendingJob = { msg: {}, transfer: [], resolve, reject };
          pool.running.set(w, job);
          w.postMessage({ cmd: 'init', id: 0, code: eng.curve.tm.code });
        }),
      );
    }
    try {
      await Promise.all(inits);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Window widths for the coming jobs, from the total number of points per group of the run. */
  plan(totalPoints: Record<GroupId, number>): void {
    for (const g of [1, 2] as const) this.windows[g] = chooseWindow(totalPoints[g] / this.workers.length);
  }

  /** Force a window width (tests). */
  setWindow(group: GroupId, w: number): void {
    this.windows[group] = w;
  }

  get size(): number {
    return this.workers.length;
  }

  mul(req: MulRequest): Promise<PointBatch> {
    return this.submit(
      { cmd: 'mul', group: req.group, w: this.windows[req.group], base: this.bases[req.group], scalars: req.scalars, lem: !!req.lem, u: !!req.u, c: !!req.c },
      [req.scalars.buffer as ArrayBuffer],
    );
  }

  toUncompressed(group: GroupId, points: Uint8Array): Promise<Uint8Array> {
    return this.submit({ cmd: 'toU', group, points }, []).then((b) => b.u!);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<PointBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<PointBatch>((resolve, reject) => {
      this.queue.push({ msg, transfer, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.running.set(w, job);
      w.postMessage({ ...job.msg, id: this.nextId++ }, job.transfer);
    }
  }

  private onReply(w: Worker, reply: WorkerReply): void {
    const job = this.running.get(w);
    this.running.delete(w);
    this.idle.push(w);
    if (job) {
      if (reply.ok) job.resolve(reply.out ?? {});
      else job.reject(new SetupError(`point worker failed: ${reply.error ?? 'unknown error'}`));
    }
    this.pump();
  }

  private fail(e: Error): void {
    this.failure ??= e instanceof SetupError ? e : new SetupError(`point worker failed: ${e.message}`, { cause: e });
    for (const job of [...this.running.values(), ...this.queue]) job.reject(this.failure);
    this.running.clear();
    this.queue.length = 0;
  }
}

/**
 * Run tasks with at most `limit` in flight and hand their results to `consume` in task order
 * (tasks are started lazily, so their inputs are only built when a slot is free).
 */
async function inOrder<T>(tasks: Iterable<() => Promise<T>>, limit: number, consume: (r: T) => Promise<void> | void): Promise<void> {
  const it = tasks[Symbol.iterator]();
  const inflight: Promise<T>[] = [];
  const startNext = (): boolean => {
    const n = it.next();
    if (n.done) return false;
    const p = n.value();
    p.catch(() => undefined); // awaited below, in order; avoid unhandled-rejection noise meanwhile
    inflight.push(p);
    return true;
  };
  while (inflight.length < limit && startNext());
  while (inflight.length > 0) {
    const r = await inflight.shift()!;
    await consume(r);
    startNext();
  }
}

/** Point counts per job: G2 additions cost ~3.6× G1's. */
const CHUNK: Record<GroupId, number> = { 1: 8192, 2: 2048 };

interface PointStream {
  group: GroupId;
  n: number;
  /** Scalars of points [start, start+count). */
  scalars: (start: number, count: number) => Uint8Array;
  want: { lem?: boolean; u?: boolean; c?: boolean };
  stage: string;
}

/** Tasks for the points of a stream, in chunks. */
function* streamTasks(pool: PointPool, s: PointStream): Generator<() => Promise<PointBatch & { stream: PointStream; start: number; count: number }>> {
  const chunk = CHUNK[s.group];
  if (s.n === 0) yield () => Promise.resolve({ stream: s, start: 0, count: 0 });
  for (let start = 0; start < s.n; start += chunk) {
    const count = Math.min(chunk, s.n - start);
    yield () => pool.mul({ group: s.group, scalars: s.scalars(start, count), ...s.want }).then((b) => ({ ...b, stream: s, start, count }));
  }
}

/** Process point streams in order: every chunk's result is passed to `consume` in stream/chunk order. */
async function runStreams(
  pool: PointPool,
  streams: PointStream[],
  consume: (b: PointBatch & { stream: PointStream; start: number; count: number }) => Promise<void> | void,
  onProgress?: OnSetupProgress,
): Promise<void> {
  function* all() {
    for (const s of streams) yield* streamTasks(pool, s);
  }
  // Progress per stage (streams sharing a stage name, e.g. the Lagrange levels, add up).
  const stageTotal = new Map<string, number>();
  for (const s of streams) stageTotal.set(s.stage, (stageTotal.get(s.stage) ?? 0) + s.n);
  const stageDone = new Map<string, number>();
  const lastQuarter = new Map<string, number>();
  await inOrder(all(), pool.size * 2 + 1, async (b) => {
    await consume(b);
    const stage = b.stream.stage;
    const total = stageTotal.get(stage)!;
    const done = (stageDone.get(stage) ?? 0) + b.count;
    stageDone.set(stage, done);
    const quarter = total === 0 ? 4 : Math.floor((4 * done) / total);
    if (quarter !== lastQuarter.get(stage)) {
      lastQuarter.set(stage, quarter);
      report(onProgress, { stage, done, total });
    }
  });
}

// ── small point operations in the main thread ──

function affine(G: WasmGroup, s: bigint, base?: Uint8Array): Uint8Array {
  return G.toAffine(G.timesScalar(base ?? G.g, s));
}

function uncompressed(G: WasmGroup, p: Uint8Array): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2);
  G.toRprUncompressed(b, 0, p);
  return b;
}

/** snarkjs keypair.hashToG2: a G2 point from a ChaCha stream seeded with a 64-byte hash. */
function hashToG2(eng: Engine, hash: Uint8Array): Uint8Array {
  const dv = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(dv.getUint32(i * 4, false));
  return eng.curve.G2.toAffine(eng.curve.G2.fromRng(new eng.ChaCha(seed)));
}

function blake512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('blake2b512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Binary files (the @iden3/binfileutils layout: magic, version, nSections, then id/u64 size/data)
// ────────────────────────────────────────────────────────────────────────────────────────────────

class BinWriter {
  private pos = 0;
  private sectionEnd = -1;
  private constructor(private readonly fh: FileHandle) {}

  static async create(file: string, type: string, version: number, nSections: number): Promise<BinWriter> {
    const w = new BinWriter(await open(file, 'w+'));
    await w.raw(concatBytes([new TextEncoder().encode(type), u32le(version), u32le(nSections)]));
    return w;
  }

  async section(id: number, size: number): Promise<void> {
    if (this.sectionEnd !== -1 && this.pos !== this.sectionEnd) throw new SetupError(`internal error: section before ${id} has the wrong size`);
    const h = new Uint8Array(12);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, id, true);
    dv.setBigUint64(4, BigInt(size), true);
    await this.raw(h);
    this.sectionEnd = this.pos + size;
  }

  async write(b: Uint8Array): Promise<void> {
    if (this.pos + b.byteLength > this.sectionEnd) throw new SetupError('internal error: section overflow');
    await this.raw(b);
  }

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.pos;
  }

  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    const { bytesRead } = await this.fh.read(b, 0, length, offset);
    if (bytesRead !== length) throw new SetupError('internal error: short read-back');
    return b;
  }

  async close(): Promise<void> {
    if (this.sectionEnd !== -1 && this.pos !== this.sectionEnd) throw new SetupError('internal error: last section has the wrong size');
    await this.fh.close();
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async raw(b: Uint8Array): Promise<void> {
    let off = 0;
    while (off < b.byteLength) {
      const { bytesWritten } = await this.fh.write(b, off, b.byteLength - off, this.pos);
      off += bytesWritten;
      this.pos += bytesWritten;
    }
  }
}

interface BinSection {
  pos: number;
  size: number;
}

/** Section table of a binfileutils file (reads only the headers). */
async function readSectionTable(file: string, type: string): Promise<Map<number, BinSection[]>> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(12);
    await fh.read(head, 0, 12, 0);
    const magic = new TextDecoder().decode(head.subarray(0, 4));
    if (magic !== type) throw new SetupError(`${file} is not a .${type} file (magic "${magic}")`);
    const nSections = new DataView(head.buffer).getUint32(8, true);
    const out = new Map<number, BinSection[]>();
    let pos = 12;
    const size = (await fh.stat()).size;
    for (let i = 0; i < nSections; i++) {
      const h = new Uint8Array(12);
      const { bytesRead } = await fh.read(h, 0, 12, pos);
      if (bytesRead !== 12) throw new SetupError(`${file}: truncated section table`);
      const dv = new DataView(h.buffer);
      const id = dv.getUint32(0, true);
      const len = Number(dv.getBigUint64(4, true));
      pos += 12;
      if (pos + len > size) throw new SetupError(`${file}: section ${id} runs past the end of the file`);
      out.set(id, [...(out.get(id) ?? []), { pos, size: len }]);
      pos += len;
    }
    return out;
  } finally {
    await fh.close();
  }
}

async function readRange(file: string, s: BinSection): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const b = new Uint8Array(s.size);
    await fh.read(b, 0, s.size, s.pos);
    return b;
  } finally {
    await fh.close();
  }
}

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Step 1: the prepared (phase-2) dev ptau
// ────────────────────────────────────────────────────────────────────────────────────────────────

function checkPower(power: number): void {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) {
    throw new SetupError(`ptau power must be an integer in [1, ${MAX_POWER}], got ${power}`);
  }
}

/** Size in bytes of a prepared ptau of this power as written here (and by snarkjs). */
function devPtauSize(power: number, contributionSize: number): number {
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

const PTAU_NAME_BYTES = new TextEncoder().encode(DEV_PTAU_CONTRIBUTION_NAME.slice(0, 64));
/** Section 7 with one type-0 contribution carrying the name parameter. */
const PTAU_CONTRIBUTIONS_SIZE = 4 + (64 + 128 + 64 + 64 + 128) + (6 * 64 + 3 * 128) + 216 + 64 + 4 + 4 + 2 + PTAU_NAME_BYTES.byteLength;

/** snarkjs powersoftau_utils.calculateFirstChallengeHash: the hash of the all-generators accumulator. */
function firstChallengeHash(eng: Engine, power: number): Uint8Array {
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
function toPartialHash(hasher: unknown): Uint8Array {
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

interface PtauKeyPart {
  g1s: Uint8Array;
  g1sx: Uint8Array;
  g2spx: Uint8Array;
}

/** One part of a ptau contribution key (keypair.calculatePubKey with a known private key). */
function ptauKeyPart(eng: Engine, personalization: number, challenge: Uint8Array, prv: bigint): PtauKeyPart {
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

// ────────────────────────────────────────────────────────────────────────────────────────────────
// R1CS
// ────────────────────────────────────────────────────────────────────────────────────────────────

interface R1csFile {
  prime: bigint;
  n8: number;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
  /** Raw constraint section: per constraint, A, B, C as (u32 n, n × (u32 signal, n8-byte LE coefficient)). */
  constraints: Uint8Array;
}

async function readR1cs(file: string): Promise<R1csFile> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new SetupError(`cannot read the r1cs file ${file}: ${(e as Error).message}`, { cause: e });
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 12 || buf.subarray(0, 4).toString('latin1') !== 'r1cs') throw new SetupError(`${file} is not an .r1cs file`);
  const nSections = dv.getUint32(8, true);
  let pos = 12;
  let header: BinSection | undefined;
  let cons: BinSection | undefined;
  for (let i = 0; i < nSections; i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    pos += 12;
    if (id === 1) header = { pos, size };
    if (id === 2) cons = { pos, size };
    pos += size;
  }
  if (!header || !cons || pos > buf.byteLength) throw new SetupError(`${file}: malformed r1cs (missing or truncated sections)`);
  let p = header.pos;
  const n8 = dv.getUint32(p, true);
  p += 4;
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(buf[p + i]!);
  p += n8;
  const nVars = dv.getUint32(p, true);
  const nOutputs = dv.getUint32(p + 4, true);
  const nPubInputs = dv.getUint32(p + 8, true);
  const nPrvInputs = dv.getUint32(p + 12, true);
  const nConstraints = dv.getUint32(p + 24, true);
  if (prime !== R || n8 !== 32) {
    throw new SetupError(`${file}: the circuit is not over the BN254 scalar field`, { hint: 'compile with circom --prime bn128 (the default)' });
  }
  return {
    prime,
    n8,
    nVars,
    nOutputs,
    nPubInputs,
    nPrvInputs,
    nConstraints,
    constraints: new Uint8Array(buf.buffer, buf.byteOffset + cons.pos, cons.size),
  };
}

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Step 2: the dev proving key, computed directly
// ────────────────────────────────────────────────────────────────────────────────────────────────

interface KeyScalars {
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
function keyScalars(r1cs: R1csFile, tau: bigint, alpha: bigint, beta: bigint): KeyScalars {
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

async function writeJsonSidecar(zkeyPath: string, data: Record<string, unknown>): Promise<string> {
  const sidecarPath = `${zkeyPath}.setup.json`;
  await writeFile(sidecarPath, JSON.stringify(data, null, 2) + '\n');
  return sidecarPath;
}

interface SnarkjsZKeyApi {
  newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
  contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
  exportVerificationKey(zkey: string, logger?: unknown): Promise<Record<string, unknown>>;
}

interface SnarkjsPtauApi {
  verify(ptau: string, logger?: unknown): Promise<boolean>;
}

const zKeyApi = snarkjs.zKey as unknown as SnarkjsZKeyApi;
const ptauApi = snarkjs.powersOfTau as unknown as SnarkjsPtauApi;

/**
 * Run snarkjs work that needs its global multi-threaded curve, and terminate that curve afterwards if it
 * was not running before (its worker threads would otherwise keep the process alive).
 */
async function withSnarkjsCurve<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const hadCurve = !!g.curve_bn128;
  try {
    return await fn();
  } finally {
    if (!hadCurve) await g.curve_bn128?.terminate();
  }
}

async function exportVkey(zkeyPath: string): Promise<VerificationKey> {
  return (await zKeyApi.exportVerificationKey(zkeyPath)) as VerificationKey;
}

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

async function devSetupDirect(params: DevSetupParameters): Promise<SetupReturnType> {
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

/** snarkjs newZKey into a temporary file, then one contribution with fresh random entropy into zkeyPath. */
async function newKeyWithContribution(r1csPath: string, ptauPath: string, zkeyPath: string, name: string, onProgress?: OnSetupProgress, entropy = ''): Promise<void> {
  const init = `${zkeyPath}.${process.pid}.${randomBytes(6).toString('hex')}.init`;
  try {
    report(onProgress, { stage: 'snarkjs:newZKey', done: 0, total: 1 });
    const r = await zKeyApi.newZKey(r1csPath, ptauPath, init);
    if (!(r instanceof Uint8Array)) {
      throw new SetupError(`snarkjs newZKey failed for ${r1csPath} with ${ptauPath}`, { hint: 'check that the ptau is prepared (phase 2) and large enough' });
    }
    report(onProgress, { stage: 'snarkjs:contribute', done: 0, total: 1 });
    await zKeyApi.contribute(init, zkeyPath, name, randomBytes(32).toString('hex') + entropy);
    report(onProgress, { stage: 'snarkjs:contribute', done: 1, total: 1 });
  } finally {
    await unlink(init).catch(() => undefined);
  }
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
    if (params.verifyPtau && !(await ptauApi.verify(params.ptauPath))) {
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
