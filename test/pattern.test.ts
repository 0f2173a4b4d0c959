/**
 * Pattern loops (src/codegen/pattern.ts): a long combination Σ c_i·x[o_i] summed in blocks of √n terms
 * compiles to exactly the one linear constraint of the combination, and the witness computes it.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BLOCKED_MIN_TERMS, patternEmitter } from '../src/codegen/pattern.js';
import type { Lin } from '../src/quantize/lin.js';
import { compileCircuit } from '../src/toolchain/circom.js';
import { BN254_P, loadR1cs, loadSymbols } from '../src/toolchain/r1cs.js';
import { calculateWitness } from '../src/toolchain/witness.js';
import { GADGET_WORK, ROOT } from './helpers/gadget.js';

const mod = (v: bigint) => ((v % BN254_P) + BN254_P) % BN254_P;

describe('pattern loops', () => {
  it('with the template\'s combinations given, only a pattern used twice becomes a loop (a dense row is written inline)', () => {
    const ref = Array.from({ length: 64 }, (_, i) => `x[${i}]`);
    const at = (base: number, cs: bigint[]): Lin => ({ terms: new Map(cs.map((c, i) => [base + i, c])), c: 0n });
    const w = Array.from({ length: 20 }, (_, i) => BigInt(i - 7) || 3n);
    const conv = [at(0, w), at(10, w)]; // one kernel at two places
    const dense = at(30, w.map((c) => c * 2n)); // a row of its own
    const emitter = patternEmitter(ref, [...conv, dense]);
    expect(emitter.emit(conv[1]!, 'lc', [])).toBe(true);
    expect(emitter.emit(dense, 'lc', [])).toBe(false);
    expect(patternEmitter(ref).emit(dense, 'lc', [])).toBe(true);
  });

  // below the blocking threshold, a perfect square, and a length whose last block is short (783 = 27·29)
  for (const n of [BLOCKED_MIN_TERMS - 1, 100, 783]) {
    it(`${n} terms: one constraint with every coefficient, witness equals Σ c·x`, async () => {
      const size = n + 7;
      const base = 3;
      const ref = Array.from({ length: size }, (_, i) => `x[${i}]`);
      // distinct offsets in shuffled order with a gap (5 unused), coefficients of both signs and one large one
      const offs = Array.from({ length: n + 1 }, (_, i) => (i * 37) % (n + 2)).filter((o) => o !== 5).slice(0, n);
      const coef = offs.map((o, i) => (i === 0 ? 2n ** 60n + 1n : BigInt(((o * 7919) % 2001) - 1000) || 1n));
      const e: Lin = { terms: new Map(offs.map((o, i) => [base + o, coef[i]!])), c: -12345n };
      const body: string[] = [];
      expect(patternEmitter(ref).emit(e, 'lc', body)).toBe(true);
      expect(body.some((l) => l.includes('var lcb'))).toBe(n >= BLOCKED_MIN_TERMS);

      const dir = path.join(GADGET_WORK, `pattern-${n}`);
      await mkdir(dir, { recursive: true });
      const sourcePath = path.join(dir, 'p.circom');
      await writeFile(
        sourcePath,
        ['pragma circom 2.1.0;', 'template T() {', `    signal input x[${size}];`, '    signal output y;', '    var lc;', ...body, '    y <== lc;', '}', 'component main = T();', ''].join('\n'),
      );
      const c = await compileCircuit({ sourcePath, outDir: dir, includeDirs: [], optimize: 'O1', projectRoot: ROOT });
      const r1cs = await loadR1cs(c.r1csPath);
      expect(r1cs.nConstraints).toBe(1);
      // the one row is 0·0 − C·w with C = y − Σ c·x − c0 (up to its sign)
      const sym = await loadSymbols(c.symPath);
      const wire = (name: string) => sym.get(`main.${name}`)!;
      const [row] = r1cs.constraints;
      const cRow = new Map(row!.c.map(([w, k]) => [w, k]));
      const sign = cRow.get(wire('y')) === 1n ? 1n : -1n;
      expect(mod(sign * cRow.get(wire('y'))!)).toBe(1n);
      expect(mod(sign * (cRow.get(0) ?? 0n))).toBe(mod(12345n));
      expect(e.terms.size).toBe(n);
      for (const [id, k] of e.terms) expect(mod(sign * cRow.get(wire(`x[${id}]`))!)).toBe(mod(-k));
      expect(cRow.size).toBe(n + 2);

      const x = Array.from({ length: size }, (_, i) => BigInt(i * i - 50));
      const w = await calculateWitness({ wasmPath: c.wasmPath, input: { x } });
      let want = e.c;
      for (const [id, k] of e.terms) want += k * x[id]!;
      expect(w[wire('y')]).toBe(mod(want));
    });
  }
});
