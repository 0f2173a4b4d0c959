/**
 * Public tensors of a receipt (or an opening) back to the exact integers the proof binds, by format:
 * `zkinfer.receipt/2` stores the integers (decimal strings) and its real numbers must be exactly what they
 * decode to; `zkinfer.receipt/1` stored real numbers only, read where each re-encodes exactly (< 2^53).
 * No Node built-ins: the browser runs this code.
 */
import { decodeReal, encodeReal } from '../receipt.js';
import type { KeyBinding, ReceiptTensor, ReceiptTensorV1 } from '../receipt.js';
import { sizeOf } from '../ir/graph.js';

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const INT = /^-?\d+$/;

/** Why a list of tensors is malformed for its format, or undefined. */
export function tensorsProblem(list: unknown, where: string, v1: boolean): string | undefined {
  if (!Array.isArray(list)) return `field '${where}' must be an array`;
  for (const t of list as unknown[]) {
    if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data)) return `a tensor in ${where} lacks name, shape or data`;
    const n = sizeOf(t.shape as number[]);
    if (v1) {
      if (typeof t.scale !== 'number') return `tensor '${t.name}' in ${where}: scale must be a number in format /1`;
    } else {
      if (typeof t.scale !== 'string' || !INT.test(t.scale)) return `tensor '${t.name}' in ${where}: scale must be a decimal string`;
      if (!Array.isArray(t.integers) || !t.integers.every((v) => typeof v === 'string' && INT.test(v))) return `tensor '${t.name}' in ${where}: 'integers' must be an array of decimal strings`;
      if (t.integers.length !== n) return `tensor '${t.name}' has ${t.integers.length} integers for shape [${t.shape}]`;
    }
    if (t.data.length !== n) return `tensor '${t.name}' has ${t.data.length} values for shape [${t.shape}]`;
    if (!t.data.every((v) => typeof v === 'number')) return `tensor '${t.name}' has non-numeric values`;
  }
  return undefined;
}

/**
 * The exact integers of each tensor, checked against the key's tensor specs; a description of the first
 * problem otherwise. In format /2 a real number shown beside an integer must be exactly its decodeReal.
 */
export function tensorIntegers(tensors: (ReceiptTensor | ReceiptTensorV1)[], specs: KeyBinding['inputs'], what: string, v1: boolean): bigint[][] | string {
  if (tensors.length !== specs.length) return `the receipt has ${tensors.length} ${what} tensor(s), the key expects ${specs.length}`;
  const out: bigint[][] = [];
  for (let t = 0; t < specs.length; t++) {
    const x = tensors[t]!;
    const s = specs[t]!;
    if (x.name !== s.name || String(x.scale) !== String(s.scale) || x.shape.join() !== s.shape.join()) return `${what} '${x.name}' [${x.shape}] at scale ${x.scale} is not the key's '${s.name}' [${s.shape}] at scale ${s.scale}`;
    const ints: bigint[] = [];
    for (let j = 0; j < x.data.length; j++) {
      if (v1) {
        const v = encodeReal(x.data[j]!, s.scale);
        if (v === undefined) {
          const y = x.data[j]! * 2 ** s.scale;
          return Number.isInteger(y)
            ? `${what} '${x.name}'[${j}] = ${x.data[j]} cannot be re-encoded exactly: its integer at scale 2^-${s.scale} needs more than 53 bits, and a zkinfer.receipt/1 receipt stores only real numbers (prove again: zkinfer.receipt/2 stores the exact integers)`
            : `${what} '${x.name}'[${j}] = ${x.data[j]} is not a multiple of 2^-${s.scale}`;
        }
        ints.push(v);
      } else {
        const v = BigInt((x as ReceiptTensor).integers[j]!);
        const real = decodeReal(v, s.scale);
        if (x.data[j] !== real) return `${what} '${x.name}'[${j}]: the real number shown, ${x.data[j]}, is not its integer ${v} / 2^${s.scale} (${real})`;
        ints.push(v);
      }
    }
    out.push(ints);
  }
  return out;
}

/** An integer at a scale, for messages: exact, with its real value beside it. */
export const showInt = (v: bigint, scale: number): string => `${v} (×2^-${scale} ≈ ${decodeReal(v, scale)})`;
