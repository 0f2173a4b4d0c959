/**
 * SqrtFloor(n) (circuits/sqrt.circom): floor square root from a pinned hint, with the real compiler and
 * witness wasm. Honest witnesses match BigInt isqrt; forged witnesses (a wrong root with consistent
 * auxiliary wires, a negative or out-of-range value, a flipped bit) are rejected by the constraints, and
 * small instances are checked exhaustively: only the honest root satisfies the system.
 */
import { describe, expect, it } from 'vitest';
import { compileGadget } from './helpers/gadget.js';
import { BN254_P, checkWitness, failingConstraints } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { isqrt } from '../src/quantize/program.js';
import { WitnessError } from '../src/errors.js';

const P = BN254_P;
const mod = (v: bigint): bigint => ((v % P) + P) % P;

const build = (n: number) => compileGadget({ key: `sqrt-${n}`, include: 'sqrt.circom', main: `SqrtFloor(${n})` });

/** A witness for input x claiming root r, every auxiliary wire made consistent with r (bits of raw values). */
function forge(base: bigint[], idx: (n: string) => number, sym: Map<string, number>, n: number, x: bigint, r: bigint): bigint[] {
  const w = [...base];
  const h = Math.ceil(n / 2);
  w[idx('main.in')] = mod(x);
  w[idx('main.out')] = mod(r);
  if (sym.has('main.sq')) w[idx('main.sq')] = mod(r * r);
  const setBits = (comp: string, v: bigint, k: number) => {
    for (let i = 0; i < k; i++) {
      const name = `main.${comp}.out[${i}]`;
      if (sym.has(name)) w[idx(name)] = v >= 0n ? (v >> BigInt(i)) & 1n : 0n;
    }
  };
  const setIn = (comp: string, v: bigint) => sym.has(`main.${comp}.in`) && (w[idx(`main.${comp}.in`)] = mod(v));
  setIn('rRange', r);
  setIn('below', x - r * r);
  setIn('above', r * r + 2n * r - x);
  setBits('rRange', r, h);
  setBits('below', x - r * r, n);
  setBits('above', r * r + 2n * r - x, n + 1);
  return w;
}

describe('SqrtFloor(n): r = floor(sqrt(x)), r² ≤ x < (r + 1)²', () => {
  it('SqrtFloor(20): honest roots, forged ones rejected', async () => {
    const n = 20;
    const { c, r1cs, sym, idx } = await build(n);
    // booleans h + n + (n + 1), one product, and the linear recompositions / component inputs
    expect(r1cs.nConstraints).toBeGreaterThanOrEqual(10 + 20 + 21 + 1);
    expect(r1cs.nConstraints).toBeLessThanOrEqual(10 + 20 + 21 + 1 + 5);
    for (const x of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 99n, 100n, 101n, (1n << 20n) - 1n, 123456n]) {
      const w = await calculateWitness({ wasmPath: c.wasmPath, input: { in: x } });
      expect(w[idx('main.out')], `sqrt ${x}`).toBe(isqrt(x));
      expect(checkWitness(r1cs, w)).toEqual({ ok: true });
    }
    const honest = await calculateWitness({ wasmPath: c.wasmPath, input: { in: 100n } });
    expect(failingConstraints(r1cs, forge(honest, idx, sym, n, 100n, 10n))).toEqual([]);
    // a root one too small: (r + 1)² ≤ x, the upper check has no decomposition
    expect(failingConstraints(r1cs, forge(honest, idx, sym, n, 100n, 9n)).length).toBeGreaterThan(0);
    // one too large: r² > x, the lower check fails
    expect(failingConstraints(r1cs, forge(honest, idx, sym, n, 100n, 11n)).length).toBeGreaterThan(0);
    // the negative root −10 (same square): its range check fails
    expect(failingConstraints(r1cs, forge(honest, idx, sym, n, 100n, -10n)).length).toBeGreaterThan(0);
    // a flipped bit of the root's decomposition
    const flipped = forge(honest, idx, sym, n, 100n, 10n);
    flipped[idx('main.rRange.out[1]')] = 1n - flipped[idx('main.rRange.out[1]')]!;
    expect(failingConstraints(r1cs, flipped).length).toBeGreaterThan(0);
  });

  it('out-of-range and negative inputs have no witness', async () => {
    const { c } = await build(8);
    for (const x of [256n, -1n]) {
      const e = await calculateWitness({ wasmPath: c.wasmPath, input: { in: x } }).catch((err: unknown) => err);
      expect(e, `x = ${x}`).toBeInstanceOf(WitnessError);
    }
  });

  it('SqrtFloor(5): exhaustively, only the honest root satisfies the constraints', async () => {
    const n = 5;
    const { c, r1cs, sym, idx } = await build(n);
    const base = await calculateWitness({ wasmPath: c.wasmPath, input: { in: 0n } });
    for (let x = -4n; x < 40n; x++) {
      const accepted: bigint[] = [];
      for (let r = -8n; r < 10n; r++) if (failingConstraints(r1cs, forge(base, idx, sym, n, x, r)).length === 0) accepted.push(r);
      // never a wrong root: the honest one when its range checks fit (x ≥ 0, r < 2^3, x − r² < 2^5), else none
      const r0 = x >= 0n ? isqrt(x) : -1n;
      expect(accepted, `x = ${x}`).toEqual(r0 >= 0n && r0 < 8n && x - r0 * r0 < 32n ? [r0] : []);
    }
  });
});
