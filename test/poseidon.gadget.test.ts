/**
 * PoseidonLinear(n) (circuits/poseidon-linear.circom), the circuits' Poseidon: with the real compiler and
 * witness wasm it equals circomlibjs's Poseidon (what TypeScript, the receipts and the chain contracts compute)
 * on random field elements for every arity the commitment chains use (1…16 inputs); only its S-boxes are
 * constraints (3 each); and a forged witness is rejected wherever it departs from the permutation: any S-box
 * wire changed with everything after it recomputed consistently fails exactly that wire's constraint, and so
 * does a changed output.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileGadget } from './helpers/gadget.js';
import { expectPinned } from './helpers/forge.js';
import { BN254_P, constraintWires, evalLc, failingConstraints, isLinearConstraint } from '../src/toolchain/r1cs.js';
import type { R1cs } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { poseidonHash } from '../src/commit/poseidon.js';

const P = BN254_P;
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
const randomField = (): bigint => BigInt(`0x${randomBytes(32).toString('hex')}`) % P;
const inv = (a: bigint): bigint => {
  let [r, x, e] = [1n, ((a % P) + P) % P, P - 2n];
  for (; e > 0n; e >>= 1n, x = (x * x) % P) if (e & 1n) r = (r * x) % P;
  return r;
};
/** S-boxes with constraints: 8 full rounds of t, the partial rounds, less the first (its input is constant). */
const sboxes = (n: number): number => 8 * (n + 1) + N_ROUNDS_P[n - 1]! - 1;

/**
 * Set wire d to what constraint k says, everything else fixed: d appears in C only, (A·w)(B·w) = C·w.
 * A prover who changes one wire and recomputes every later one this way satisfies every other constraint.
 */
function solve(r1cs: R1cs, k: number, d: number, w: bigint[]): void {
  const { a, b, c } = r1cs.constraints[k]!;
  const coeff = c.find(([i]) => i === d)![1];
  const rest = evalLc(c.filter(([i]) => i !== d), w, P);
  w[d] = (((evalLc(a, w, P) * evalLc(b, w, P) - rest) % P + P) % P) * inv(coeff) % P;
}

describe('PoseidonLinear: circomlib Poseidon with its linear layers as linear combinations', () => {
  const ns = Array.from({ length: 16 }, (_, i) => i + 1);
  // one circuit holds every arity (circom parses circomlib's 1.9 MB of constants once)
  const body = ns.map((n) => `    signal input x${n}[${n}];\n    signal output o${n};\n    component h${n} = PoseidonLinear(${n});\n    h${n}.inputs <== x${n};\n    o${n} <== h${n}.out;\n`);
  const build = () => compileGadget({ key: 'poseidon-linear-all', include: 'poseidon-linear.circom', circomlib: true, templates: `template All() {\n${body.join('')}}\n`, main: 'All()' });
  let g: Awaited<ReturnType<typeof build>>;
  let honest: bigint[];
  let xs: bigint[][];

  it('equals circomlibjs Poseidon on random inputs for 1…16 inputs; 3 constraints per S-box and 1 for the output', async () => {
    g = await build();
    expect(g.c.nonLinearConstraints).toBe(ns.reduce((s, n) => s + 3 * sboxes(n), 0));
    expect(g.c.linearConstraints).toBe(ns.length);
    for (let trial = 0; trial < 2; trial++) {
      xs = ns.map((n) => Array.from({ length: n }, randomField));
      honest = await calculateWitness({ wasmPath: g.c.wasmPath, input: Object.fromEntries(ns.map((n) => [`x${n}`, xs[n - 1]!])) });
      expect(failingConstraints(g.r1cs, honest)).toEqual([]);
      for (const n of ns) expect(honest[g.idx(`main.o${n}`)], `Poseidon(${n})`).toBe(await poseidonHash(xs[n - 1]!));
    }
    // edge values: zeros and p − 1
    const edge = ns.map((n) => Array.from({ length: n }, (_, i) => (i % 2 ? P - 1n : 0n)));
    const w = await calculateWitness({ wasmPath: g.c.wasmPath, input: Object.fromEntries(ns.map((n) => [`x${n}`, edge[n - 1]!])) });
    for (const n of ns) expect(w[g.idx(`main.o${n}`)]).toBe(await poseidonHash(edge[n - 1]!));
  });

  for (const n of [2, 16]) {
    it(`Poseidon(${n}): every S-box wire and the output, forged with all later wires consistent, fails its own constraint`, () => {
      const { idx } = g;
      const out = idx(`main.o${n}`); // h${n}.out, substituted by --O1
      const order = Array.from({ length: sboxes(n) }, (_, s) => ['x2', 'x4', 'x5'].map((x) => idx(`main.h${n}.${x}[${s}]`))).flat();
      order.push(out);
      // this instance's constraints (they mention its wires); the one that defines each wire: an S-box wire is
      // the C of one product, the output the C of the linear constraint
      const mine = new Set(order);
      const r1cs = { ...g.r1cs, constraints: g.r1cs.constraints.filter((k) => [...constraintWires(k)].some((i) => mine.has(i))) };
      const defining = new Map<number, number>();
      r1cs.constraints.forEach((k, i) => {
        if (isLinearConstraint(k)) defining.set(out, i);
        else for (const [wire] of k.c) if (wire !== 0) defining.set(wire, i);
      });
      expect(r1cs.constraints.length).toBe(order.length);
      expect(defining.size).toBe(order.length);
      if (n === 2) expectPinned(r1cs, honest);
      // Poseidon(2): every wire; Poseidon(16): every wire of the first and last full rounds, every 9th otherwise
      const full = 3 * (n + 1);
      const forged = [...order.keys()].filter((j) => n === 2 || j < full || j >= order.length - full - 1 || j % 9 === 0);
      for (const j of forged) {
        const w = [...honest];
        w[order[j]!] = (w[order[j]!]! + 1n) % P;
        for (const d of order.slice(j + 1)) solve(r1cs, defining.get(d)!, d, w);
        expect(w[out], `wire ${j}: another output`).not.toBe(honest[out]);
        expect(failingConstraints(r1cs, w), `wire ${j}`).toEqual([defining.get(order[j]!)]);
      }
      expect(forged.length).toBeGreaterThan(n === 2 ? 235 : 100);
    });
  }
});
