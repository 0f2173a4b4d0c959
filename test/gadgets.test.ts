/**
 * The gadget library in circuits/, with the real compiler (circom2) and the real witness wasm.
 *
 * For every gadget: honest witnesses match a BigInt reference and satisfy every constraint; forged
 * witnesses (wrong output, wrong sign bit, non-boolean bit, wrong quotient with compensating remainder,
 * out-of-range value) are rejected, and we assert WHICH constraint rejects them; the constraint counts
 * match the documented formulas. Small instances are checked exhaustively: for every input and every
 * boolean bit vector, only the honest one satisfies the system.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CircomCompileError, WitnessError, ZkinferError } from '../src/errors.js';
import { compileCircuit, type CircomOptimization, type CompileResult } from '../src/toolchain/circom.js';
import {
  BN254_P,
  checkWitness,
  constraintWires,
  countConstraints,
  failingConstraints,
  isLinearConstraint,
  loadR1cs,
  type R1cs,
} from '../src/toolchain/r1cs.js';
import { calculateWitness, WitnessCalculators, type CircuitInput } from '../src/toolchain/witness.js';
import { compileGadget, GADGET_WORK } from './helpers/gadget.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = GADGET_WORK;
const P = BN254_P;

const mod = (v: bigint): bigint => ((v % P) + P) % P;
const posMod = (a: bigint, n: bigint): bigint => ((a % n) + n) % n;
const signed = (v: bigint): bigint => (v > P / 2n ? v - P : v);
const pow2 = (n: number): bigint => 1n << BigInt(n);
/** floor(a / 2^k), rounding toward −∞ (BigInt division truncates toward zero). */
const floorDiv = (a: bigint, k: number): bigint => {
  const d = pow2(k);
  const q = a / d;
  return a < 0n && q * d !== a ? q - 1n : q;
};
const relu = (a: bigint): bigint => (a > 0n ? a : 0n);
const bitsOf = (y: bigint, n: number): bigint[] => {
  if (y < 0n || y >= pow2(n)) throw new Error(`${y} does not fit in ${n} bits`);
  return Array.from({ length: n }, (_, i) => (y >> BigInt(i)) & 1n);
};

/** Deterministic PRNG (mulberry32) → integers in [lo, hi]. */
function rng(seed: number) {
  let a = seed >>> 0;
  const u32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    int(lo: bigint, hi: bigint): bigint {
      const span = hi - lo + 1n;
      let r = 0n;
      for (let bits = 0n; bits < BigInt(span.toString(2).length) + 32n; bits += 32n) r = (r << 32n) | BigInt(u32());
      return lo + (r % span);
    },
    small(lo: number, hi: number): number {
      return lo + (u32() % (hi - lo + 1));
    },
  };
}

/** Boundary values and values around multiples of 2^k in [−2^m, 2^m), plus random ones. */
function interestingSigned(m: number, k: number, seed = 1, randomCount = 40): bigint[] {
  const lo = -pow2(m);
  const hi = pow2(m) - 1n;
  const K = pow2(k);
  const s = new Set<bigint>([lo, lo + 1n, lo + 2n, hi, hi - 1n, 0n, 1n, -1n, 2n, -2n]);
  for (let j = -3n; j <= 3n; j++) {
    for (const d of [-1n, 0n, 1n]) {
      s.add(j * K + d);
      s.add(lo + (j + 3n) * K + d);
      s.add(hi + 1n - (j + 3n) * K + d);
      s.add((j * K) / 2n + d);
    }
  }
  const r = rng(seed);
  for (let i = 0; i < randomCount; i++) s.add(r.int(lo, hi));
  return [...s].filter((v) => v >= lo && v <= hi).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------
// Building test mains and reasoning about their wires.

class Circuit {
  constructor(
    readonly compiled: CompileResult,
    readonly r1cs: R1cs,
    readonly sym: Map<string, number>,
  ) {}

  has(name: string): boolean {
    return this.sym.has(name);
  }

  idx(name: string): number {
    const i = this.sym.get(name);
    if (i === undefined) throw new Error(`signal ${name} is not a live wire (${[...this.sym.keys()].join(', ')})`);
    return i;
  }

  honest(input: CircuitInput): Promise<bigint[]> {
    return calculateWitness({ wasmPath: this.compiled.wasmPath, input });
  }

  get(w: readonly bigint[], name: string): bigint {
    return signed(w[this.idx(name)]!);
  }

  /** A copy of w with some named entries replaced (values taken mod p). */
  forge(w: readonly bigint[], changes: Record<string, bigint>): bigint[] {
    const f = [...w];
    for (const [name, v] of Object.entries(changes)) f[this.idx(name)] = mod(v);
    return f;
  }

  /**
   * A witness built from scratch: every live wire must be given (names not live are ignored, since the
   * optimizer may have removed them).
   */
  assemble(values: Record<string, bigint>): bigint[] {
    const w = new Array<bigint>(this.r1cs.nVars).fill(-1n);
    w[0] = 1n;
    for (const [name, v] of Object.entries(values)) if (this.has(name)) w[this.idx(name)] = mod(v);
    const missing = [...this.sym].filter(([, i]) => w[i] === -1n).map(([n]) => n);
    if (missing.length) throw new Error(`assemble: no value for ${missing.join(', ')}`);
    return w;
  }

  failing(w: readonly bigint[]): number[] {
    return failingConstraints(this.r1cs, w);
  }

  /** Index of the unique constraint satisfying pred. */
  only(pred: (i: number) => boolean, what: string): number {
    const hits = this.r1cs.constraints.map((_, i) => i).filter(pred);
    if (hits.length !== 1) throw new Error(`expected exactly one ${what} constraint, found ${hits.length}`);
    return hits[0]!;
  }

  /** The boolean constraint b·(b − 1) = 0 of a bit wire: the only constraint on that wire alone. */
  booleanOf(name: string): number {
    const wire = this.idx(name);
    return this.only((i) => {
      const ws = constraintWires(this.r1cs.constraints[i]!);
      return ws.size === 1 && ws.has(wire);
    }, `boolean(${name})`);
  }

  /** The linear recomposition Σ b_i 2^i = in + c: the only linear constraint mentioning bit 0. */
  recomposition(prefix = 'main.d'): number {
    const b0 = this.idx(`${prefix}.out[0]`);
    return this.only(
      (i) => isLinearConstraint(this.r1cs.constraints[i]!) && constraintWires(this.r1cs.constraints[i]!).has(b0),
      'recomposition',
    );
  }

  /** The constraint defining the output (the only one mentioning main.out). */
  outputDefinition(): number {
    const o = this.idx('main.out');
    return this.only((i) => constraintWires(this.r1cs.constraints[i]!).has(o), 'output definition');
  }
}

const builds = new Map<string, Promise<Circuit>>();

/** Compile `component main = <main>;` including circuits/<include> (memoized per name and level). */
function build(name: string, include: string, main: string, optimize: CircomOptimization = 'O1'): Promise<Circuit> {
  const key = `${name}-${optimize}`;
  let b = builds.get(key);
  if (!b) {
    b = compileGadget({ key, include, main, optimize, file: `t_${name}.circom` }).then((g) => new Circuit(g.c, g.r1cs, g.sym));
    builds.set(key, b);
  }
  return b;
}

async function expectWitnessError(p: Promise<unknown>, re = /Assert Failed/): Promise<WitnessError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WitnessError);
  expect((e as WitnessError).message).toMatch(re);
  return e as WitnessError;
}

