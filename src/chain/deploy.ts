/**
 * A model on chain: build its contract (snarkjs verifier + generated wrapper), deploy it, and check receipts
 * against it with an eth_call — the same verdict as `verifyReceipt` in Node, from the EVM.
 */
import { existsSync } from 'node:fs';
import { AbiCoder, Contract, concat } from 'ethers';
import type { Wallet } from 'ethers';
import { artifactPaths, readJson, writeFileAtomic, writeJson } from '../artifacts/layout.js';
import { readCompiled, readSetup } from '../setup.js';
import { modelIdOf, vkHash } from '../receipt.js';
import type { KeyBinding, Receipt } from '../receipt.js';
import { ArtifactError, ChainError } from '../errors.js';
import { verifierSource, verifierSourceFromKey } from './verifier.js';
import { publicLayout } from './layout.js';
import type { PublicLayout } from './layout.js';
import { MODEL_CONTRACT, MODEL_FILE, VERIFIER_FILE, modelContractSource, proofWords } from './model-contract.js';
import { compileSolidity, solcVersion } from './solc.js';
import type { CompiledContract } from './solc.js';
import { chainError, deployBytecode } from './evm.js';
import { deployCommitment } from './commitment.js';
import type { Chain, Deployed } from './evm.js';

export interface BuiltModelContract {
  contract: CompiledContract;
  layout: PublicLayout;
  modelId: string;
  vkHash: string;
  sources: Record<string, string>;
}

/**
 * Generate and compile the model's contract from its artifacts (writes DIR/Verifier.sol and DIR/ZkinferModel.sol).
 * Throws ContractSizeError when the bytecode is over EIP-170.
 * @example const { contract } = await buildModelContract({ dir: 'build/model' });
 */
export async function buildModelContract(params: { dir: string; checkSize?: boolean }): Promise<BuiltModelContract> {
  const paths = artifactPaths(params.dir);
  const compiled = readCompiled(params.dir);
  const setup = readSetup(params.dir, compiled);
  // The layout the key binds (vk.zkinfer): the one VK_HASH commits to, so the wrapper decodes what the key means.
  const vk = readJson<{ zkinfer?: KeyBinding }>(paths.vkey, 'verification key', `run 'zkinfer setup ${params.dir}' first`);
  if (vkHash(vk) !== setup.vkHash) throw new ArtifactError(`${paths.vkey}: its hash is not setup.json's vkHash`, { hint: `run 'zkinfer setup ${params.dir}' again` });
  const layout = publicLayout(vk.zkinfer);
  const sources = { [VERIFIER_FILE]: await verifierSource({ dir: params.dir }), [MODEL_FILE]: modelContractSource({ compiled, setup, layout }) };
  writeFileAtomic(paths.verifier, sources[VERIFIER_FILE]);
  writeFileAtomic(paths.modelContract, sources[MODEL_FILE]);
  const contract = await compileSolidity({ sources, target: { file: MODEL_FILE, contract: MODEL_CONTRACT }, checkSize: params.checkSize });
  return { contract, layout, modelId: modelIdOf(compiled.model), vkHash: setup.vkHash, sources };
}

/**
 * Generate and compile a model's contract from its verification key alone (the key's zkinfer binding holds the
 * model hashes, the circuit hash and the layout): byte-identical to the one `buildModelContract` makes from the
 * artifact directory, so whoever trusts a key can derive its verifier's bytecode and registry address without
 * the artifacts. Hashed params: the weights commitment the contract holds is the key's (zkinfer.key/2), or `paramsCommitment`.
 * @example const { contract } = await buildModelContractFromKey({ vk: receipt.verificationKey });
 */
export async function buildModelContractFromKey(params: { vk: Record<string, unknown>; paramsCommitment?: string; checkSize?: boolean }): Promise<BuiltModelContract> {
  const b = (params.vk as { zkinfer?: KeyBinding }).zkinfer;
  const layout = publicLayout(b);
  const paramsCommitment = params.paramsCommitment ?? b!.paramsCommitment; // bound in the key from zkinfer.key/2 on
  if (layout.paramsCommitment !== undefined && paramsCommitment === undefined) throw new ArtifactError('hashed params: the contract holds the weights commitment, which this (zkinfer.key/1) key does not carry', { hint: "pass paramsCommitment (DIR/compiled.json's), or build from the artifact directory" });
  const setup = { vkHash: vkHash(params.vk), dev: b!.devSetup };
  const { fileSha256, quantizedSha256, file = '(from its key)', name = '(from its key)' } = b!.model;
  const compiled = { model: { file, name, fileSha256, quantizedSha256 }, circuitHash: b!.circuitHash, paramsCommitment };
  const sources = { [VERIFIER_FILE]: verifierSourceFromKey(params.vk), [MODEL_FILE]: modelContractSource({ compiled, setup, layout }) };
  const contract = await compileSolidity({ sources, target: { file: MODEL_FILE, contract: MODEL_CONTRACT }, checkSize: params.checkSize });
  return { contract, layout, modelId: modelIdOf(b!.model), vkHash: setup.vkHash, sources };
}

