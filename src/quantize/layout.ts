/**
 * The public-signal layout: what each public signal of the proof means. It is part of the verification
 * key (`vk.zkinfer.layout`), so the key hash binds it and a receipt cannot re-interpret the signals.
 *
 * Public values are *packed*: a tensor's integers v are offset to u = v − lo ∈ [0, 2^bits) and packed
 * PACK_BITS bits per field element, u₀ + u₁·2^bits + …. This is sound because every u is proven to lie in
 * [0, 2^bits) — inputs by their range checks, outputs by the interval analysis — and it divides the number
 * of public signals (verification time, and gas on chain) by up to ⌊252 / bits⌋.
 *
 * Hashed values are committed with a Poseidon chain over the same packed elements, salted:
 * h = salt; for each chunk of ≤ w elements: h = Poseidon(h, chunk…) (the last chunk shorter). The width w is
 * part of the layout (the commitment's signal group): 5 for inputs and outputs, so that a contract can
 * recompute the commitment of data it holds with circomlibjs's Poseidon contracts (Poseidon(6) at most),
 * 15 for parameters (fewer constraints per element; never recomputed on chain).
 */
import type { Program } from './program.js';
import { linBounds } from './lin.js';
import { bitLength } from './program.js';

export type InputVisibility = 'public' | 'private' | 'hashed';
export type OutputVisibility = 'public' | 'hashed';
export type ParamVisibility = 'fixed' | 'private' | 'hashed';
export type Committed = 'input' | 'output' | 'params';

export interface Visibility {
  input: InputVisibility;
  output: OutputVisibility;
  params: ParamVisibility;
}

/** Bits per packed field element (2^252 < p). */
export const PACK_BITS = 252;
/**
 * Field elements absorbed per Poseidon call, by what is committed (one more input is the chain state).
 * circomlib's Poseidon (circuits/poseidon-linear.circom in the circuit) takes up to 16 inputs; circomlibjs's Poseidon contract generator up to 6, hence 5 for
 * what a contract may recompute (inputs, outputs).
 */
export const CHAIN_WIDTH: Readonly<Record<Committed, number>> = { input: 5, output: 5, params: 15 };

export interface TensorPacking {
  /** Offset: u = v − lo. */
  lo: string;
  /** Width of u. */
  bits: number;
  /** Elements per field element. */
  perElement: number;
  size: number;
}

export type SignalGroup =
  | { kind: 'packed'; of: 'output' | 'input'; tensor: number; start: number; count: number }
  /** A salted Poseidon chain, `width` packed elements per call, over all packed elements of `of`. */
  | { kind: 'commitment'; of: Committed; width: number }
  /**
   * The prover's address (160 bits), a public input the circuit squares so that the proof binds it (a Groth16
   * public input in no constraint is not bound): a registry accepts the proof only from this address.
   */
  | { kind: 'prover'; of: 'prover' };

export interface Layout {
  version: 1;
  visibility: Visibility;
  inputs: TensorPacking[];
  outputs: TensorPacking[];
  /** Parameter tensors carried as signals (param visibility private/hashed). */
  params: TensorPacking[];
  /** One entry per public signal, in order. */
  signals: SignalGroup[];
}

function packing(lo: bigint, hi: bigint, size: number): TensorPacking {
  const bits = Math.max(1, bitLength(hi - lo));
  return { lo: lo.toString(), bits, perElement: Math.max(1, Math.floor(PACK_BITS / bits)), size };
}

function packedGroups(of: 'output' | 'input', ps: TensorPacking[]): SignalGroup[] {
  const out: SignalGroup[] = [];
  ps.forEach((p, t) => {
    for (let s = 0; s < p.size; s += p.perElement) out.push({ kind: 'packed', of, tensor: t, start: s, count: Math.min(p.perElement, p.size - s) });
  });
  return out;
}

