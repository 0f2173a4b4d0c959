/**
 * The registry contract (src/chain/ZkinferRegistry.sol, one per chain): model id → verifier, and an
 * InferenceVerified log per accepted receipt. Deploy, register, submit, and query its logs.
 */
import { readFileSync } from 'node:fs';
import { Contract } from 'ethers';
import type { EventLog, Log, Wallet } from 'ethers';
import { modelIdOf } from '../receipt.js';
import type { Receipt } from '../receipt.js';
import { ChainError } from '../errors.js';
import { compileSolidity } from './solc.js';
import type { CompiledContract } from './solc.js';
import { chainError, deployBytecode, waitMined } from './evm.js';
import type { Chain, Deployed } from './evm.js';
import { proofWords } from './model-contract.js';

export const REGISTRY_CONTRACT = 'ZkinferRegistry';
const REGISTRY_FILE = 'ZkinferRegistry.sol';

export const registrySource = (): string => readFileSync(new URL('./ZkinferRegistry.sol', import.meta.url), 'utf8');

/** Compile the registry contract (solc-js, in-process). */
export const compileRegistry = (): Promise<CompiledContract> =>
  compileSolidity({ sources: { [REGISTRY_FILE]: registrySource() }, target: { file: REGISTRY_FILE, contract: REGISTRY_CONTRACT } });

/** The registry's ABI (the events, errors and functions of ZkinferRegistry.sol). */
export const REGISTRY_ABI = [
  'function register(bytes32 modelId, address verifier, bytes32 vkHash, string metadataURI)',
  'function model(bytes32 modelId) view returns (address verifier, bytes32 vkHash, address registrant, string metadataURI)',
  'function submit(bytes32 modelId, uint256[8] proof, uint256[] publicSignals) returns (bytes32 inputRef, bytes32 outputsHash)',
  'event ModelRegistered(bytes32 indexed modelId, address indexed verifier, bytes32 vkHash, address indexed registrant, string metadataURI)',
  'event InferenceVerified(bytes32 indexed modelId, bytes32 indexed inputRef, bytes32 outputsHash, address indexed prover)',
  'error AlreadyRegistered(bytes32 modelId, address verifier)',
  'error NotAContract(address verifier)',
  'error VerifierMismatch(bytes32 modelId, bytes32 vkHash, bytes32 verifierModelId, bytes32 verifierVkHash)',
  'error UnknownModel(bytes32 modelId)',
  'error InvalidProof(bytes32 modelId)',
] as const;

const b32 = (hex: string): string => `0x${hex.replace(/^0x/, '').toLowerCase().padStart(64, '0')}`;

/**
 * Deploy a registry.
 * @example const { address } = await deployRegistry({ chain, wallet });
 */
export async function deployRegistry(params: { chain: Chain; wallet: Wallet }): Promise<Deployed> {
  return deployBytecode({ wallet: params.wallet, contract: await compileRegistry(), chain: params.chain });
}

function registry(address: string, runner: Wallet | Chain['provider']): Contract {
  return new Contract(address, REGISTRY_ABI, runner);
}

async function requireCode(chain: Chain, address: string, what: string): Promise<void> {
  if ((await chain.provider.getCode(address)) === '0x') throw new ChainError(`${address}: no ${what} contract at this address on ${chain.url} (chain id ${chain.chainId})`);
}

export interface TxResult {
  txHash: string;
  gasUsed: bigint;
  blockNumber: number;
}

/**
 * Register a model's verifier. The registry refuses a model id that is already registered, and a verifier
 * whose own MODEL_ID / VK_HASH differ from the ones given.
 * @example await registerModel({ chain, wallet, registry: '0x…', modelId, verifier: '0x…', vkHash, metadataURI: 'ipfs://…' });
 */
