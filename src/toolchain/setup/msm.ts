/**
 * The curve: ffjavascript for a few single operations in the main thread, and a fixed-base MSM engine in worker threads
 * (signed-window tables on the curve library's own WebAssembly) for batches of points.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SetupError } from '../../errors.js';
import { type OnSetupProgress, report } from './types.js';

/** The parts of an ffjavascript WasmCurve group used here (points are Uint8Arrays in the wasm layout). */
export interface WasmGroup {
  g: Uint8Array;
  oneAffine: Uint8Array;
  timesScalar(p: Uint8Array, s: bigint | Uint8Array): Uint8Array;
  toAffine(p: Uint8Array): Uint8Array;
  toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void;
  fromRng(rng: unknown): Uint8Array;
  F: { n8: number };
}

export interface SyncCurve {
  G1: WasmGroup;
  G2: WasmGroup;
  Fr: { w: Uint8Array[]; toObject(a: Uint8Array): bigint };
  tm: { code: Uint8Array };
}

export interface FfjavascriptModule {
  buildBn128(singleThread?: boolean): Promise<SyncCurve>;
  ChaCha: new (seed: number[]) => unknown;
}

export interface Engine {
  curve: SyncCurve;
  ChaCha: new (seed: number[]) => unknown;
}

let enginePromise: Promise<Engine> | undefined;

/**
 * A single-threaded ffjavascript bn128 instance (no worker threads, nothing to terminate): small point
 * operations in the main thread, and the wasm code the point workers instantiate. Built once per process.
 */
export function engine(): Promise<Engine> {
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

export type GroupId = 1 | 2;

/** Affine point size (bytes) in the wasm/LEM layout. */
export const SG: Record<GroupId, number> = { 1: 64, 2: 128 };

export interface MulRequest {
  group: GroupId;
  scalars: Uint8Array;
  /** Affine points in snarkjs's file layout ("LEM": little-endian Montgomery). */
  lem?: boolean;
  /** Uncompressed big-endian standard form (what snarkjs hashes). */
  u?: boolean;
  /** Compressed form (what ptau response hashes use). */
  c?: boolean;
}

export interface PointBatch {
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
export const WORKER_SOURCE = String.raw`
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

export interface WorkerReply {
  id: number;
  ok: boolean;
  out?: PointBatch;
  error?: string;
}

export interface PendingJob {
  msg: Record<string, unknown>;
  transfer: ArrayBuffer[];
  resolve: (b: PointBatch) => void;
  reject: (e: Error) => void;
}

/**
 * Mixed additions per point for window width w, including the (per worker) table construction:
 * ⌈255/w⌉ · (points + 2^(w−1)·1.3).
 */
export function chooseWindow(pointsPerWorker: number): number {
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
export class PointPool {
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
export async function inOrder<T>(tasks: Iterable<() => Promise<T>>, limit: number, consume: (r: T) => Promise<void> | void): Promise<void> {
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
export const CHUNK: Record<GroupId, number> = { 1: 8192, 2: 2048 };

export interface PointStream {
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
export async function runStreams(
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

export function affine(G: WasmGroup, s: bigint, base?: Uint8Array): Uint8Array {
  return G.toAffine(G.timesScalar(base ?? G.g, s));
}

export function uncompressed(G: WasmGroup, p: Uint8Array): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2);
  G.toRprUncompressed(b, 0, p);
  return b;
}

/** snarkjs keypair.hashToG2: a G2 point from a ChaCha stream seeded with a 64-byte hash. */
export function hashToG2(eng: Engine, hash: Uint8Array): Uint8Array {
  const dv = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(dv.getUint32(i * 4, false));
  return eng.curve.G2.toAffine(eng.curve.G2.fromRng(new eng.ChaCha(seed)));
}

export function blake512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('blake2b512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