/** Creation bytecode + constructor arguments (the ZkinferCommitment address, for a model with an input commitment). */
export const initCodeOf = (built: BuiltModelContract, commitment?: string): string =>
  concat([built.contract.bytecode, commitment ? AbiCoder.defaultAbiCoder().encode(['address'], [commitment]) : '0x']);

/** Whether the model's contract takes a ZkinferCommitment (it has an input commitment to recompute on-chain data). */
export const needsCommitment = (built: BuiltModelContract): boolean => built.sources[MODEL_FILE]!.includes('IZkinferCommitment commitment');

export interface DeploymentRecord extends Omit<Deployed, 'gasUsed'> {
  chainId: string;
  rpc: string;
  modelId: string;
  vkHash: string;
  gasUsed: string;
  runtimeBytes: number;
  /** The ZkinferCommitment contract the model uses for on-chain data (models with an input commitment). */
  commitment?: string;
  solc: string;
  deployedAt: string;
}

/** The deployments recorded in DIR/deployments.json, by chain id. */
export function readDeployments(dir: string): Record<string, DeploymentRecord> {
  const file = artifactPaths(dir).deployments;
  return existsSync(file) ? readJson<Record<string, DeploymentRecord>>(file, 'deployments.json') : {};
}

export interface ModelInitCode {
  built: BuiltModelContract;
  /** Creation bytecode with its constructor arguments, 0x-prefixed: what a CREATE2 address is a function of. */
  initCode: string;
  /** The ZkinferCommitment contract the model's constructor takes (models with an input commitment). */
  commitment?: string;
}

/**
 * The model contract's creation bytecode with its constructor arguments. A model with an input commitment
 * takes the ZkinferCommitment contract: `commitment`, else the one DIR/deployments.json records for this
 * chain (if it has code there), else (with a wallet) a new one is deployed.
 * @example const { initCode } = await modelInitCode({ dir: 'build/model', chain });
 */
export async function modelInitCode(params: { dir: string; chain: Chain; wallet?: Wallet; commitment?: string }): Promise<ModelInitCode> {
  const built = await buildModelContract({ dir: params.dir });
  // A model with an input commitment gets the contract that recomputes commitments of on-chain data.
  const needed = needsCommitment(built);
  let commitment = needed ? params.commitment ?? readDeployments(params.dir)[params.chain.chainId.toString()]?.commitment : undefined;
  // a record from another node with the same chain id (a restarted anvil) names an address without code
  if (commitment && !params.commitment && (await params.chain.provider.getCode(commitment)) === '0x') commitment = undefined;
  if (needed && !commitment) {
    if (!params.wallet) throw new ArtifactError(`${params.dir}: the model's contract takes a ZkinferCommitment contract and none is recorded for chain id ${params.chain.chainId}`, { hint: `pass its address (--commitment), or run 'zkinfer deploy ${params.dir}' first` });
    commitment = (await deployCommitment({ chain: params.chain, wallet: params.wallet })).address;
  }
  return { built, initCode: initCodeOf(built, commitment), ...(commitment ? { commitment } : {}) };
}

/**
 * Deploy a model's verifier contract and record the address in DIR/deployments.json.
 * @example const r = await deployModel({ dir: 'build/model', chain, wallet });
 */
export async function deployModel(params: { dir: string; chain: Chain; wallet: Wallet; commitment?: string }): Promise<DeploymentRecord> {
  const { built, commitment } = await modelInitCode(params);
  const d = await deployBytecode({ wallet: params.wallet, contract: built.contract, chain: params.chain, args: commitment ? [commitment] : [] });
  const rec: DeploymentRecord = {
    chainId: params.chain.chainId.toString(),
    rpc: params.chain.url,
    modelId: built.modelId,
    vkHash: built.vkHash,
    address: d.address,
    txHash: d.txHash,
    blockNumber: d.blockNumber,
    gasUsed: d.gasUsed.toString(),
    runtimeBytes: built.contract.runtimeBytes,
    ...(commitment ? { commitment } : {}),
    solc: await solcVersion(),
    deployedAt: new Date().toISOString(),
  };
  recordDeployment(params.dir, rec);
  return rec;
}

/** Record a deployment in DIR/deployments.json (one per chain id; `verify --rpc --dir` finds it there). */
export function recordDeployment(dir: string, rec: DeploymentRecord): void {
  const all = readDeployments(dir);
  all[rec.chainId] = rec;
  writeJson(artifactPaths(dir).deployments, all);
}

