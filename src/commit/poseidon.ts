/**
 * Poseidon commitments, computed exactly as the circuit does (circomlib's Poseidon in the circuit, as
 * circuits/poseidon-linear.circom; circomlibjs here): h = salt; for each chunk of ≤ width field elements: h = Poseidon(h, chunk…), the width
 * being the layout's (CHAIN_WIDTH in quantize/layout.ts).
 */
import { buildPoseidon } from 'circomlibjs';
import { FIELD_P } from '../receipt.js';

type PoseidonFn = ((xs: bigint[]) => unknown) & { F: { toObject(x: unknown): bigint } };
let poseidon: Promise<PoseidonFn> | undefined;

export async function poseidonHash(xs: bigint[]): Promise<bigint> {
  poseidon ??= buildPoseidon() as Promise<PoseidonFn>;
  const p = await poseidon;
  return p.F.toObject(p(xs));
}

/**
 * The salted Poseidon chain over packed field elements, `width` elements per call.
 * @example await poseidonChain(salt, packAll(values, layout.inputs), 5)
 */
export async function poseidonChain(salt: bigint, elems: readonly bigint[], width: number): Promise<bigint> {
  if (!Number.isInteger(width) || width < 1 || width > 15) throw new RangeError(`poseidonChain: width ${width} is not 1..15`);
  let h = salt;
  if (elems.length === 0) return poseidonHash([h]);
  for (let i = 0; i < elems.length; i += width) h = await poseidonHash([h, ...elems.slice(i, i + width)]);
  return h;
}

/** A uniformly random field element (a commitment salt): low-entropy data cannot be brute-forced from its hash. */
export function randomSalt(): bigint {
  const b = new Uint8Array(48);
  globalThis.crypto.getRandomValues(b);
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x % FIELD_P;
}
