/**
 * DivFloor(nq, nr) (circuits/div.circom): floor division by a positive divisor from pinned hints, with the
 * real compiler and witness wasm. Honest witnesses match BigInt floor division; forged witnesses (another
 * quotient with a compensating remainder, remainder ≥ divisor, negative remainder, a field-sized quotient,
 * zero divisor) are rejected by the constraints.
 */
import { describe, expect, it } from 'vitest';
import { compileGadget } from './helpers/gadget.js';
import { BN254_P, checkWitness, failingConstraints } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { WitnessError } from '../src/errors.js';

const P = BN254_P;
const mod = (v: bigint): bigint => ((v % P) + P) % P;
const signed = (v: bigint): bigint => (v > P / 2n ? v - P : v);
const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

const build = (nq: number, nr: number) => compileGadget({ key: `divfloor-${nq}-${nr}`, include: 'div.circom', main: `DivFloor(${nq}, ${nr})` });

/** Fill the decomposition wires of a ShiftedBits(n, off) component for value v (raw, may be out of range). */
function setBits(w: bigint[], idx: (n: string) => number, sym: Map<string, number>, comp: string, v: bigint, n: number): void {
  for (let i = 0; i < n; i++) {
    const name = `main.${comp}.out[${i}]`;
    if (sym.has(name)) w[idx(name)] = mod(v >= 0n ? (v >> BigInt(i)) & 1n : 0n);
  }
}

describe('DivFloor(nq, nr): q = floor(num / den), den ≥ 1', () => {
  it('DivFloor(12, 6): honest quotients, forged ones rejected', async () => {
    const nq = 12;
    const nr = 6;
    const { c, r1cs, sym, idx } = await build(nq, nr);
    const cases: [bigint, bigint][] = [[17n, 5n], [-17n, 5n], [0n, 1n], [4095n, 1n], [-4096n, 1n], [-1n, 63n], [100n, 64n], [-100n, 7n], [63n, 64n]];
    for (const [num, den] of cases) {
      const w = await calculateWitness({ wasmPath: c.wasmPath, input: { num, den } });
      expect(signed(w[idx('main.q')]!), `${num}/${den}`).toBe(floorDiv(num, den));
      expect(checkWitness(r1cs, w)).toEqual({ ok: true });
    }
    // forgeries, built from the honest witness of 17 / 5 (q = 3, r = 2)
    const honest = await calculateWitness({ wasmPath: c.wasmPath, input: { num: 17n, den: 5n } });
    const forge = (q: bigint, r: bigint) => {
      const w = [...honest];
      w[idx('main.q')] = mod(q);
      w[idx('main.r')] = mod(r);
      setBits(w, idx, sym, 'rLow', r, nr);
      setBits(w, idx, sym, 'rHigh', 5n - 1n - r, nr);
      setBits(w, idx, sym, 'qRange', q + (1n << BigInt(nq)), nq + 1);
      return w;
    };
    expect(failingConstraints(r1cs, forge(3n, 2n))).toEqual([]);
    // q = 2, r = 7: the product holds, r < den does not (den − 1 − r = −3 has no decomposition)
    expect(failingConstraints(r1cs, forge(2n, 7n)).length).toBeGreaterThan(0);
    // q = 4, r = −3: r ≥ 0 fails
    expect(failingConstraints(r1cs, forge(4n, -3n)).length).toBeGreaterThan(0);
    // a field-sized quotient with an in-range remainder: q = (17 − 0)·5⁻¹ mod p satisfies the product only
    const inv5 = (() => {
      let r = 1n, b = 5n, e = P - 2n;
      while (e > 0n) { if (e & 1n) r = (r * b) % P; b = (b * b) % P; e >>= 1n; }
      return r;
    })();
    const qBig = (17n * inv5) % P;
    const wBig = forge(0n, 0n);
    wBig[idx('main.q')] = qBig;
    const failing = failingConstraints(r1cs, wBig);
    expect(failing.length).toBeGreaterThan(0);
    // the only failure is in q's range check, not in the product
    const w2 = [...wBig];
    w2[idx('main.q')] = mod(3n);
    expect(failingConstraints(r1cs, w2).length).toBeGreaterThan(0);
  });

  it('a zero divisor has no witness', async () => {
    const { c } = await build(12, 6);
    const e = await calculateWitness({ wasmPath: c.wasmPath, input: { num: 5n, den: 0n } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WitnessError);
  });

  it('DivFloor(3, 2): exhaustively, only the honest (q, r) satisfies the constraints', async () => {
    const nq = 3;
    const nr = 2;
    const { c, r1cs, sym, idx } = await build(nq, nr);
    for (const den of [1n, 2n, 3n, 4n]) {
      for (let num = -8n; num < 8n; num++) {
        const base = await calculateWitness({ wasmPath: c.wasmPath, input: { num, den } }).catch(() => undefined);
        const q0 = floorDiv(num, den);
        if (!base) {
          expect(q0 < -8n || q0 >= 8n).toBe(true);
          continue;
        }
        const accepted: bigint[] = [];
        for (let q = -10n; q < 10n; q++)
          for (let r = -2n; r < 6n; r++) {
            const w = [...base];
            w[idx('main.q')] = mod(q);
            w[idx('main.r')] = mod(r);
            setBits(w, idx, sym, 'rLow', r, nr);
            setBits(w, idx, sym, 'rHigh', den - 1n - r, nr);
            setBits(w, idx, sym, 'qRange', q + (1n << BigInt(nq)), nq + 1);
            if (failingConstraints(r1cs, w).length === 0) accepted.push(q);
          }
        expect(accepted, `${num}/${den}`).toEqual([q0]);
      }
    }
  });
});
