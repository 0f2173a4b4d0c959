/**
 * The public-signal layout of a compiled model, read from its artifacts (compiled.json): which signals are
 * outputs, which are inputs, which is an input commitment. The wrapper contract, the registry event and the
 * gas estimate all derive from it, so a new layout (a commitment signal, packed outputs) changes one place.
 */
import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import type { CompiledInfo } from '../compile.js';
import type { OutputPacking } from '../quantize/pack.js';
import { sizeOf } from '../ir/graph.js';
import { ArtifactError } from '../errors.js';

export type InputVisibility = 'public' | 'private' | 'hashed';

export type SignalSegment =
  /** Output values, one signed field element each (v mod p), at a fixed-point scale. */
  | { kind: 'output'; name: string; offset: number; count: number; scale: number }
  /** Public input values, one signed field element each. */
  | { kind: 'input'; name: string; offset: number; count: number; scale: number }
  /** Output values packed into few field elements (src/quantize/pack.ts; the plan is PublicLayout.packing). */
  | { kind: 'packed-output'; name: string; offset: number; count: number }
  /** A commitment (e.g. Poseidon) to private input values. */
  | { kind: 'commitment'; name: string; offset: number; count: 1 };

export interface PublicLayout {
  nPublic: number;
  inputVisibility: InputVisibility;
  segments: SignalSegment[];
  /** The packing plan of 'packed-output' segments. */
  packing?: OutputPacking;
  /** Output tensors in graph order (for decoding packed or plain outputs). */
  outputs: { name: string; count: number; scale: number }[];
}

/** A layout stated by compiled.json itself (newer compilers), else the one implied by its settings. */
interface LayoutDecl {
  publicLayout?: { segments: SignalSegment[] };
}

/**
 * The public-signal layout of compiled artifacts.
 * @example const l = publicLayout(readCompiled('build/model')); l.segments[0]; // { kind: 'output', name: 'logits', offset: 0, count: 10, scale: 12 }
 */
export function publicLayout(compiled: CompiledInfo): PublicLayout {
  const inputVisibility = compiled.settings.inputVisibility as InputVisibility;
  let segments: SignalSegment[];
  const decl = (compiled as CompiledInfo & LayoutDecl).publicLayout;
  if (decl) {
    segments = decl.segments;
  } else {
    // zkinfer.compiled/1: outputs (flat, in order), then inputs when public.
    segments = [];
    let k = 0;
    if (compiled.outputPacking) {
      k = compiled.outputPacking.signals;
      segments.push({ kind: 'packed-output', name: compiled.outputs.map((o) => o.name).join('+'), offset: 0, count: k });
    } else {
      for (const o of compiled.outputs) {
        const n = sizeOf(o.shape);
        segments.push({ kind: 'output', name: o.name, offset: k, count: n, scale: o.scale });
        k += n;
      }
    }
    if (inputVisibility === 'public') {
      for (const i of compiled.inputs) {
        const n = sizeOf(i.shape);
        segments.push({ kind: 'input', name: i.name, offset: k, count: n, scale: i.scale });
        k += n;
      }
    }
  }
  const total = segments.reduce((a, s) => a + s.count, 0);
  const contiguous = segments.every((s, i) => s.offset === segments.slice(0, i).reduce((a, t) => a + t.count, 0));
  if (total !== compiled.nPublic || !contiguous) {
    throw new ArtifactError(`compiled.json: the public-signal layout (${segments.map((s) => `${s.kind} ${s.name}×${s.count}`).join(', ')}) does not cover the ${compiled.nPublic} public signals`, {
      hint: 'recompile the model',
    });
  }
  const outputs = compiled.outputs.map((o) => ({ name: o.name, count: sizeOf(o.shape), scale: o.scale }));
  return { nPublic: compiled.nPublic, inputVisibility, segments, outputs, ...(compiled.outputPacking ? { packing: compiled.outputPacking } : {}) };
}

/** Signal index ranges [start, end) of one kind, in order. */
export const ranges = (l: PublicLayout, kind: SignalSegment['kind']): [number, number][] =>
  l.segments.filter((s) => s.kind === kind).map((s) => [s.offset, s.offset + s.count]);

/** The signal ranges that hold outputs, plain or packed. */
export const outputRanges = (l: PublicLayout): [number, number][] =>
  l.segments.filter((s) => s.kind === 'output' || s.kind === 'packed-output').map((s) => [s.offset, s.offset + s.count]);

export const describeLayout = (l: PublicLayout): string =>
  l.segments.map((s) => `${s.kind} '${s.name}' [${s.offset}, ${s.offset + s.count})${'scale' in s ? ` scale 2^${s.scale}` : ''}`).join('; ');

/** keccak256 of 32-byte big-endian words, as Solidity's `keccak256(abi.encodePacked(uint256[] slices))`. */
function keccakWords(words: bigint[]): string {
  const buf = new Uint8Array(32 * words.length);
  words.forEach((w, i) => buf.set(hexToBytes(w.toString(16).padStart(64, '0')), 32 * i));
  return `0x${bytesToHex(keccak_256(buf))}`;
}

/**
 * What the registry's InferenceVerified event records for these public signals: the input reference
 * (the commitment, or keccak256 of the public inputs, or zero for private inputs) and keccak256 of the outputs.
 * @example const { inputRef, outputsHash } = signalRefs(layout, receipt.publicSignals);
 */
export function signalRefs(l: PublicLayout, signals: string[]): { inputRef: string; outputsHash: string } {
  const pick = (rs: [number, number][]) => rs.flatMap(([a, b]) => signals.slice(a, b).map((x) => BigInt(x)));
  const c = ranges(l, 'commitment');
  const ins = ranges(l, 'input');
  const inputRef = c.length === 1 ? `0x${BigInt(signals[c[0]![0]]!).toString(16).padStart(64, '0')}` : ins.length ? keccakWords(pick(ins)) : `0x${'0'.repeat(64)}`;
  return { inputRef, outputsHash: keccakWords(pick(outputRanges(l))) };
}