/** Index of the prover signal in a layout, if the circuit binds a prover (`compile --bind-prover`). */
export const proverSignal = (L: Layout): number | undefined => {
  const i = L.signals.findIndex((g) => g.kind === 'prover');
  return i < 0 ? undefined : i;
};

export function makeLayout(p: Program, visibility: Visibility, opts: { bindProver?: boolean } = {}): Layout {
  const inputs = p.inputs.map((i) => packing(i.lo, i.hi, i.signals.length));
  const outputs = p.outputs.map((o) => {
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const e of o.exprs) {
      const [l, h] = linBounds(e, p.lo, p.hi);
      lo = lo === undefined || l < lo ? l : lo;
      hi = hi === undefined || h > hi ? h : hi;
    }
    return packing(lo ?? 0n, hi ?? 0n, o.exprs.length);
  });
  const params = p.params.map((x) => packing(x.lo, x.hi, x.signals.length));
  const commitment = (of: Committed): SignalGroup => ({ kind: 'commitment', of, width: CHAIN_WIDTH[of] });
  const signals: SignalGroup[] = [
    ...(visibility.output === 'public' ? packedGroups('output', outputs) : [commitment('output')]),
    ...(visibility.input === 'public' ? packedGroups('input', inputs) : visibility.input === 'hashed' ? [commitment('input')] : []),
    ...(visibility.params === 'hashed' ? [commitment('params')] : []),
    ...(opts.bindProver ? [{ kind: 'prover', of: 'prover' } as const] : []),
  ];
  return { version: 1, visibility, inputs, outputs, params, signals };
}

/** The commitment group of `of` in a layout, if `of` is hashed. */
export function commitmentOf(L: Layout, of: Committed): Extract<SignalGroup, { kind: 'commitment' }> | undefined {
  const g = L.signals.find((x) => x.kind === 'commitment' && x.of === of);
  if (g?.kind !== 'commitment') return undefined;
  if (!Number.isInteger(g.width) || g.width < 1 || g.width > 15) throw new RangeError(`layout: the ${of} commitment has no valid chain width (${String(g.width)})`);
  return g;
}

/**
 * Pack integers (one tensor's elements start..start+count) into one field element.
 * @example packValues([-1n, 2n], { lo: '-2', bits: 3, perElement: 2, size: 2 }, 0, 2) // (2+2)·2^3 + (−1+2) = 33n
 */
export function packValues(values: readonly bigint[], p: TensorPacking, start: number, count: number): bigint {
  const lo = BigInt(p.lo);
  let acc = 0n;
  for (let j = count - 1; j >= 0; j--) {
    const u = values[start + j]! - lo;
    if (u < 0n || u >= 1n << BigInt(p.bits)) throw new RangeError(`value ${values[start + j]} outside the packed range [${lo}, ${lo + (1n << BigInt(p.bits)) - 1n}]`);
    acc = (acc << BigInt(p.bits)) + u;
  }
  return acc;
}

/**
 * Inverse of packValues.
 * @example unpackValues(33n, { lo: '-2', bits: 3, perElement: 2, size: 2 }, 2) // [-1n, 2n]
 */
export function unpackValues(x: bigint, p: TensorPacking, count: number): bigint[] {
  const lo = BigInt(p.lo);
  const mask = (1n << BigInt(p.bits)) - 1n;
  const out: bigint[] = [];
  for (let j = 0; j < count; j++) {
    out.push((x & mask) + lo);
    x >>= BigInt(p.bits);
  }
  return out;
}

/**
 * All packed field elements of a list of tensors (the commitment's preimage, after the salt).
 * @example const elems = packAll([inputInts], layout.inputs); const h = await poseidonChain(salt, elems, 5);
 */
export function packAll(tensors: readonly (readonly bigint[])[], ps: TensorPacking[]): bigint[] {
  const out: bigint[] = [];
  ps.forEach((p, t) => {
    for (let s = 0; s < p.size; s += p.perElement) out.push(packValues(tensors[t]!, p, s, Math.min(p.perElement, p.size - s)));
  });
  return out;
}
