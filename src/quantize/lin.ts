/**
 * Linear combinations over circuit signals with integer coefficients: Σ coef·signal + c.
 * Every linear op (Gemm/MatMul with constant weights, Add, reshapes, …) only rewrites these, so it
 * costs zero constraints; signals are created only by inputs, products and gadgets.
 */
export interface Lin {
  /** signal id → non-zero coefficient */
  terms: Map<number, bigint>;
  c: bigint;
}

export const linConst = (c: bigint): Lin => ({ terms: new Map(), c });
export const linSignal = (id: number): Lin => ({ terms: new Map([[id, 1n]]), c: 0n });

/** acc += k·a (in place); returns acc. */
export function linAddScaled(acc: Lin, a: Lin, k: bigint): Lin {
  if (k === 0n) return acc;
  for (const [id, v] of a.terms) {
    const nv = (acc.terms.get(id) ?? 0n) + v * k;
    if (nv === 0n) acc.terms.delete(id);
    else acc.terms.set(id, nv);
  }
  acc.c += a.c * k;
  return acc;
}

export const linScale = (a: Lin, k: bigint): Lin => linAddScaled(linConst(0n), a, k);
export const linAdd = (a: Lin, b: Lin): Lin => linAddScaled(linAddScaled(linConst(0n), a, 1n), b, 1n);
export const linIsConst = (a: Lin): boolean => a.terms.size === 0;

/** Evaluate with concrete signal values. */
export function linEval(a: Lin, values: readonly bigint[]): bigint {
  let s = a.c;
  for (const [id, v] of a.terms) s += v * values[id]!;
  return s;
}

/** Interval of a linear combination given per-signal intervals. */
export function linBounds(a: Lin, lo: readonly bigint[], hi: readonly bigint[]): [bigint, bigint] {
  let l = a.c;
  let h = a.c;
  for (const [id, v] of a.terms) {
    if (v > 0n) {
      l += v * lo[id]!;
      h += v * hi[id]!;
    } else {
      l += v * hi[id]!;
      h += v * lo[id]!;
    }
  }
  return [l, h];
}
