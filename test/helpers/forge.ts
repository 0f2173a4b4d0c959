/** The honest witness w satisfies r1cs, and changing any one wire that a constraint uses by ±1 breaks it. */
import { expect } from 'vitest';
import { checkWitness, constraintWires } from '../../src/toolchain/r1cs.js';
import type { R1cs } from '../../src/toolchain/r1cs.js';

export function expectPinned(r1cs: R1cs, w: bigint[]): void {
  expect(checkWitness(r1cs, w)).toEqual({ ok: true });
  const used = new Set<number>();
  for (const k of r1cs.constraints) for (const i of constraintWires(k)) used.add(i);
  for (const i of used) {
    for (const d of [1n, -1n]) {
      const f = [...w];
      f[i] = f[i]! + d;
      expect(checkWitness(r1cs, f).ok, `wire ${i} ${d > 0 ? '+' : '−'} 1`).toBe(false);
    }
  }
}
