import { describe, expect, it } from 'vitest';
import { PACK_BITS, packValues, packingProblem, planPacking, unpackSignals } from './pack.js';

describe('output packing', () => {
  it('plans greedily by proven width and round-trips values at their bounds', () => {
    const bounds: [bigint, bigint][] = [[-5n, 5n], [0n, 255n], [-(1n << 200n), 1n << 200n], [-1n, 0n], [7n, 7n]];
    const p = planPacking(bounds);
    expect(p.bits).toEqual([4, 8, 202, 1, 1]);
    expect(p.slot).toEqual([0, 0, 0, 0, 0]);
    expect(p.shift).toEqual([0, 4, 12, 214, 215]);
    expect(p.signals).toBe(1);
    for (const pick of [(lo: bigint) => lo, (_: bigint, hi: bigint) => hi]) {
      const vals = bounds.map(([lo, hi]) => pick(lo, hi));
      const words = packValues(p, vals)!;
      expect(words[0]! < 1n << BigInt(PACK_BITS)).toBe(true);
      expect(unpackSignals(p, words)).toEqual(vals);
    }
  });

  it('opens a new field element when the next value does not fit, and refuses out-of-range values', () => {
    const p = planPacking(Array.from({ length: 12 }, (): [bigint, bigint] => [-(1n << 40n), 1n << 40n]));
    expect(p.signals).toBe(2); // 42 bits each: 6 per 252-bit element
    expect(p.slot).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const vals = Array.from({ length: 12 }, (_, i) => BigInt(i * 1000 - 5000));
    expect(unpackSignals(p, packValues(p, vals)!)).toEqual(vals);
    expect(packValues(p, [...vals.slice(0, 11), 3n << 40n])).toBeUndefined(); // beyond lo + 2^42
    expect(packValues(p, [...vals.slice(0, 11), -(1n << 40n) - 1n])).toBeUndefined();
    expect(packingProblem(p, 12)).toBeUndefined();
  });

  it('rejects a malformed or overlapping plan (a receipt could claim one)', () => {
    const p = planPacking([[0n, 15n], [0n, 15n]]);
    expect(packingProblem(p, 3)).toMatch(/does not describe 3 outputs/);
    expect(packingProblem({ ...p, shift: [0, 3] }, 2)).toMatch(/overlaps/);
    expect(packingProblem({ ...p, format: 'x' }, 2)).toMatch(/format/);
    expect(packingProblem({ ...p, bits: [200, 100], shift: [0, 200] }, 2)).toMatch(/more than 252 bits/);
  });
});