export async function registerModel(params: { chain: Chain; wallet: Wallet; registry: string; modelId: string; verifier: string; vkHash: string; metadataURI?: string }): Promise<TxResult> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.wallet);
  try {
    const tx = await r.register!(b32(params.modelId), params.verifier, b32(params.vkHash), params.metadataURI ?? '');
    const rc = await waitMined(params.chain, tx, { what: `registering model ${b32(params.modelId)}` });
    return { txHash: rc.hash, gasUsed: rc.gasUsed, blockNumber: rc.blockNumber };
  } catch (e) {
    throw chainError(`registering model ${b32(params.modelId)}`, e, params.chain.url, r.interface);
  }
}

export interface InferenceEvent {
  modelId: string;
  inputRef: string;
  outputsHash: string;
  prover: string;
  txHash: string;
  blockNumber: number;
}

const toEvent = (l: EventLog): InferenceEvent => ({
  modelId: l.args[0] as string,
  inputRef: l.args[1] as string,
  outputsHash: l.args[2] as string,
  prover: l.args[3] as string,
  txHash: l.transactionHash,
  blockNumber: l.blockNumber,
});

/**
 * Submit a receipt: the registry verifies it through the registered verifier and emits InferenceVerified.
 * Reverts (ChainError naming InvalidProof / UnknownModel) when the proof does not verify.
 * @example const { event } = await submitReceipt({ chain, wallet, registry: '0x…', receipt });
 */
export async function submitReceipt(params: { chain: Chain; wallet: Wallet; registry: string; receipt: Receipt }): Promise<TxResult & { event: InferenceEvent }> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.wallet);
  const modelId = b32(modelIdOf(params.receipt.model));
  try {
    const tx = await r.submit!(modelId, proofWords(params.receipt.proof), params.receipt.publicSignals.map((s) => BigInt(s)));
    const rc = await waitMined(params.chain, tx, { what: `submitting a receipt of model ${modelId}` });
    const parsed = (rc.logs as Log[]).map((l) => r.interface.parseLog(l)).find((p) => p?.name === 'InferenceVerified');
    if (!parsed) throw new ChainError(`the submit transaction ${rc.hash} emitted no InferenceVerified log`);
    const event: InferenceEvent = { modelId: parsed.args[0], inputRef: parsed.args[1], outputsHash: parsed.args[2], prover: parsed.args[3], txHash: rc.hash, blockNumber: rc.blockNumber };
    return { txHash: rc.hash, gasUsed: rc.gasUsed, blockNumber: rc.blockNumber, event };
  } catch (e) {
    throw chainError(`submitting a receipt of model ${modelId}`, e, params.chain.url, r.interface);
  }
}

/**
 * The InferenceVerified logs of a registry, optionally for one model / input reference / prover.
 * @example const evs = await queryInferences({ chain, registry: '0x…', modelId });
 */
export async function queryInferences(params: { chain: Chain; registry: string; modelId?: string; inputRef?: string; prover?: string; fromBlock?: number }): Promise<InferenceEvent[]> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.chain.provider);
  const filter = r.filters.InferenceVerified!(params.modelId ? b32(params.modelId) : null, params.inputRef ? b32(params.inputRef) : null, null, params.prover ?? null);
  try {
    const logs = await r.queryFilter(filter, params.fromBlock ?? 0);
    return logs.filter((l): l is EventLog => 'args' in l).map(toEvent);
  } catch (e) {
    throw chainError('querying InferenceVerified logs', e, params.chain.url);
  }
}

/**
 * The registered verifier of a model, or undefined.
 * @example const m = await registeredModel({ chain, registry: '0x…', modelId });
 */
export async function registeredModel(params: { chain: Chain; registry: string; modelId: string }): Promise<{ verifier: string; vkHash: string; registrant: string; metadataURI: string } | undefined> {
  await requireCode(params.chain, params.registry, 'registry');
  const [verifier, vkHash, registrant, metadataURI] = (await registry(params.registry, params.chain.provider).model!(b32(params.modelId))) as [string, string, string, string];
  return /^0x0{40}$/.test(verifier) ? undefined : { verifier, vkHash, registrant, metadataURI };
}
