/**
 * `zkinfer/verify`: check receipts anywhere JavaScript runs — Node, a browser, a bundler. No Node built-ins
 * and no compiler behind this entry: snarkjs (its browser build under a bundler) for the Groth16 check, ethers
 * for signatures, and circomlibjs's Poseidon loaded only when an opening of hashed inputs/outputs is checked.
 *
 * @example
 * import { verifyReceipt } from 'zkinfer/verify';
 * const receipt = await (await fetch('/receipt.json')).json();
 * const result = await verifyReceipt({ receipt });
 * console.log(result.ok ? 'verified' : `${result.failed!.name}: ${result.failed!.detail}`);
 *
 * @module
 */
export { verifyReceipt, signatureMessage } from './verify.js';
export type { VerifyParams, VerifyResult, Check, CheckName } from './verify.js';
export { RECEIPT_FORMAT, FIELD_P, receiptHash, vkHash, modelIdOf, decodeReal, encodeReal } from '../receipt.js';
export type { Receipt, ReceiptTensor, Opening, KeyBinding, Groth16Proof } from '../receipt.js';
export type { Layout, TensorPacking, Visibility } from '../quantize/layout.js';
