/**
 * Thermometer(k, n, T) (circuits/thermometer.circom): c[j] = [in ≤ T[j]] for sorted constant thresholds,
 * with the real compiler and witness wasm. Honest witnesses match the comparisons for every input; forged
 * ones (another bucket with consistent decompositions, a non-thermometer code, a non-boolean bit, an
 * out-of-range input) are rejected, and for a small instance every 0/1 code with every field value of the
 * auxiliary bits that could recompose is checked: only the honest code satisfies the system.
 */
import { describe, expect, it } from 'vitest';
import { compileGadget } from './helpers/gadget.js';
import { BN254_P, checkWitness, failingConstraints } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { WitnessError } from '../src/errors.js';

const P = BN254_P;
const mod = (v: bigint): bigint => ((v % P) + P) % P;
const T = [2n, 5n, 9n];
const K = T.length;
const N = 4;
const build = () => compileGadget({ key: 'thermo-3-4', include: 'thermometer.circom', main: `Thermometer(${K}, ${N}, [${T.join(', ')}])` });

/** A witness for input x claiming code c, with lo / hi set to the bits of in − L and U − in (raw, possibly negative). */
function forge(base: bigint[], idx: (s: string) => number, x: bigint, c: bigint[]): bigint[] {
  const w = [...base];
  w[idx('main.in')] = mod(x);
  c.forEach((v, j) => (w[idx(`main.c[${j}]`)] = mod(v)));
  const full = [...c, 1n];
  let L = 0n;
  let U = 0n;
  let prev = 0n;
  full.forEach((cur, i) => {
    L += (cur - prev) * (i === 0 ? 0n : T[i - 1]! + 1n);
    U += (cur - prev) * (i === K ? (1n << BigInt(N)) - 1n : T[i]!);
    prev = cur;
  });
  for (let i = 0; i < N; i++) {
    w[idx(`main.lo[${i}]`)] = (x - L) >= 0n ? ((x - L) >> BigInt(i)) & 1n : 0n;
    w[idx(`main.hi[${i}]`)] = (U - x) >= 0n ? ((U - x) >> BigInt(i)) & 1n : 0n;
  }
  return w;
}

describe('Thermometer(k, n, T): c[j] = [in ≤ T[j]]', () => {
  it('honest codes for every input, (k + 1) + 2n + 2 constraints', async () => {
    const { c, r1cs, idx } = await build();
    expect(r1cs.nConstraints).toBe(K + 1 + 2 * N + 2);
    for (let x = 0n; x < 1n << BigInt(N); x++) {
      const w = await calculateWitness({ wasmPath: c.wasmPath, input: { in: x } });
      T.forEach((t, j) => expect(w[idx(`main.c[${j}]`)], `x = ${x}, T = ${t}`).toBe(x <= t ? 1n : 0n));
      expect(checkWitness(r1cs, w)).toEqual({ ok: true });
    }
  });

  it('exhaustively: for every input only the honest 0/1 code satisfies the constraints', async () => {
    const { c, r1cs, idx } = await build();
    const base = await calculateWitness({ wasmPath: c.wasmPath, input: { in: 0n } });
    for (let x = 0n; x < 1n << BigInt(N); x++) {
      for (let code = 0; code < 1 << K; code++) {
        const cs = Array.from({ length: K }, (_, j) => BigInt((code >> j) & 1));
        const honest = cs.every((v, j) => v === (x <= T[j]! ? 1n : 0n));
        const bad = failingConstraints(r1cs, forge(base, idx, x, cs));
        if (honest) expect(bad, `x = ${x}, code ${cs}`).toEqual([]);
        else expect(bad.length, `x = ${x}, forged code ${cs}`).toBeGreaterThan(0);
      }
    }
  });

  it('forged witnesses: a neighbouring bucket, a non-boolean code, a flipped decomposition bit', async () => {
    const { c, r1cs, idx } = await build();
    const base = await calculateWitness({ wasmPath: c.wasmPath, input: { in: 5n } });
    expect(failingConstraints(r1cs, forge(base, idx, 5n, [0n, 1n, 1n]))).toEqual([]);
    // 5 ≤ 5 claimed false (bucket (5, 9]): U − in is fine but in − L = 5 − 6 < 0 has no decomposition
    expect(failingConstraints(r1cs, forge(base, idx, 5n, [0n, 0n, 1n])).length).toBeGreaterThan(0);
    // a code 2 = 1 + 1 splitting the bucket between two halves: d = 2 is not a bit
    expect(failingConstraints(r1cs, forge(base, idx, 5n, [0n, 2n, 1n])).length).toBeGreaterThan(0);
    const flipped = forge(base, idx, 5n, [0n, 1n, 1n]);
    flipped[idx('main.hi[1]')] = 1n - flipped[idx('main.hi[1]')]!;
    expect(failingConstraints(r1cs, flipped).length).toBeGreaterThan(0);
  });

  it('an input outside [0, 2^n) has no witness', async () => {
    const { c } = await build();
    for (const x of [16n, -1n]) {
      const e = await calculateWitness({ wasmPath: c.wasmPath, input: { in: x } }).catch((err: unknown) => err);
      expect(e, `x = ${x}`).toBeInstanceOf(WitnessError);
    }
  });
});
