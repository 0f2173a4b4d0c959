/**
 * Output packing: many bounded output integers in few field elements, so a proof has few public signals
 * (on chain, each public signal costs ~6.7k gas). Output j has a proven interval [lo_j, hi_j]; it is
 * stored as (v_j − lo_j) ∈ [0, 2^bits_j) at bit offset shift_j of field element slot_j:
 *
 *     packed[k] = Σ_{j in slot k} (v_j − lo_j) · 2^shift_j,   Σ bits ≤ PACK_BITS < log2(p)
 *
 * In the circuit this is a linear combination: zero constraints. It decodes uniquely because every
 * v_j lies in its interval for any satisfying witness (bounds are proven from range-checked signals).
 * No Node built-ins: the browser verifier uses the same code.
 */
export const PACK_FORMAT = 'zkinfer.pack/1';
/** Bits per field element: 2^252 < p ≈ 2^253.6, so a packed value never wraps. */
export const PACK_BITS = 252;

export interface OutputPacking {
  format: typeof PACK_FORMAT;
  /** Number of field elements (public signals). */
  signals: number;
  /** Per output element, flat in graph output order: lower bound (decimal), width, slot, shift. */
  lo: string[];
  bits: number[];
  slot: number[];
  shift: number[];
}

const bitLength = (x: bigint): number => (x <= 0n ? 0 : x.toString(2).length);

/**
 * Plan the packing of output elements with these proven intervals: greedily, in order.
 * @example planPacking([[-5n, 5n], [0n, 255n]]) // one signal: bits [4, 8], shifts [0, 4]
 */
export function planPacking(bounds: [bigint, bigint][]): OutputPacking {
  const p: OutputPacking = { format: PACK_FORMAT, signals: 0, lo: [], bits: [], slot: [], shift: [] };
  let used = PACK_BITS;
  for (const [lo, hi] of bounds) {
    const bits = Math.max(1, bitLength(hi - lo));
    if (bits > PACK_BITS) throw new RangeError(`an output spans 2^${bits} values, more than one field element holds`);
    if (used + bits > PACK_BITS) {
      p.signals++;
      used = 0;
    }
    p.lo.push(lo.toString());
    p.bits.push(bits);
    p.slot.push(p.signals - 1);
    p.shift.push(used);
    used += bits;
  }
  return p;
}

/** Pack integers into field elements; undefined when a value lies outside its interval. */
export function packValues(p: OutputPacking, values: bigint[]): bigint[] | undefined {
  if (values.length !== p.lo.length) return undefined;
  const out = new Array<bigint>(p.signals).fill(0n);
  for (let j = 0; j < values.length; j++) {
    const d = values[j]! - BigInt(p.lo[j]!);
    if (d < 0n || d >= 1n << BigInt(p.bits[j]!)) return undefined;
    out[p.slot[j]!]! += d << BigInt(p.shift[j]!);
  }
  return out;
}

/** Unpack field elements into the output integers. */
export function unpackSignals(p: OutputPacking, signals: bigint[]): bigint[] {
  return p.lo.map((lo, j) => ((signals[p.slot[j]!]! >> BigInt(p.shift[j]!)) & ((1n << BigInt(p.bits[j]!)) - 1n)) + BigInt(lo));
}

/** Is this a well-formed plan (a receipt's claim, before it is used)? */
export function packingProblem(p: unknown, nOutputs: number): string | undefined {
  const q = p as OutputPacking;
  if (typeof q !== 'object' || q === null || q.format !== PACK_FORMAT) return `output packing format is not "${PACK_FORMAT}"`;
  const arrays = [q.lo, q.bits, q.slot, q.shift];
  if (!arrays.every((a) => Array.isArray(a) && a.length === nOutputs)) return `output packing does not describe ${nOutputs} outputs`;
  const fill = new Array<number>(q.signals).fill(0);
  for (let j = 0; j < nOutputs; j++) {
    if (!/^-?\d+$/.test(String(q.lo[j])) || !Number.isInteger(q.bits[j]) || !Number.isInteger(q.slot[j]) || !Number.isInteger(q.shift[j])) return `output packing entry ${j} is malformed`;
    if (q.slot[j]! < 0 || q.slot[j]! >= q.signals || q.bits[j]! < 1 || q.shift[j] !== fill[q.slot[j]!]) return `output packing entry ${j} overlaps or leaves a gap`;
    fill[q.slot[j]!]! += q.bits[j]!;
    if (fill[q.slot[j]!]! > PACK_BITS) return `output packing slot ${q.slot[j]} holds more than ${PACK_BITS} bits`;
  }
  return undefined;
}