const ID_ABI = [
  'function MODEL_ID() view returns (bytes32)',
  'function VK_HASH() view returns (bytes32)',
  'function N_PUBLIC() view returns (uint256)',
  'function DEV_SETUP() view returns (bool)',
];

export const verifyInferenceAbi = (n: number): string[] => [...ID_ABI, `function verifyInference(uint256[8] proof, uint256[${n}] publicSignals) view returns (bool)`];

export interface OnChainVerifyResult {
  ok: boolean;
  /** Why not, when not. */
  reason?: string;
  contract: { address: string; modelId: string; vkHash: string; nPublic: number; devSetup: boolean };
  /** Gas limit a transaction verifying this receipt needs (see verifyGasLimit); only for valid receipts. */
  gas?: bigint;
}

const hex32 = (h: string): string => `0x${h.replace(/^0x/, '').toLowerCase().padStart(64, '0')}`;

/**
 * Ask a deployed model contract whether a receipt's proof verifies, after checking that the contract is
 * the receipt's model and key. Throws ChainError only when the chain cannot answer.
 * @example const r = await verifyOnChain({ receipt, chain, address: '0x…' });
 */
export async function verifyOnChain(params: { receipt: Receipt; chain: Chain; address: string; estimateGas?: boolean }): Promise<OnChainVerifyResult> {
  const { chain, address, receipt } = params;
  if ((await chain.provider.getCode(address)) === '0x') throw new ChainError(`${address}: no contract at this address on ${chain.url} (chain id ${chain.chainId})`, { hint: 'deploy the model with `zkinfer deploy DIR` and use the address it prints' });
  const ids = new Contract(address, ID_ABI, chain.provider);
  let info: OnChainVerifyResult['contract'];
  try {
    const [modelId, vk, n, dev] = (await Promise.all([ids.MODEL_ID!(), ids.VK_HASH!(), ids.N_PUBLIC!(), ids.DEV_SETUP!()])) as [string, string, bigint, boolean];
    info = { address, modelId, vkHash: vk, nPublic: Number(n), devSetup: dev };
  } catch (e) {
    throw chainError(`reading the model ids of ${address}`, e, chain.url);
  }
  const fail = (reason: string): OnChainVerifyResult => ({ ok: false, reason, contract: info });
  if (info.modelId !== hex32(modelIdOf(receipt.model))) return fail(`the contract verifies model ${info.modelId}, the receipt is for ${hex32(modelIdOf(receipt.model))}`);
  if (info.vkHash !== hex32(receipt.vkHash)) return fail(`the contract's verification key ${info.vkHash} is not the receipt's ${hex32(receipt.vkHash)}`);
  if (receipt.publicSignals.length !== info.nPublic) return fail(`the contract expects ${info.nPublic} public signals, the receipt has ${receipt.publicSignals.length}`);
  let words: bigint[];
  let signals: bigint[];
  try {
    words = proofWords(receipt.proof);
    signals = receipt.publicSignals.map((s) => BigInt(s));
  } catch (e) {
    return fail(`the proof or public signals are malformed (${(e as Error).message})`);
  }
  if ([...words, ...signals].some((w) => w < 0n || w >= 1n << 256n)) return fail('a proof word or public signal does not fit in uint256');
  const c = new Contract(address, verifyInferenceAbi(info.nPublic), chain.provider);
  let ok: boolean;
  try {
    ok = (await c.verifyInference!(words, signals)) as boolean;
  } catch (e) {
    throw chainError(`calling verifyInference on ${address}`, e, chain.url);
  }
  const gas = params.estimateGas && ok ? await verifyGasLimit(chain, address, c.interface.encodeFunctionData('verifyInference', [words, signals])) : undefined;
  return ok ? { ok, contract: info, gas } : { ok, reason: 'the contract says the Groth16 proof does not verify for these public signals', contract: info, gas };
}

/**
 * The smallest gas limit (within 64 gas) at which an eth_call of `data` answers true. eth_estimateGas cannot
 * tell: snarkjs's verifier answers false, without reverting, when its precompile calls run out of gas, so the
 * node's estimate is a limit at which verification fails. About a dozen eth_calls.
 * @example const gas = await verifyGasLimit(chain, address, data);
 */
export async function verifyGasLimit(chain: Chain, address: string, data: string, max = 5_000_000n): Promise<bigint | undefined> {
  const passes = async (gas: bigint): Promise<boolean> => {
    try {
      return BigInt(await chain.provider.call({ to: address, data, gasLimit: gas })) === 1n;
    } catch {
      return false; // out of gas
    }
  };
  if (!(await passes(max))) return undefined;
  let lo = 21_000n;
  let hi = max;
  while (hi - lo > 64n) {
    const mid = (lo + hi) / 2n;
    if (await passes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
