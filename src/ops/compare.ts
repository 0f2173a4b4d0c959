/**
 * Comparison building blocks shared by the tree ensembles, ArgMax-style scans and the comparison ops:
 * a sign bit from one decomposition of the difference at its proven bound's width (never the field's).
 */
import { linAddScaled, linConst, linIsConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx } from './types.js';

/** [x ≤ t] by one sign decomposition of t − x at its bound's width (constant when the bound decides). */
export function leConst(ctx: LowerCtx, x: Lin, t: bigint): Lin {
  const b = ctx.b;
  const d = linAddScaled(linConst(t), x, -1n);
  const [lo, hi] = b.bounds(d);
  if (lo >= 0n) return linConst(1n);
  if (hi < 0n) return linConst(0n);
  return signBit(ctx, d, lo, hi);
}

/** [d ≥ 0] from one decomposition of d + 2^m (m + 1 bits: the top one). */
export function signBit(ctx: LowerCtx, d: Lin, lo: bigint, hi: bigint): Lin {
  let m = 1;
  while (-lo > 1n << BigInt(m) || hi >= 1n << BigInt(m)) m++;
  return ctx.b.bits(linAddScaled(linConst(1n << BigInt(m)), d, 1n), m + 1, ctx.node.name)[m]!;
}

/** s ? a : b for a bit s: linear (free) when a and b are constants, else one `select` constraint. */
export function choose(ctx: LowerCtx, s: Lin, a: Lin, b: Lin): Lin {
  if (linIsConst(s)) return s.c !== 0n ? a : b;
  if (linIsConst(a) && linIsConst(b)) return linAddScaled(linConst(b.c), s, a.c - b.c);
  return ctx.b.select(s, a, b, ctx.node.name);
}

/**
 * The label of the first maximum of xs (onnxruntime's rule: a later score wins only if strictly greater):
 * a scan with one sign decomposition of x − best − 1 and two selects (value, label) per element (the first
 * label select, between two constants, and the last value select are free).
 */
export function argmaxLabels(ctx: LowerCtx, xs: Lin[], labels: number[]): Lin {
  const b = ctx.b;
  let best = xs[0]!;
  let label: Lin = linConst(BigInt(labels[0]!));
  for (let k = 1; k < xs.length; k++) {
    const d = linAddScaled(linAddScaled(linConst(-1n), xs[k]!, 1n), best, -1n);
    const [lo, hi] = b.bounds(d);
    if (hi < 0n) continue;
    if (lo >= 0n) {
      best = xs[k]!;
      label = linConst(BigInt(labels[k]!));
      continue;
    }
    const s = signBit(ctx, d, lo, hi);
    if (k < xs.length - 1) best = b.select(s, xs[k]!, best, ctx.node.name);
    label = choose(ctx, s, linConst(BigInt(labels[k]!)), label);
  }
  return label;
}
