/**
 * The receipt: one JSON document anyone can check (DESIGN.md §3). Format `zkinfer.receipt/1`.
 *
 * The meaning of each public signal (packed values or commitments) is the layout in the verification
 * key (`verificationKey.zkinfer.layout`), which the key hash binds.
 */
import type { Groth16Proof } from 'snarkjs';
import { canonicalJson, sha256 } from './artifacts/hash.js';
import type { Layout, Visibility } from './quantize/layout.js';

export const RECEIPT_FORMAT = 'zkinfer.receipt/1';
/** BN254 scalar field. */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export interface ReceiptTensor {
  name: string;
  shape: number[];
  /** Fixed-point scale: real value = integer / 2^scale. */
  scale: number;
  /** Real values (exactly integer / 2^scale). */
  data: number[];
}

export interface Receipt {
  format: typeof RECEIPT_FORMAT;
  model: { file: string; name: string; fileSha256: string; quantizedSha256: string };
  circuitHash: string;
  vkHash: string;
  visibility: Visibility;
  setup: { dev: boolean; note?: string };
  /** Decoded inputs, when the input is public. */
  inputs?: ReceiptTensor[];
  /** Decoded outputs, when the output is public. */
  outputs?: ReceiptTensor[];
  publicSignals: string[];
  proof: Groth16Proof;
  /** The verification key, embedded so a receipt is checkable alone; its hash is vkHash. */
  verificationKey: Record<string, unknown>;
  createdAt: string;
  /** Poseidon commitments (decimal field elements) of hashed inputs/outputs. */
  commitments?: { input?: string; output?: string; params?: string };
  /** The address the proof is bound to (its prover public signal; circuits compiled with --bind-prover). */
  prover?: string;
  /** Reserved: prover signature over receiptHash. */
  signature?: { scheme: string; signer: string; value: string };
}

/** What zkinfer adds to snarkjs's verification key: the key hash then binds the model and the signal layout. */
export interface KeyBinding {
  format: 'zkinfer.key/1';
  circuitHash: string;
  model: { fileSha256: string; quantizedSha256: string };
  layout: Layout;
  /** Input/output tensor names, shapes and scales (for decoding). */
  inputs: { name: string; shape: number[]; scale: number }[];
  outputs: { name: string; shape: number[]; scale: number }[];
  devSetup: boolean;
  /** The compile settings that reproduce the circuit from the model file (`verify --model`). */
  settings: { scale: number; paramBits: number; inputs: { name: string; shape: number[]; scale: number; min: number; max: number }[]; outputScale?: number };
}

/** The opening of a receipt's commitments: kept by the prover, never published with the receipt. */
export interface Opening {
  format: 'zkinfer.opening/1';
  input?: { salt: string; tensors: ReceiptTensor[] };
  output?: { salt: string; tensors: ReceiptTensor[] };
}

export const vkHash = (vk: object): string => sha256(canonicalJson(vk));

/** The model id: one hash of the model file and of the quantized graph (what contracts and the registry key models by). */
export const modelIdOf = (model: { fileSha256: string; quantizedSha256: string }): string =>
  sha256(canonicalJson({ fileSha256: model.fileSha256, quantizedSha256: model.quantizedSha256 }));

/** Hash of the receipt's content without its signature: what a prover signs. */
export const receiptHash = (r: Receipt): string => sha256(canonicalJson({ ...r, signature: undefined }));

/** Signed integer → field element (decimal string). */
export const toField = (v: bigint, p = FIELD_P): string => (((v % p) + p) % p).toString();

/** Field element → signed integer in (−p/2, p/2]. */
export function fromField(s: string, p = FIELD_P): bigint {
  const x = BigInt(s);
  return x > p / 2n ? x - p : x;
}

/** Decode integers at a scale to reals; exact while |v| < 2^53. */
export const decodeReal = (v: bigint, scale: number): number => Number(v) / 2 ** scale;

/** Re-encode a real to its integer; undefined if it is not exactly an integer at that scale. */
export function encodeReal(x: number, scale: number): bigint | undefined {
  const y = x * 2 ** scale;
  if (!Number.isFinite(y) || !Number.isInteger(y) || !Number.isSafeInteger(y)) return undefined;
  return BigInt(y);
}
