/**
 * Batched receipts (`zkinfer compile --batch K`): one proof of K inferences. The key binds the batch size
 * (`vk.zkinfer.batch`), and the receipt lists the K inferences in order (`receipt.batch`): each one's tensor
 * names and the references the registry logs for it (one InferenceVerified per inference). No Node
 * built-ins: the browser page runs this too.
 *
 * Per-inference references, from the verified public signals (what the generated contract's verifyBatch
 * computes, see chain/model-contract.ts):
 * - public tensors: keccak256 of inference k's own packed signals (as for a single inference);
 * - hashed tensors: keccak256(abi.encodePacked(commitment, uint256 k)) — one commitment covers all K, in
 *   order, so "inference k of the batch committed to by C" (checkable with the opening);
 * - private inputs: zero.
 */
import type { KeyBinding, Receipt } from '../receipt.js';
import { keccakWords, publicLayout } from '../chain/layout.js';

export interface BatchInference {
  /** Position in the batch (0-based): inference k's tensors are named `<name>#k`. */
  index: number;
  inputs: string[];
  outputs: string[];
  /** What the registry logs for this inference (bytes32 hex). */
  inputRef: string;
  outputsHash: string;
}

export interface BatchListing {
  size: number;
  inferences: BatchInference[];
}

const ZERO = `0x${'0'.repeat(64)}`;

/**
 * The K inferences of a batch, computed from the key's binding and the public signals.
 * @example const { inferences } = batchListing(vk.zkinfer, receipt.publicSignals); inferences[3].outputsHash
 */
export function batchListing(binding: Pick<KeyBinding, 'layout' | 'inputs' | 'outputs' | 'batch'>, signals: readonly string[]): BatchListing {
  const K = binding.batch ?? 1;
  const l = publicLayout(binding);
  const L = l.layout;
  const nIn = binding.inputs.length / K;
  const nOut = binding.outputs.length / K;
  const ofK = (of: 'input' | 'output', k: number, n: number): number[] =>
    L.signals.flatMap((g, i) => (g.kind === 'packed' && g.of === of && Math.floor(g.tensor / n) === k ? [i] : []));
  const words = (ids: number[]): bigint[] => ids.map((i) => BigInt(signals[i]!));
  const indexed = (at: number, k: number): string => keccakWords([BigInt(signals[at]!), BigInt(k)]);
  const outputCommitment = L.signals.findIndex((g) => g.kind === 'commitment' && g.of === 'output');
  const inferences = Array.from({ length: K }, (_, k): BatchInference => ({
    index: k,
    inputs: binding.inputs.slice(k * nIn, (k + 1) * nIn).map((t) => t.name),
    outputs: binding.outputs.slice(k * nOut, (k + 1) * nOut).map((t) => t.name),
    inputRef: l.inputCommitment !== undefined ? indexed(l.inputCommitment, k) : L.visibility.input === 'public' ? keccakWords(words(ofK('input', k, nIn))) : ZERO,
    outputsHash: outputCommitment >= 0 ? indexed(outputCommitment, k) : keccakWords(words(ofK('output', k, nOut))),
  }));
  return { size: K, inferences };
}

/**
 * Why the receipt's list of inferences is not the one its key and public signals make (the 'batch' check),
 * or undefined. Names the first inference that differs: dropped, reordered, or with other references.
 */
export function batchProblem(r: Receipt, binding: KeyBinding): string | undefined {
  const listed = (r as { batch?: unknown }).batch as BatchListing | undefined;
  if (binding.batch === undefined) return listed === undefined ? undefined : 'the receipt lists a batch of inferences, but its key is not a batch circuit';
  if (typeof listed !== 'object' || listed === null || !Array.isArray(listed.inferences)) return `the key binds a batch of ${binding.batch} inferences, but the receipt lists none (field 'batch')`;
  const want = batchListing(binding, r.publicSignals);
  if (listed.size !== want.size || listed.inferences.length !== want.size) return `the receipt lists ${listed.inferences.length} inference(s) (size ${JSON.stringify(listed.size)}), the key binds a batch of ${want.size}: an inference was dropped or added`;
  for (let k = 0; k < want.size; k++) {
    const got = listed.inferences[k]!;
    const exp = want.inferences[k]!;
    if (got?.index !== k) return `inference ${k} of the batch is listed as ${JSON.stringify(got?.index)}: the list is out of order`;
    const same = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(got.inputs, exp.inputs) || !same(got.outputs, exp.outputs)) return `inference ${k} names tensors ${JSON.stringify([got.inputs, got.outputs])}, the key's are ${JSON.stringify([exp.inputs, exp.outputs])}`;
    if (String(got.inputRef).toLowerCase() !== exp.inputRef) return `inference ${k}'s inputRef ${String(got.inputRef).slice(0, 18)}… is not the one its public signals make (${exp.inputRef.slice(0, 18)}…)`;
    if (String(got.outputsHash).toLowerCase() !== exp.outputsHash) return `inference ${k}'s outputsHash ${String(got.outputsHash).slice(0, 18)}… is not the one its public signals make (${exp.outputsHash.slice(0, 18)}…)`;
  }
  return undefined;
}
