/**
 * Compact circom for long linear combinations that repeat one pattern at different places — a
 * convolution's outputs share their weights and differ only by where the window sits. A combination
 * Σ c_t · A[base + o_t] over one signal array A is written as a loop over two constant var arrays
 * (coefficients c, offsets o) declared once per distinct pattern, plus one line per use. circom's witness
 * code then holds a loop instead of one field multiply-add per term: the mnist-8 CNN's unrolled source
 * made circom2's wasm backend run out of memory (a single 1.7 GB allocation).
 * The constraints are identical: the var only accumulates a linear expression, as in the unrolled form.
 */
import type { Lin } from '../quantize/lin.js';

/** Combinations with at least this many terms are written as loops. */
export const PATTERN_MIN_TERMS = 16;
/** Pattern loops of at least this many terms are summed in blocks of √n terms (see `emit`). */
export const BLOCKED_MIN_TERMS = 64;

export interface PatternEmitter {
  /** The pattern `e` would be written as (one key per distinct loop), or undefined when it is no pattern. */
  keyOf(e: Lin): string | undefined;
  /**
   * Push the statements computing `e` into the var `target` onto `body` and return true, or return false
   * when `e` is not a single-array combination worth a loop.
   */
  emit(e: Lin, target: string, body: string[]): boolean;
}

const REF = /^([A-Za-z_]\w*)\[(\d+)\]$/;

/**
 * Loops over the names `ref`. With `uses` (every combination the template writes), only a pattern used at
 * least twice becomes a loop; one used once (a dense layer's row) is written inline by the caller: its two
 * constant arrays would cost circom2 more memory than the terms themselves (a Keras CNN dense segment of 32
 * rows, 286k terms: peak 3.0 GB as loops, 2.3 GB inline; 128 rows ran out of its 4 GiB either way).
 */
export function patternEmitter(ref: readonly string[], uses?: Iterable<Lin>): PatternEmitter {
  const known = new Map<string, string>();
  const parse = (e: Lin) => {
    if (e.terms.size < PATTERN_MIN_TERMS) return undefined;
    let array: string | undefined;
    const idx: number[] = [];
    const coef: bigint[] = [];
    for (const [id, c] of e.terms) {
      const m = REF.exec(ref[id]!);
      if (!m || (array !== undefined && m[1] !== array)) return undefined;
      array = m[1]!;
      idx.push(Number(m[2]));
      coef.push(c);
    }
    const order = idx.map((_, i) => i).sort((a, b) => idx[a]! - idx[b]!);
    const base = idx[order[0]!]!;
    const offs = order.map((i) => idx[i]! - base);
    const cs = order.map((i) => coef[i]!);
    return { array: array!, base, offs, cs, key: `${array}|${offs.join(',')}|${cs.join(',')}` };
  };
  let counts: Map<string, number> | undefined;
  // the uses parsed while counting, kept for `emit` (each is written once: parsing builds its whole key again)
  const parsed = new Map<Lin, ReturnType<typeof parse>>();
  if (uses) {
    counts = new Map();
    for (const e of uses) {
      const pt = parse(e);
      parsed.set(e, pt);
      if (pt) counts.set(pt.key, (counts.get(pt.key) ?? 0) + 1);
    }
  }
  return {
    keyOf: (e) => parse(e)?.key,
    emit(e, target, body) {
      const pt = parsed.has(e) ? parsed.get(e) : parse(e);
      if (!pt || (counts && (counts.get(pt.key) ?? 0) < 2)) return false;
      const { array, base, offs, cs, key } = pt;
      let name = known.get(key);
      if (!name) {
        name = `P${known.size}`;
        known.set(key, name);
        body.push(`    var ${name}c[${cs.length}] = [${cs.join(',')}];`, `    var ${name}o[${offs.length}] = [${offs.join(',')}];`);
      }
      const n = cs.length;
      const term = `${name}c[i] * ${array}[${base} + ${name}o[i]]`;
      body.push(`    ${target} = ${e.c};`);
      if (n < BLOCKED_MIN_TERMS) {
        body.push(`    for (var i = 0; i < ${n}; i++) { ${target} += ${term}; }`);
      } else {
        // circom copies the var's whole linear combination on every `+=`, so one long loop costs
        // O(n²) term copies (the bundled MLP's 32 neurons of 784 terms: 7 s of a 10 s compile).
        // Blocks of √n terms summed apart, then added, cost O(n^1.5); the constraints are identical.
        const B = Math.ceil(Math.sqrt(n));
        body.push(
          `    for (var b = 0; b < ${n}; b += ${B}) { var lcb = 0; for (var i = b; i < b + ${B} && i < ${n}; i++) { lcb += ${term}; } ${target} += lcb; }`,
        );
      }
      return true;
    },
  };
}