/** Wire values of a gadget decomposing y = in + offset into the bits b (prefix main.d). */
function decompositionWires(bits: readonly bigint[], extra: Record<string, bigint>, dIn: bigint): Record<string, bigint> {
  const v: Record<string, bigint> = { ...extra, 'main.d.in': dIn };
  bits.forEach((b, i) => (v[`main.d.out[${i}]`] = b));
  return v;
}

// ---------------------------------------------------------------------------------------------------------

describe('toolchain', () => {
  it('compiles with an argument array (spaces in paths), reports counts and artifact paths', async () => {
    const dir = path.join(WORK, 'dir with space');
    await mkdir(dir, { recursive: true });
    const src = path.join(dir, 'mul $(echo x).circom');
    await writeFile(src, 'pragma circom 2.1.0;\ntemplate M() { signal input a; signal input b; signal output c; c <== a * b; }\ncomponent main {public [a]} = M();\n');
    const r = await compileCircuit({ sourcePath: src, outDir: dir, projectRoot: ROOT });
    expect(r).toMatchObject({ nonLinearConstraints: 1, linearConstraints: 0, publicInputs: 1, privateInputs: 1, outputs: 1, wires: 4 });
    expect(r.compilerVersion).toMatch(/^2\.\d+\.\d+$/);
    expect(r.wasmPath).toBe(path.join(dir, 'mul $(echo x)_js', 'mul $(echo x).wasm'));
    const w = await calculateWitness({ wasmPath: r.wasmPath, input: { a: 6n, b: -7 } });
    expect(w.map(signed)).toEqual([1n, -42n, 6n, -7n]);
    expect(checkWitness(await loadR1cs(r.r1csPath), w)).toEqual({ ok: true });
  });

  it('throws CircomCompileError with the compiler diagnostic, not a stack trace', async () => {
    const dir = path.join(WORK, 'broken');
    await mkdir(dir, { recursive: true });
    const src = path.join(dir, 'broken.circom');
    await writeFile(src, 'pragma circom 2.1.0;\ntemplate T() { signal input a; signal output c; c <== a * undeclared; }\ncomponent main = T();\n');
    const e = await compileCircuit({ sourcePath: src, outDir: dir, projectRoot: ROOT }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CircomCompileError);
    expect(e).toBeInstanceOf(ZkinferError);
    const msg = (e as CircomCompileError).message;
    expect(msg).toMatch(/error\[T2021\]/);
    expect(msg).toMatch(/undeclared/);
    expect(msg).not.toMatch(/\x1b\[/);
    expect(msg).not.toMatch(/previous errors were found/);
    expect(msg).not.toMatch(/^\s+at /m);
  });

  it('a compiler crash (flat 800-term sum overflows the wasm stack) is a CircomCompileError with a hint', async () => {
    const dir = path.join(WORK, 'flat-sum');
    await mkdir(dir, { recursive: true });
    const src = path.join(dir, 'flat.circom');
    const terms = Array.from({ length: 800 }, (_, i) => `${(i % 5) + 1}*x[${i}]`).join(' + ');
    await writeFile(src, `pragma circom 2.1.0;\ntemplate F() { signal input x[800]; signal output y; y <== ${terms}; }\ncomponent main = F();\n`);
    const e = await compileCircuit({ sourcePath: src, outDir: dir, projectRoot: ROOT }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CircomCompileError);
    expect((e as CircomCompileError).message).toMatch(/crashed.*RuntimeError/);
    expect((e as CircomCompileError).hint).toMatch(/balanced/);
  });

  it('refuses include directories outside the project root', async () => {
    await expect(
      compileCircuit({ sourcePath: 'x.circom', outDir: WORK, includeDirs: ['/tmp'], projectRoot: ROOT }),
    ).rejects.toBeInstanceOf(CircomCompileError);
  });

  it('compile-time parameter checks reject widths that could wrap the field', async () => {
    await expect(build('bits253', 'bits.circom', 'Bits(253)')).rejects.toThrow(/False assert/);
    await expect(build('rescale-k-gt-m', 'rescale.circom', 'Rescale(10, 11)')).rejects.toBeInstanceOf(CircomCompileError);
    await expect(build('rr-k-eq-m', 'rescale.circom', 'RescaleRelu(10, 10)')).rejects.toBeInstanceOf(CircomCompileError);
    await expect(build('src252', 'range.circom', 'SignedRangeCheck(252)')).rejects.toBeInstanceOf(CircomCompileError);
  });

  it('WitnessError names the failing template; the cached calculator keeps working afterwards', async () => {
    const c = await build('rescale-10-3', 'rescale.circom', 'Rescale(10, 3)');
    const e = await expectWitnessError(c.honest({ in: 1024n }));
    expect(e.message).toMatch(/ShiftedBits/);
    expect(e.code).toBe('witness');
    expect(c.get(await c.honest({ in: 1023n }), 'main.out')).toBe(127n);
    await expectWitnessError(c.honest({ nope: 1n }), /.+/);
    await expectWitnessError(c.honest({}), /Not all inputs/);
    // one instance per wasm, reused; concurrent calls are serialized and do not mix up their results
    const calcs = new WitnessCalculators();
    const [a, b] = await Promise.all([calcs.get(c.compiled.wasmPath), calcs.get(c.compiled.wasmPath)]);
    expect(a).toBe(b);
    expect(calcs.size).toBe(1);
    const outs = await Promise.all(
      [-1000n, -9n, 0n, 9n, 1000n].map((v) => calcs.calculateWitness(c.compiled.wasmPath, { in: v })),
    );
    expect(outs.map((w) => c.get(w, 'main.out'))).toEqual([-125n, -2n, 0n, 1n, 125n]);
  });
});

describe('Bits / RangeCheck / SignedRangeCheck', () => {
  it('Bits(8): honest decompositions for all 256 values; out-of-range values have no witness', async () => {
    const c = await build('bits8', 'bits.circom', 'Bits(8)');
    for (let v = 0n; v < 256n; v++) {
      const w = await c.honest({ in: v });
      expect(Array.from({ length: 8 }, (_, i) => c.get(w, `main.out[${i}]`))).toEqual(bitsOf(v, 8));
      expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
    }
    for (const v of [256n, -1n, 1000n, P - 1n]) await expectWitnessError(c.honest({ in: v }));
  });

  it('Bits(252) at the field-safe limit', async () => {
    const c = await build('bits252', 'bits.circom', 'Bits(252)');
    for (const v of [0n, 1n, pow2(251), pow2(252) - 1n, rng(7).int(0n, pow2(252) - 1n)]) {
      const w = await c.honest({ in: v });
      expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
      expect(Array.from({ length: 252 }, (_, i) => c.get(w, `main.out[${i}]`))).toEqual(bitsOf(v, 252));
    }
    await expectWitnessError(c.honest({ in: pow2(252) }));
  });

  it('RangeCheck(8): forged decompositions are rejected by the specific constraint', async () => {
    const c = await build('range8', 'range.circom', 'RangeCheck(8)');
    for (const v of [0n, 1n, 127n, 128n, 255n]) expect(checkWitness(c.r1cs, await c.honest({ in: v }))).toEqual({ ok: true });
    for (const v of [256n, -1n, -128n]) await expectWitnessError(c.honest({ in: v }));
    const sum = c.recomposition();
    const wire = (v: bigint, bits: bigint[]) => c.assemble(decompositionWires(bits, { 'main.in': v }, v));
    // honest assembly = generated witness
    expect(wire(77n, bitsOf(77n, 8))).toEqual(await c.honest({ in: 77n }));
    // 256: the natural decompositions fail — all-zero bits (wrap mod 2^8) break the sum; b7 = 2 breaks b7's boolean
    expect(c.failing(wire(256n, bitsOf(0n, 8)))).toEqual([sum]);
    expect(c.failing(wire(256n, [0n, 0n, 0n, 0n, 0n, 0n, 0n, 2n]))).toEqual([c.booleanOf('main.d.out[7]')]);
    // −1: bits of 255 (two's complement) break the sum; the field encoding p − 1 has no 8-bit form at all
    expect(c.failing(wire(-1n, bitsOf(255n, 8)))).toEqual([sum]);
    // a bit set to 2 with a compensating neighbour keeps the sum: only that boolean fails
    const f = wire(2n, [2n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    expect(c.failing(f)).toEqual([c.booleanOf('main.d.out[0]')]);
    // exhaustive: for v in [−4, 260), exactly one boolean vector satisfies the system iff 0 ≤ v < 256
    for (let v = -4n; v < 260n; v += 1n) {
      let ok = 0;
      for (let y = 0n; y < 256n; y++) if (checkWitness(c.r1cs, wire(v, bitsOf(y, 8))).ok) ok++;
      expect(ok).toBe(v >= 0n && v < 256n ? 1 : 0);
    }
  });

  it('SignedRangeCheck(m): accepts exactly −2^m ≤ in < 2^m', async () => {
    for (const m of [8, 251]) {
      const c = await build(`srange${m}`, 'range.circom', `SignedRangeCheck(${m})`);
      for (const v of interestingSigned(m, 0, m)) expect(checkWitness(c.r1cs, await c.honest({ in: v }))).toEqual({ ok: true });
      for (const v of [pow2(m), -pow2(m) - 1n, pow2(m) + 12345n]) await expectWitnessError(c.honest({ in: v }));
      const wire = (v: bigint, bits: bigint[]) => c.assemble(decompositionWires(bits, { 'main.in': v }, v));
      // in = 2^m: bits of 2^(m+1) wrap to zero → sum fails; the sign bit set to 2 → its boolean fails
      expect(c.failing(wire(pow2(m), bitsOf(0n, m + 1)))).toEqual([c.recomposition()]);
      const two = bitsOf(0n, m + 1);
      two[m] = 2n;
      expect(c.failing(wire(pow2(m), two))).toEqual([c.booleanOf(`main.d.out[${m}]`)]);
      // in = −2^m − 1: y = −1; the two's complement bits of y and the low bits of its field encoding
      // p − 1 both break the sum
      expect(c.failing(wire(-pow2(m) - 1n, bitsOf(pow2(m + 1) - 1n, m + 1)))).toEqual([c.recomposition()]);
      expect(c.failing(wire(-pow2(m) - 1n, bitsOf(posMod(P - 1n, pow2(m + 1)), m + 1)))).toEqual([c.recomposition()]);
    }
  });
});

describe('Rescale(m, k): floor(in / 2^k)', () => {
  const cases: Array<[number, number]> = [
    [10, 3],
    [10, 0],
    [10, 10],
    [24, 8],
    [4, 2],
    [251, 100],
  ];
  for (const [m, k] of cases) {
    it(`Rescale(${m}, ${k}): honest outputs equal floor division, all constraints hold`, async () => {
      const c = await build(`rescale-${m}-${k}`, 'rescale.circom', `Rescale(${m}, ${k})`);
      for (const v of interestingSigned(m, k, m * 100 + k)) {
        const w = await c.honest({ in: v });
        expect(c.get(w, 'main.out'), `in=${v}`).toBe(floorDiv(v, k));
        expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
        // the generated witness is exactly our wire model (bits of in + 2^m)
        expect(w).toEqual(c.assemble(decompositionWires(bitsOf(v + pow2(m), m + 1), { 'main.in': v, 'main.out': floorDiv(v, k) }, v)));
      }
      for (const v of [pow2(m), -pow2(m) - 1n, P - 1n - pow2(m)]) await expectWitnessError(c.honest({ in: v }));
    });
  }

  it('Rescale(10, 3): forged witnesses are rejected by the specific constraint', async () => {
    const [m, k] = [10, 3];
    const c = await build('rescale-10-3', 'rescale.circom', 'Rescale(10, 3)');
    const sum = c.recomposition();
    const def = c.outputDefinition();
    const bool = (i: number) => c.booleanOf(`main.d.out[${i}]`);
    expect(isLinearConstraint(c.r1cs.constraints[def]!)).toBe(true);
    const wire = (v: bigint, bits: bigint[], out: bigint) =>
      c.assemble(decompositionWires(bits, { 'main.in': v, 'main.out': out }, v));
    const outOf = (bits: readonly bigint[]) => bits.slice(k).reduce((s, b, i) => s + b * pow2(i), 0n) - pow2(m - k);

    for (const v of [37n, -37n, 0n, -1n, 1023n, -1024n, 8n, -8n, 500n]) {
      const y = v + pow2(m);
      const bits = bitsOf(y, m + 1);
      const q = floorDiv(v, k);
      const honest = wire(v, bits, q);
      expect(c.failing(honest)).toEqual([]);
      // 1. output ±1, bits untouched → the output definition fails
      expect(c.failing(wire(v, bits, q + 1n))).toEqual([def]);
      expect(c.failing(wire(v, bits, q - 1n))).toEqual([def]);
      // 2. output ±1 with the high bits re-encoding it (low bits kept) → the recomposition fails
      for (const d of [1n, -1n]) {
        const y2 = y + d * pow2(k);
        if (y2 < 0n || y2 >= pow2(m + 1)) continue;
        const b2 = bitsOf(y2, m + 1);
        for (let i = 0; i < k; i++) b2[i] = bits[i]!;
        expect(outOf(b2)).toBe(q + d);
        expect(c.failing(wire(v, b2, q + d))).toEqual([sum]);
        // 3. wrong quotient with a compensating remainder: the sum holds again, but the low bit is not boolean
        const b3 = [...b2];
        b3[0] = b3[0]! - d * pow2(k);
        expect(c.failing(wire(v, b3, q + d))).toEqual([bool(0)]);
        const b4 = [...b2];
        b4[k - 1] = b4[k - 1]! - d * 2n; // the same unit moved into the top remainder bit
        expect(c.failing(wire(v, b4, q + d))).toEqual([bool(k - 1)]);
      }
      // 4. flipped sign bit: alone it breaks the sum and the output; with the output adjusted, the sum
      const flipped = [...bits];
      flipped[m] = 1n - flipped[m]!;
      expect(c.failing(wire(v, flipped, q))).toEqual([sum, def].sort((a, b) => a - b));
      expect(c.failing(wire(v, flipped, outOf(flipped)))).toEqual([sum]);
      // 5. a bit set to 2, compensated by its upper neighbour: only that bit's boolean fails
      for (let i = 0; i < m; i++) {
        if (bits[i] !== 0n || bits[i + 1] !== 1n) continue;
        const b5 = [...bits];
        b5[i] = 2n;
        b5[i + 1] = 0n;
        expect(c.failing(wire(v, b5, outOf(b5))), `bit ${i}`).toEqual([bool(i)]);
        // the forged bits keep the output (or, at bit k − 1, lower it by one: a wrong quotient with a
        // compensating non-boolean remainder bit); either way the boolean alone catches it
        expect(outOf(b5)).toBe(i === k - 1 ? q - 1n : q);
      }
    }

    // 6. in = 2^m (just out of range): y = 2^(m+1) has no (m+1)-bit form
    const v = pow2(m);
    const wrapped = bitsOf(0n, m + 1); // bits of y mod 2^(m+1)
    expect(c.failing(wire(v, wrapped, outOf(wrapped)))).toEqual([sum]);
    const twoTop = bitsOf(0n, m + 1);
    twoTop[m] = 2n; // 2·2^m = y: sum and output hold, the sign bit's boolean does not
    expect(c.failing(wire(v, twoTop, outOf(twoTop)))).toEqual([bool(m)]);
    const viaP = bitsOf(posMod(v + pow2(m) - P, pow2(m + 1)), m + 1); // "bits of in + 2^m − p" (two's complement)
    expect(c.failing(wire(v, viaP, outOf(viaP)))).toEqual([sum]);
    // the forged output floor(2^m / 2^k) = 2^(m−k) itself is out of the output range: no bits give it
    const top = bitsOf(pow2(m + 1) - 1n, m + 1);
    expect(c.failing(wire(v, top, pow2(m - k)))).toEqual([sum, def].sort((a, b) => a - b));
  });

  it('Rescale(4, 2): exhaustively, only the honest bit vector satisfies the constraints', async () => {
    const [m, k] = [4, 2];
    const c = await build('rescale-4-2', 'rescale.circom', 'Rescale(4, 2)');
    const outOf = (bits: readonly bigint[]) => bits.slice(k).reduce((s, b, i) => s + b * pow2(i), 0n) - pow2(m - k);
    for (let v = -pow2(m) - 3n; v < pow2(m) + 3n; v++) {
      const accepted: bigint[] = [];
      for (let y = 0n; y < pow2(m + 1); y++) {
        const bits = bitsOf(y, m + 1);
        const w = c.assemble(decompositionWires(bits, { 'main.in': v, 'main.out': outOf(bits) }, v));
        if (checkWitness(c.r1cs, w).ok) accepted.push(outOf(bits));
      }
      const inRange = v >= -pow2(m) && v < pow2(m);
      expect(accepted, `in=${v}`).toEqual(inRange ? [floorDiv(v, k)] : []);
    }
  });
});

describe('RescaleRelu(m, k) / Relu(m): max(0, floor(in / 2^k))', () => {
  const cases: Array<[number, number]> = [
    [10, 3],
    [10, 0],
    [10, 9],
    [24, 8],
    [251, 100],
  ];
  for (const [m, k] of cases) {
    it(`RescaleRelu(${m}, ${k}): honest outputs equal max(0, floor), all constraints hold`, async () => {
      const c = await build(`rrelu-${m}-${k}`, 'rescale.circom', `RescaleRelu(${m}, ${k})`);
      for (const v of interestingSigned(m, k, m * 1000 + k)) {
        const w = await c.honest({ in: v });
        expect(c.get(w, 'main.out'), `in=${v}`).toBe(relu(floorDiv(v, k)));
        expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
      }
      for (const v of [pow2(m), -pow2(m) - 1n]) await expectWitnessError(c.honest({ in: v }));
    });
  }

  it('Relu(10) = RescaleRelu(10, 0)', async () => {
    const c = await build('relu-10', 'rescale.circom', 'Relu(10)');
    for (const v of interestingSigned(10, 0, 5)) {
      const w = await c.honest({ in: v });
      expect(c.get(w, 'main.out')).toBe(relu(v));
      expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
    }
    await expectWitnessError(c.honest({ in: 1024n }));
  });

  it('RescaleRelu(10, 3): forged witnesses are rejected by the specific constraint', async () => {
    const [m, k] = [10, 3];
    const c = await build('rrelu-10-3', 'rescale.circom', 'RescaleRelu(10, 3)');
    const sum = c.recomposition();
    const prod = c.outputDefinition();
    const bool = (i: number) => c.booleanOf(`main.d.out[${i}]`);
    expect(isLinearConstraint(c.r1cs.constraints[prod]!)).toBe(false);
    const outOf = (bits: readonly bigint[]) => bits[m]! * bits.slice(k, m).reduce((s, b, i) => s + b * pow2(i), 0n);
    const wire = (v: bigint, bits: bigint[], out: bigint) =>
      c.assemble(decompositionWires(bits, { 'main.in': v, 'main.out': out }, v));

    for (const v of [37n, -37n, 0n, -1n, 1023n, -1024n, 8n, 7n, -8n, 500n, -500n]) {
      const y = v + pow2(m);
      const bits = bitsOf(y, m + 1);
      const out = relu(floorDiv(v, k));
      expect(outOf(bits)).toBe(out);
      expect(c.failing(wire(v, bits, out))).toEqual([]);
      // claiming the pre-activation value (skipping the ReLU) or out ± 1 breaks the product
      if (v < 0n) expect(c.failing(wire(v, bits, floorDiv(v, k)))).toEqual([prod]);
      expect(c.failing(wire(v, bits, out + 1n))).toEqual([prod]);
      expect(c.failing(wire(v, bits, out - 1n))).toEqual([prod]);
      // flipped sign bit (e.g. a negative value claimed positive): the product can follow, the sum cannot
      const flipped = [...bits];
      flipped[m] = 1n - flipped[m]!;
      expect(c.failing(wire(v, flipped, outOf(flipped)))).toEqual([sum]);
      if (outOf(flipped) !== out) expect(c.failing(wire(v, flipped, out))).toEqual([sum, prod].sort((a, b) => a - b));
      // wrong quotient with a compensating remainder: only the low bit's boolean fails
      if (v >= 8n && y + pow2(k) < pow2(m + 1)) {
        const b2 = bitsOf(y + pow2(k), m + 1);
        for (let i = 0; i < k; i++) b2[i] = bits[i]!;
        expect(c.failing(wire(v, b2, out + 1n))).toEqual([sum]);
        b2[0] = b2[0]! - pow2(k);
        expect(c.failing(wire(v, b2, out + 1n))).toEqual([bool(0)]);
      }
      // a bit set to 2, compensated: only that boolean
      for (let i = 0; i < m; i++) {
        if (bits[i] !== 0n || bits[i + 1] !== 1n) continue;
        const b5 = [...bits];
        b5[i] = 2n;
        b5[i + 1] = 0n;
        // (for i + 1 = m the sign bit is zeroed: the product then changes, so keep the output consistent)
        expect(c.failing(wire(v, b5, outOf(b5))), `bit ${i}`).toEqual([bool(i)]);
      }
    }
    // out of range: in = 2^m → sign bit 2 (output 0, the product holds) → only its boolean
    const twoTop = bitsOf(0n, m + 1);
    twoTop[m] = 2n;
    expect(c.failing(wire(pow2(m), twoTop, 0n))).toEqual([bool(m)]);
    // in = 2^m claiming the natural output 2^(m−k) (all-ones value bits, sign 1): the sum breaks
    const ones = bitsOf(pow2(m + 1) - 1n, m + 1);
    expect(c.failing(wire(pow2(m), ones, outOf(ones)))).toEqual([sum]);
    // in = −2^m − 1 (y = −1): bits of y mod 2^(m+1) break the sum
    expect(c.failing(wire(-pow2(m) - 1n, ones, outOf(ones)))).toEqual([sum]);
  });

  it('RescaleRelu(4, 1): exhaustively, only the honest bit vector satisfies the constraints', async () => {
    const [m, k] = [4, 1];
    const c = await build('rrelu-4-1', 'rescale.circom', 'RescaleRelu(4, 1)');
    const outOf = (bits: readonly bigint[]) => bits[m]! * bits.slice(k, m).reduce((s, b, i) => s + b * pow2(i), 0n);
    for (let v = -pow2(m) - 3n; v < pow2(m) + 3n; v++) {
      const accepted: bigint[] = [];
      for (let y = 0n; y < pow2(m + 1); y++) {
        const bits = bitsOf(y, m + 1);
        // the output is free here too: try the value the product gives and its neighbours
        for (const out of [outOf(bits) - 1n, outOf(bits), outOf(bits) + 1n, floorDiv(v, k)]) {
          const w = c.assemble(decompositionWires(bits, { 'main.in': v, 'main.out': out }, v));
          if (checkWitness(c.r1cs, w).ok) accepted.push(out);
        }
      }
      const inRange = v >= -pow2(m) && v < pow2(m);
      expect([...new Set(accepted)], `in=${v}`).toEqual(inRange ? [relu(floorDiv(v, k))] : []);
    }
  });
});

describe('Max2(m): max(a, b) = b + Relu(a − b)', () => {
  it('Max2(10): honest outputs, forgeries rejected', async () => {
    const m = 10;
    const c = await build('max2-10', 'rescale.circom', 'Max2(10)');
    const r = rng(42);
    const pairs: Array<[bigint, bigint]> = [
      [5n, 9n],
      [9n, 5n],
      [7n, 7n],
      [-3n, -4n],
      [-1024n, 0n],
      [0n, -1023n],
      [1023n, 0n],
      [0n, 1023n],
      [-600n, 423n],
      [100000n, 100000n - 1023n],
      [-50000n, -50000n + 1023n],
    ];
    for (let i = 0; i < 40; i++) {
      const b = r.int(-1_000_000n, 1_000_000n);
      pairs.push([b + r.int(-pow2(m), pow2(m) - 1n), b]);
    }
    for (const [a, b] of pairs) {
      const w = await c.honest({ a, b });
      expect(c.get(w, 'main.out'), `max(${a}, ${b})`).toBe(a > b ? a : b);
      expect(checkWitness(c.r1cs, w)).toEqual({ ok: true });
    }
    for (const [a, b] of [
      [1024n, 0n],
      [0n, 1025n],
      [5000n, -5000n],
    ] as const) {
      await expectWitnessError(c.honest({ a, b }));
    }

    const sum = c.recomposition();
    const prod = c.outputDefinition();
    const outOf = (b: bigint, bits: readonly bigint[]) =>
      b + bits[m]! * bits.slice(0, m).reduce((s, x, i) => s + x * pow2(i), 0n);
    const wire = (a: bigint, b: bigint, bits: bigint[], out: bigint) =>
      c.assemble(decompositionWires(bits, { 'main.a': a, 'main.b': b, 'main.out': out }, a - b));
    for (const [a, b] of [
      [5n, 9n],
      [9n, 5n],
      [-3n, -4n],
      [-200n, 300n],
    ] as const) {
      const bits = bitsOf(a - b + pow2(m), m + 1);
      const max = a > b ? a : b;
      const min = a > b ? b : a;
      expect(c.failing(wire(a, b, bits, max))).toEqual([]);
      // claiming the minimum
      expect(c.failing(wire(a, b, bits, min))).toEqual([prod]);
      // flipping the sign bit: the output can follow, the recomposition cannot
      const flipped = [...bits];
      flipped[m] = 1n - flipped[m]!;
      expect(c.failing(wire(a, b, flipped, outOf(b, flipped)))).toEqual([sum]);
    }
    // out of range difference a − b = 2^m: sign bit 2 → only its boolean fails
    const twoTop = bitsOf(0n, m + 1);
    twoTop[m] = 2n;
    expect(c.failing(wire(pow2(m), 0n, twoTop, 0n))).toEqual([c.booleanOf(`main.d.out[${m}]`)]);
  });

  it('Max2(3): exhaustively, only the honest witness satisfies the constraints', async () => {
    const m = 3;
    const c = await build('max2-3', 'rescale.circom', 'Max2(3)');
    const outOf = (b: bigint, bits: readonly bigint[]) =>
      b + bits[m]! * bits.slice(0, m).reduce((s, x, i) => s + x * pow2(i), 0n);
    for (const b of [-5n, 0n, 12n]) {
      for (let d = -pow2(m) - 2n; d < pow2(m) + 2n; d++) {
        const a = b + d;
        const accepted = new Set<bigint>();
        for (let y = 0n; y < pow2(m + 1); y++) {
          const bits = bitsOf(y, m + 1);
          for (const out of [outOf(b, bits), a, b]) {
            if (checkWitness(c.r1cs, c.assemble(decompositionWires(bits, { 'main.a': a, 'main.b': b, 'main.out': out }, d))).ok) {
              accepted.add(out);
            }
          }
        }
        const inRange = d >= -pow2(m) && d < pow2(m);
        expect([...accepted], `a=${a} b=${b}`).toEqual(inRange ? [a > b ? a : b] : []);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

interface CountCase {
  name: string;
  include: string;
  main: string;
  /** Documented O1 counts (gadget alone in a main: inputs are main inputs, outputs main outputs). */
  nonLinear: number;
  linear: number;
}

const countCases: CountCase[] = [
  // Bits(1): the recomposition out[0] = in is a plain signal equality, which O1 substitutes away
  ...[1, 8, 32, 252].map((n) => ({ name: `cnt-bits-${n}`, include: 'bits.circom', main: `Bits(${n})`, nonLinear: n, linear: n === 1 ? 0 : 1 })),
  ...[8, 16].map((n) => ({ name: `cnt-range-${n}`, include: 'range.circom', main: `RangeCheck(${n})`, nonLinear: n, linear: 1 })),
  ...[8, 24].map((m) => ({ name: `cnt-srange-${m}`, include: 'range.circom', main: `SignedRangeCheck(${m})`, nonLinear: m + 1, linear: 1 })),
  ...([
    [10, 3],
    [24, 8],
    [32, 16],
    [10, 0],
    [10, 10],
  ] as const).map(([m, k]) => ({ name: `cnt-rescale-${m}-${k}`, include: 'rescale.circom', main: `Rescale(${m}, ${k})`, nonLinear: m + 1, linear: 2 })),
  ...([
    [10, 3],
    [24, 8],
    [32, 16],
  ] as const).map(([m, k]) => ({ name: `cnt-rrelu-${m}-${k}`, include: 'rescale.circom', main: `RescaleRelu(${m}, ${k})`, nonLinear: m + 2, linear: 1 })),
  { name: 'cnt-relu-16', include: 'rescale.circom', main: 'Relu(16)', nonLinear: 18, linear: 1 },
  { name: 'cnt-max2-16', include: 'rescale.circom', main: 'Max2(16)', nonLinear: 18, linear: 2 },
];

describe('constraint counts', () => {
  const table: string[] = [];

  for (const cc of countCases) {
    it(`${cc.main}: O1 = ${cc.nonLinear} non-linear + ${cc.linear} linear`, async () => {
      const o1 = await build(cc.name, cc.include, cc.main, 'O1');
      expect(o1.compiled.nonLinearConstraints).toBe(cc.nonLinear);
      expect(o1.compiled.linearConstraints).toBe(cc.linear);
      const n1 = countConstraints(o1.r1cs);
      expect([n1.nonLinear, n1.linear, n1.total]).toEqual([cc.nonLinear, cc.linear, cc.nonLinear + cc.linear]);
      const o2 = await build(cc.name, cc.include, cc.main, 'O2');
      const n2 = countConstraints(o2.r1cs);
      expect(o2.compiled.nonLinearConstraints).toBe(cc.nonLinear);
      expect([n2.nonLinear, n2.linear]).toEqual([o2.compiled.nonLinearConstraints, o2.compiled.linearConstraints]);
      table.push(
        `${cc.main.padEnd(20)} O1 ${n1.nonLinear} + ${n1.linear} = ${n1.total}   O2 ${n2.nonLinear} + ${n2.linear} = ${n2.total}`,
      );
    });
  }

  it('report', () => {
    console.log(`gadget constraint counts (non-linear + linear):\n${table.join('\n')}`);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('MLP cost target: 784 inputs → 32 RescaleRelu(24, 8) → 10 linear outputs', () => {
  const N_IN = 784;
  const N_HID = 32;
  const N_OUT = 10;
  const r = rng(2024);
  const W1 = Array.from({ length: N_HID }, () => Array.from({ length: N_IN }, () => BigInt(r.small(-127, 127))));
  const W2 = Array.from({ length: N_OUT }, () => Array.from({ length: N_HID }, () => BigInt(r.small(-127, 127))));
  // A balanced sum: circom2 (wasm) overflows its stack on a flat a + b + c + … chain of 500-600 terms
  // ("RuntimeError: memory access out of bounds"); a balanced tree has depth log2(n).
  const balanced = (terms: string[]): string =>
    terms.length === 1 ? terms[0]! : `(${balanced(terms.slice(0, terms.length >> 1))} + ${balanced(terms.slice(terms.length >> 1))})`;
  const lc = (ws: bigint[], sig: (i: number) => string): string => {
    const terms = ws.flatMap((w, i) => (w === 0n ? [] : [`${w}*${sig(i)}`]));
    return terms.length ? balanced(terms) : '0';
  };
  const source = [
    'pragma circom 2.1.0;',
    'include "range.circom";',
    'include "rescale.circom";',
    '',
    'template Mlp() {',
    `  signal input x[${N_IN}];`,
    `  signal output y[${N_OUT}];`,
    `  component rc[${N_IN}];`,
    `  for (var i = 0; i < ${N_IN}; i++) { rc[i] = RangeCheck(8); rc[i].in <== x[i]; }`,
    `  component h[${N_HID}];`,
    ...W1.map((row, j) => `  h[${j}] = RescaleRelu(24, 8); h[${j}].in <== ${lc(row, (i) => `x[${i}]`)};`),
    ...W2.map((row, l) => `  y[${l}] <== ${lc(row, (j) => `h[${j}].out`)};`),
    '}',
    '',
    'component main = Mlp();',
    '',
  ].join('\n');

  const results: Record<string, { nl: number; l: number; total: number; seconds: number; nonZeros: number; wires: number }> = {};

  for (const optimize of ['O1', 'O2'] as const) {
    it(`${optimize}: total constraints ≤ 8,400 and the witness is right`, async () => {
      const dir = path.join(WORK, `mlp-${optimize}`);
      await mkdir(dir, { recursive: true });
      const sourcePath = path.join(dir, 'mlp.circom');
      await writeFile(sourcePath, source);
      const compiled = await compileCircuit({ sourcePath, outDir: dir, includeDirs: ['circuits'], optimize, projectRoot: ROOT });
      const r1cs = await loadR1cs(compiled.r1csPath);
      const counts = countConstraints(r1cs);
      expect([counts.nonLinear, counts.linear]).toEqual([compiled.nonLinearConstraints, compiled.linearConstraints]);
      results[optimize] = {
        nl: counts.nonLinear,
        l: counts.linear,
        total: counts.total,
        seconds: compiled.seconds,
        nonZeros: counts.nonZeros,
        wires: compiled.wires,
      };
      // non-linear: 784·8 booleans + 32·(25 booleans + 1 product)
      expect(counts.nonLinear).toBe(N_IN * 8 + N_HID * (24 + 2));
      expect(counts.total).toBeLessThanOrEqual(8400);

      const x = Array.from({ length: N_IN }, () => BigInt(r.small(0, 255)));
      const hidden = W1.map((row) => relu(floorDiv(row.reduce((s, w, i) => s + w * x[i]!, 0n), 8)));
      const y = W2.map((row) => row.reduce((s, w, j) => s + w * hidden[j]!, 0n));
      const w = await calculateWitness({ wasmPath: compiled.wasmPath, input: { x } });
      expect(w.slice(1, 1 + N_OUT).map(signed)).toEqual(y);
      expect(checkWitness(r1cs, w)).toEqual({ ok: true });
      // an input pixel out of its 8-bit range has no witness
      await expectWitnessError(calculateWitness({ wasmPath: compiled.wasmPath, input: { x: x.map((v, i) => (i === 3 ? 256n : v)) } }));
    });
  }

  it('report', () => {
    console.log(
      `MLP 784→32→10 cost:\n${Object.entries(results)
        .map(
          ([o, v]) =>
            `${o}: ${v.nl} non-linear + ${v.l} linear = ${v.total} constraints, ${v.wires} wires, ${v.nonZeros} non-zeros, compiled in ${v.seconds.toFixed(2)} s`,
        )
        .join('\n')}`,
    );
  });
});
