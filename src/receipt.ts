/**
 * The receipt: one JSON document anyone can check (DESIGN.md §3). Format `zkinfer.receipt/2`.
 *
 * The meaning of each public signal (packed values or commitments) is the layout in the verification
 * key (`verificationKey.zkinfer.layout`), which the key hash binds. Public tensors are stored exactly:
 * integers and scale as decimal strings; the real numbers beside them are for reading only (a float64
 * cannot hold a 101-bit output), and verify checks they are what the integers decode to.
 */
import { canonicalJson, sha256 } from './artifacts/hash.js';
import type { Layout, Visibility } from './quantize/layout.js';
import type { BatchListing } from './verify/batch.js';

/** A Groth16 proof as snarkjs writes it (affine points as decimal strings). */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

export const RECEIPT_FORMAT = 'zkinfer.receipt/2';
/** The previous format: values as real numbers only. Read where every value re-encodes exactly (|integer| < 2^53). */
export const RECEIPT_FORMAT_V1 = 'zkinfer.receipt/1';
export const KEY_FORMAT = 'zkinfer.key/2';
export const OPENING_FORMAT = 'zkinfer.opening/2';
/** BN254 scalar field. */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A public tensor, exactly: what the proof binds is `integers` at `scale`. */
export interface ReceiptTensor {
  name: string;
  shape: number[];
  /** Fixed-point scale, a decimal string: real value = integer / 2^scale. */
  scale: string;
  /** The exact integers, decimal strings, flat row-major. */
  integers: string[];
  /** For reading only: each integer / 2^scale as the nearest float64 (decodeReal); verify checks it is exactly that. */
  data: number[];
}

/** A tensor of a `zkinfer.receipt/1` receipt or `zkinfer.opening/1` opening: real numbers only. */
export interface ReceiptTensorV1 {
  name: string;
  shape: number[];
  scale: number;
  data: number[];
}

export interface Receipt {
  format: typeof RECEIPT_FORMAT;
  /** `file` and `name` are labels: bound by the key (zkinfer.key/2), so only as trustworthy as the key. */
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
  /** The verification key, embedded so a receipt is checkable alone; its hash is vkHash. Trusted only when a source the prover does not control vouches for that hash. */
  verificationKey: Record<string, unknown>;
  createdAt: string;
  /** Poseidon commitments (decimal field elements) of hashed inputs/outputs/params. */
  commitments?: { input?: string; output?: string; params?: string };
  /** The address the proof is bound to (its prover public signal; circuits compiled with --bind-prover). */
  prover?: string;
  /** A batch circuit's K inferences, in order (see verify/batch.ts). */
  batch?: BatchListing;
  /** Prover signature over receiptHash. */
  signature?: { scheme: string; signer: string; value: string };
}

/** What zkinfer adds to snarkjs's verification key: the key hash then binds the model, its weights and the signal layout. */
export interface KeyBinding {
  format: typeof KEY_FORMAT | 'zkinfer.key/1';
  circuitHash: string;
  /** `file` (the model's file name) and `name` (its graph name) are bound from zkinfer.key/2 on. */
  model: { fileSha256: string; quantizedSha256: string; file?: string; name?: string };
  /** With hashed params (zkinfer.key/2): the weights' Poseidon commitment; proofs must carry exactly this one. */
  paramsCommitment?: string;
  layout: Layout;
  /** A batch circuit (`compile --batch K`): K inferences, input/output tensors `<name>#k` in order. */
  batch?: number;
  /** Input/output tensor names, shapes and scales (for decoding). */
  inputs: { name: string; shape: number[]; scale: number }[];
  outputs: { name: string; shape: number[]; scale: number }[];
  devSetup: boolean;
  /** The compile settings that reproduce the circuit from the model file (`verify --model`). */
  settings: { scale: number; paramBits: number; inputs: { name: string; shape: number[]; scale: number; min: number; max: number }[]; outputScale?: number };
}

/** The opening of a receipt's commitments: kept by the prover, never published with the receipt. */
export interface Opening {
  format: typeof OPENING_FORMAT;
  input?: { salt: string; tensors: ReceiptTensor[] };
  output?: { salt: string; tensors: ReceiptTensor[] };
}

/**
 * Hash of a verification key (canonical JSON, SHA-256 hex): what a receipt's `vkHash` names.
 * @example vkHash(JSON.parse(readFileSync('build/verification_key.json', 'utf8'))) === receipt.vkHash
 */
export const vkHash = (vk: object): string => sha256(canonicalJson(vk));

/**
 * The model id: one hash of the model file and of the quantized graph (what contracts and the registry key models by).
 * @example const id = `0x${modelIdOf(receipt.model)}`;
 */
export const modelIdOf = (model: { fileSha256: string; quantizedSha256: string }): string =>
  sha256(canonicalJson({ fileSha256: model.fileSha256, quantizedSha256: model.quantizedSha256 }));

/**
 * Hash of the receipt's content without its signature: what a prover signs.
 * @example const message = signatureMessage(receiptHash(receipt));
 */
export const receiptHash = (r: Receipt): string => sha256(canonicalJson({ ...r, signature: undefined }));

/** Signed integer → field element (decimal string). */
export const toField = (v: bigint, p = FIELD_P): string => (((v % p) + p) % p).toString();

/** Field element → signed integer in (−p/2, p/2]. */
export function fromField(s: string, p = FIELD_P): bigint {
  const x = BigInt(s);
  return x > p / 2n ? x - p : x;
}

/**
 * An integer at a scale as the nearest float64 (exact while |v| < 2^53): for reading, never for re-encoding.
 * @example decodeReal(6n, 2) // 1.5
 */
export const decodeReal = (v: bigint, scale: number): number => Number(v) / 2 ** scale;

/** Integers at a scale as a receipt tensor: exact integers, their reals beside them. */
export const exactTensor = (spec: { name: string; shape: number[]; scale: number }, ints: readonly bigint[]): ReceiptTensor => ({
  name: spec.name,
  shape: spec.shape,
  scale: String(spec.scale),
  integers: ints.map(String),
  data: ints.map((v) => decodeReal(v, spec.scale)),
});

/**
 * Re-encode a real to its integer; undefined if it is not exactly an integer at that scale (or not a safe integer).
 * @example encodeReal(1.5, 2) // 6n;  encodeReal(0.1, 2) // undefined
 */
export function encodeReal(x: number, scale: number): bigint | undefined {
  const y = x * 2 ** scale;
  if (!Number.isFinite(y) || !Number.isInteger(y) || !Number.isSafeInteger(y)) return undefined;
  return BigInt(y);
}

/**
 * Two hashes (or any two strings) cut where they can be told apart: at least 16 characters, and through the
 * first difference plus 8, so a message never shows two differing values as the same prefix.
 */
export function showDiff(a: string, b: string): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const n = Math.max(16, i + 8);
  const cut = (s: string) => (s.length > n ? `${s.slice(0, n)}…` : s);
  return [cut(a), cut(b)];
}
