/**
 * The public-signal layout as the chain code sees it: main's layout (src/quantize/layout.ts) read from the
 * verification key's binding (`vk.zkinfer`, hashed into VK_HASH), plus the signal indices the wrapper
 * contract, the registry event and the gas estimate need: which signals hold outputs (packed, or their
 * commitment), which hold public inputs, which is the input commitment, which the parameter commitment.
 */
import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import type { KeyBinding } from '../receipt.js';
import type { Layout, SignalGroup, TensorPacking } from '../quantize/layout.js';
import { commitmentOf, proverSignal } from '../quantize/layout.js';
import { ArtifactError } from '../errors.js';

export interface PublicLayout {
  nPublic: number;
  layout: Layout;
  /** Output tensors in graph order (names and fixed-point scales, for decoding). */
  outputs: { name: string; count: number; scale: number }[];
  /** Signal indices holding the outputs: packed values, or the one output commitment. */
  outputSignals: number[];
  /** Signal indices holding packed public inputs. */
  inputSignals: number[];
  inputCommitment?: number;
  paramsCommitment?: number;
  /** Signal index of the prover's address (circuits compiled with --bind-prover). */
  prover?: number;
  /** A batch circuit's number of inferences (one InferenceVerified each, see verify/batch.ts). */
  batch?: number;
}

/**
 * The chain view of a verification key's binding (`vk.zkinfer`).
 * @example const l = publicLayout(receipt.verificationKey.zkinfer); l.inputCommitment // 1 for hashed inputs
 */
export function publicLayout(binding: Pick<KeyBinding, 'layout' | 'outputs' | 'batch'> | undefined): PublicLayout {
  const layout = binding?.layout;
  if (!layout || !Array.isArray(layout.signals)) throw new ArtifactError('the verification key has no zkinfer public-signal layout (vk.zkinfer.layout)', { hint: 'compile and set up the model again with this zkinfer' });
  const idx = (p: (g: SignalGroup) => boolean): number[] => layout.signals.flatMap((g, i) => (g.kind !== 'prover' && p(g) ? [i] : []));
  const at = (of: 'input' | 'params'): number | undefined => (commitmentOf(layout, of) ? layout.signals.findIndex((g) => g.kind === 'commitment' && g.of === of) : undefined);
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  return {
    nPublic: layout.signals.length,
    layout,
    outputs: binding!.outputs.map((o) => ({ name: o.name, count: size(o.shape), scale: o.scale })),
    outputSignals: idx((g) => g.kind !== 'prover' && g.of === 'output'),
    inputSignals: idx((g) => g.kind === 'packed' && g.of === 'input'),
    inputCommitment: at('input'),
    paramsCommitment: at('params'),
    prover: proverSignal(layout),
    ...(binding!.batch !== undefined ? { batch: binding!.batch } : {}),
  };
}

/** Consecutive runs of indices as [start, end) ranges (for calldata slices). */
export function toRanges(indices: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of indices) {
    const last = out[out.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

const packingText = (p: TensorPacking): string => `${p.bits} bits from ${p.lo}, ${p.perElement} per signal`;

/**
 * One line describing what each public signal carries.
 * @example console.log(describeLayout(publicLayout(readCompiled('build'))));
 */
export const describeLayout = (l: PublicLayout): string =>
  l.layout.signals
    .map((g, i) =>
      g.kind === 'packed'
        ? `[${i}] ${g.of} ${g.of === 'output' ? `'${l.outputs[g.tensor]?.name}'` : `#${g.tensor}`}[${g.start}..${g.start + g.count}) packed (${packingText((g.of === 'output' ? l.layout.outputs : l.layout.inputs)[g.tensor]!)})`
        : g.kind === 'prover'
          ? `[${i}] prover address`
          : `[${i}] ${g.of} commitment (salted Poseidon chain, ${g.width} per call)`,
    )
    .join('; ');

/** keccak256 of 32-byte big-endian words, as Solidity's `keccak256(abi.encodePacked(uint256 slices))`. */
export function keccakWords(words: bigint[]): string {
  const buf = new Uint8Array(32 * words.length);
  words.forEach((w, i) => buf.set(hexToBytes(w.toString(16).padStart(64, '0')), 32 * i));
  return `0x${bytesToHex(keccak_256(buf))}`;
}

/**
 * What the registry's InferenceVerified event records for these public signals: the input reference
 * (the input commitment, or keccak256 of the packed public inputs, or zero for private inputs) and keccak256
 * of the output signals (packed outputs, or the output commitment).
 * @example const { inputRef, outputsHash } = signalRefs(layout, receipt.publicSignals);
 */
export function signalRefs(l: PublicLayout, signals: string[]): { inputRef: string; outputsHash: string } {
  const pick = (ids: number[]) => ids.map((i) => BigInt(signals[i]!));
  const inputRef =
    l.inputCommitment !== undefined ? `0x${BigInt(signals[l.inputCommitment]!).toString(16).padStart(64, '0')}` : l.inputSignals.length ? keccakWords(pick(l.inputSignals)) : `0x${'0'.repeat(64)}`;
  return { inputRef, outputsHash: keccakWords(pick(l.outputSignals)) };
}
