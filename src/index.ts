/** zkinfer's library API. */
export { compileModel } from './compile.js';
export type { CompileParams, CompileResult, CompiledInfo, Fidelity } from './compile.js';
export { setupKeys } from './setup.js';
export type { SetupParams, SetupInfo } from './setup.js';
export { proveInference } from './prove/prove.js';
export type { ProveParams, ProveResult } from './prove/prove.js';
export { verifyReceipt } from './verify/verify.js';
export type { VerifyParams, VerifyResult, Check, CheckName } from './verify/verify.js';
export { exportVerifier } from './chain/verifier.js';
export { parseOnnx } from './import/onnx.js';
export { quantizeGraph, runFloat } from './quantize/quantize.js';
export { evaluate } from './quantize/program.js';
export { generateCircom } from './codegen/circom.js';
export { receiptHash, vkHash, RECEIPT_FORMAT } from './receipt.js';
export type { Receipt, ReceiptTensor } from './receipt.js';
export * from './errors.js';
