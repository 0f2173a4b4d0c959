/**
 * `zkinfer/chain`: a model's verifier contract on an EVM chain (ethers v6, Solidity compiled in-process by
 * solc-js): generate and deploy it, ask it about a receipt, predict its gas, and the registry that logs every
 * verified inference.
 *
 * @example
 * import { connectChain, loadSigner, deployModel, verifyOnChain } from 'zkinfer/chain';
 * const chain = await connectChain({ rpc: 'http://127.0.0.1:8545' });
 * const { address } = await deployModel({ dir: 'build', chain, wallet: loadSigner({ key: 'env:DEPLOYER_KEY', chain }) });
 * const { ok } = await verifyOnChain({ receipt, chain, address });
 *
 * @module
 */
export { connectChain, loadSigner } from './evm.js';
export type { Chain, Deployed } from './evm.js';
export { buildModelContract, deployModel, verifyOnChain, verifyGasLimit } from './deploy.js';
export type { BuiltModelContract, DeploymentRecord, OnChainVerifyResult } from './deploy.js';
export { exportVerifier, verifierSource } from './verifier.js';
export type { ExportVerifierParams } from './verifier.js';
export { modelContractSource, proofWords, MODEL_CONTRACT } from './model-contract.js';
export { compileSolidity, solcVersion, EIP170_LIMIT } from './solc.js';
export type { CompiledContract, CompileSolidityParams } from './solc.js';
export { estimateVerifyGas, predictVerifyGas } from './gas.js';
export type { GasEstimate, VerifyGasEstimate } from './gas.js';
export { publicLayout, describeLayout, signalRefs } from './layout.js';
export type { PublicLayout } from './layout.js';
export { deployRegistry, registerModel, submitReceipt, queryInferences, registeredModel, REGISTRY_ABI } from './registry.js';
export type { TxResult, InferenceEvent } from './registry.js';
export { deployCommitment, COMMITMENT_WIDTH } from './commitment.js';
