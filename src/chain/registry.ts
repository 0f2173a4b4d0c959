/**
 * The registry contract (src/chain/ZkinferRegistry.sol, one per chain): verifiers it deployed itself with
 * CREATE2 (an entry's address is a function of its bytecode, hence of the model's key), and an
 * InferenceVerified log per accepted receipt. Deploy, register, submit, and query its logs.
 */
import { readFileSync } from 'node:fs';
import { Contract, ZeroHash, getCreate2Address, keccak256 } from 'ethers';
import type { EventLog, Log, Result, Wallet } from 'ethers';
import { modelIdOf } from '../receipt.js';
import type { Receipt } from '../receipt.js';
import { ArtifactError, ChainError } from '../errors.js';
import { compileSolidity } from './solc.js';
import type { CompiledContract } from './solc.js';
import { chainError, deployBytecode, waitMined } from './evm.js';
import type { Chain, Deployed } from './evm.js';
import { proofWords } from './model-contract.js';
import { SEGMENTED_ERRORS, buildSegmentedContract, buildSegmentedContractFromKeys, segmentedCallArgs } from './segmented.js';
import { isSegmented } from '../compose/compile.js';
import { SEGMENTED_RECEIPT_FORMAT } from '../compose/receipt.js';
import type { SegmentedReceipt } from '../compose/receipt.js';
import { buildModelContractFromKey, initCodeOf, modelInitCode, needsCommitment } from './deploy.js';

export const REGISTRY_CONTRACT = 'ZkinferRegistry';
const REGISTRY_FILE = 'ZkinferRegistry.sol';

export const registrySource = (): string => readFileSync(new URL('./ZkinferRegistry.sol', import.meta.url), 'utf8');

/** Compile the registry contract (solc-js, in-process). */
export const compileRegistry = (): Promise<CompiledContract> =>
  compileSolidity({ sources: { [REGISTRY_FILE]: registrySource() }, target: { file: REGISTRY_FILE, contract: REGISTRY_CONTRACT } });

/** The registry's ABI (the events, errors and functions of ZkinferRegistry.sol). */
export const REGISTRY_ABI = [
  'function verifierAddress(bytes32 initCodeHash) view returns (address)',
  'function register(bytes initCode, string metadataURI) returns (address verifier)',
  'function model(address verifier) view returns (bytes32 modelId, bytes32 vkHash, address registrant, string metadataURI)',
  'function submit(address verifier, uint256[8] proof, uint256[] publicSignals) returns (bytes32 inputRef, bytes32 outputsHash)',
  'function submitBatch(address verifier, uint256[8] proof, uint256[] publicSignals) returns (uint256 count)',
  'function submitSegments(address verifier, uint256[8][] proofs, uint256[] publicSignals) returns (bytes32 inputRef, bytes32 outputsHash)',
  'event ModelRegistered(bytes32 indexed modelId, address indexed verifier, bytes32 vkHash, address indexed registrant, string metadataURI)',
  'event InferenceVerified(address indexed verifier, bytes32 indexed inputRef, address indexed prover, bytes32 modelId, bytes32 outputsHash, address submitter)',
  'error AlreadyRegistered(address verifier)',
  'error DeployFailed(bytes32 initCodeHash)',
  'error UnknownVerifier(address verifier)',
  'error InvalidProof(address verifier)',
  'error NotTheProver(address prover, address sender)',
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
  // a segmented model's contract's errors bubble up through submitSegments: decode them too
  return new Contract(address, [...REGISTRY_ABI, ...SEGMENTED_ERRORS], runner);
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
 * Where a registry deploys (and registers) a verifier with this creation bytecode: its CREATE2 address, a
 * function of the registry's address and the bytecode only. Computed here, without a chain.
 * @example const verifier = registryVerifierAddress(registry, initCode);
 */
export const registryVerifierAddress = (registry: string, initCode: string): string => getCreate2Address(registry, ZeroHash, keccak256(initCode));

/**
 * The verifier address a model's artifacts derive at a registry: regenerate the contract from DIR's keys
 * (pinned solc: the same bytes everywhere) and take its CREATE2 address. Trust a registry entry only at the
 * address derived from a key you trust. Models with an input commitment also depend on the ZkinferCommitment
 * address (`commitment`, else DIR/deployments.json).
 * @example const { verifier } = await trustedVerifier({ dir: 'build/model', chain, registry: '0x…' });
 */
export async function trustedVerifier(params: { dir: string; chain: Chain; registry: string; commitment?: string; wallet?: Wallet }): Promise<{ verifier: string; initCode: string; modelId: string; vkHash: string; commitment?: string }> {
  if (isSegmented(params.dir)) {
    // one contract for all segments (./segmented.ts): its key hash is the segment keys hash
    const seg = await buildSegmentedContract({ dir: params.dir });
    return { verifier: registryVerifierAddress(params.registry, seg.contract.bytecode), initCode: seg.contract.bytecode, modelId: seg.modelId, vkHash: seg.keysHash };
  }
  const { built, initCode, commitment } = await modelInitCode(params);
  return { verifier: registryVerifierAddress(params.registry, initCode), initCode, modelId: built.modelId, vkHash: built.vkHash, ...(commitment ? { commitment } : {}) };
}

/**
 * The verifier address a verification key alone derives at a registry (the key's binding holds all the contract
 * needs): for whoever trusts a key, e.g. by its hash, and has no artifact directory. Same address as
 * `trustedVerifier` on the key's artifacts. Hashed inputs: `commitment` (the ZkinferCommitment address the
 * verifier was registered with); hashed params: `paramsCommitment`.
 * @example const { verifier } = await verifierFromKey({ registry, vk: receipt.verificationKey });
 */
export async function verifierFromKey(params: { registry: string; vk: Record<string, unknown>; commitment?: string; paramsCommitment?: string }): Promise<{ verifier: string; initCode: string; modelId: string; vkHash: string }> {
  const built = await buildModelContractFromKey({ vk: params.vk, paramsCommitment: params.paramsCommitment });
  if (needsCommitment(built) && !params.commitment) throw new ArtifactError("the key's verifier takes a ZkinferCommitment contract (hashed inputs): its address is part of the bytecode", { hint: 'pass commitment (the one it was registered with)' });
  const initCode = initCodeOf(built, needsCommitment(built) ? params.commitment : undefined);
  return { verifier: registryVerifierAddress(params.registry, initCode), initCode, modelId: built.modelId, vkHash: built.vkHash };
}

/**
 * The segmented verifier a segmented receipt's ordered segment keys derive at a registry (as `trustedVerifier`
 * on the segmented artifact directory): trust it only if you trust the receipt's segment keys hash.
 * @example const { verifier } = await verifierFromSegmentKeys({ registry, receipt });
 */
export async function verifierFromSegmentKeys(params: { registry: string; receipt: SegmentedReceipt }): Promise<{ verifier: string; initCode: string; modelId: string; vkHash: string }> {
  const r = params.receipt;
  const built = await buildSegmentedContractFromKeys({ model: r.model, vks: r.segments.map((s) => s.verificationKey), dev: r.setup.dev });
  return { verifier: registryVerifierAddress(params.registry, built.contract.bytecode), initCode: built.contract.bytecode, modelId: built.modelId, vkHash: built.keysHash };
}

/**
 * Register a model: the registry deploys its verifier (generated from DIR's keys) with CREATE2 and records
 * it at the address the bytecode determines. Registering the same bytecode again is not an error: it reports
 * the existing entry (`already: true`), whoever registered it — the code there is exactly this model's.
 * @example const r = await registerModel({ chain, wallet, registry: '0x…', dir: 'build/model', metadataURI: 'ipfs://…' });
 */
export async function registerModel(params: { chain: Chain; wallet: Wallet; registry: string; dir: string; commitment?: string; metadataURI?: string }): Promise<Partial<TxResult> & { verifier: string; modelId: string; vkHash: string; already: boolean }> {
  await requireCode(params.chain, params.registry, 'registry');
  const t = await trustedVerifier(params);
  const ids = { verifier: t.verifier, modelId: b32(t.modelId), vkHash: b32(t.vkHash) };
  if ((await params.chain.provider.getCode(t.verifier)) !== '0x') return { ...ids, already: true };
  const r = registry(params.registry, params.wallet);
  const what = `registering model ${b32(t.modelId)}`;
  try {
    const tx = await r.register!(t.initCode, params.metadataURI ?? '');
    const rc = await waitMined(params.chain, tx, { what });
    return { ...ids, already: false, txHash: rc.hash, gasUsed: rc.gasUsed, blockNumber: rc.blockNumber };
  } catch (e) {
    throw chainError(what, e, params.chain.url, r.interface);
  }
}

/**
 * Register creation bytecode as it is (no artifacts): what `registerModel` sends. For tests and tooling.
 * @example const { verifier } = await registerInitCode({ chain, wallet, registry, initCode });
 */
export async function registerInitCode(params: { chain: Chain; wallet: Wallet; registry: string; initCode: string; metadataURI?: string }): Promise<TxResult & { verifier: string }> {
  const r = registry(params.registry, params.wallet);
  try {
    const tx = await r.register!(params.initCode, params.metadataURI ?? '');
    const rc = await waitMined(params.chain, tx, { what: 'registering a verifier' });
    return { verifier: registryVerifierAddress(params.registry, params.initCode), txHash: rc.hash, gasUsed: rc.gasUsed, blockNumber: rc.blockNumber };
  } catch (e) {
    throw chainError('registering a verifier', e, params.chain.url, r.interface);
  }
}

export interface InferenceEvent {
  verifier: string;
  modelId: string;
  inputRef: string;
  outputsHash: string;
  /** The address the proof is bound to (who proved it), or the zero address when the circuit binds none. */
  prover: string;
  /** Who sent the transaction. */
  submitter: string;
  txHash: string;
  blockNumber: number;
}

const toEvent = (args: Result, txHash: string, blockNumber: number): InferenceEvent => ({
  verifier: args[0] as string,
  inputRef: args[1] as string,
  prover: args[2] as string,
  modelId: args[3] as string,
  outputsHash: args[4] as string,
  submitter: args[5] as string,
  txHash,
  blockNumber,
});

/**
 * Submit a receipt through a registered verifier: the registry verifies it and emits InferenceVerified —
 * for a batch receipt (`receipt.batch`), through submitBatch: one event per inference, in order (`events`);
 * for a segmented receipt, through submitSegments (its segmented contract checks all proofs and links).
 * Reverts (ChainError naming InvalidProof / UnknownVerifier / NotTheProver) when the proof does not verify,
 * or is bound to another prover than the wallet.
 * @example const { event } = await submitReceipt({ chain, wallet, registry: '0x…', verifier: '0x…', receipt });
 */
export async function submitReceipt(params: { chain: Chain; wallet: Wallet; registry: string; verifier: string; receipt: Receipt | SegmentedReceipt }): Promise<TxResult & { event: InferenceEvent; events: InferenceEvent[] }> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.wallet);
  const rec = params.receipt;
  const what = `submitting a receipt of model ${b32(modelIdOf(rec.model))} through verifier ${params.verifier}`;
  try {
    let tx;
    if (rec.format === SEGMENTED_RECEIPT_FORMAT) tx = await r.submitSegments!(params.verifier, ...segmentedCallArgs(rec as SegmentedReceipt));
    else {
      const one = rec as Receipt;
      const submit = one.batch ? r.submitBatch! : r.submit!;
      tx = await submit(params.verifier, proofWords(one.proof), one.publicSignals.map((s) => BigInt(s)));
    }
    const rc = await waitMined(params.chain, tx, { what });
    const events = (rc.logs as Log[]).flatMap((l) => {
      const p = r.interface.parseLog(l);
      return p?.name === 'InferenceVerified' ? [toEvent(p.args, rc.hash, rc.blockNumber)] : [];
    });
    if (!events.length) throw new ChainError(`the submit transaction ${rc.hash} emitted no InferenceVerified log`);
    return { txHash: rc.hash, gasUsed: rc.gasUsed, blockNumber: rc.blockNumber, event: events[0]!, events };
  } catch (e) {
    throw chainError(what, e, params.chain.url, r.interface);
  }
}

export interface RegistryEntry {
  verifier: string;
  modelId: string;
  vkHash: string;
  registrant: string;
  metadataURI: string;
}

/**
 * The entries whose verifiers declare this model id (ModelRegistered logs). For discovery only: anyone can
 * register code that declares any model id and key hash; trust the entry at the address a trusted key derives.
 * @example const entries = await registryEntries({ chain, registry: '0x…', modelId });
 */
export async function registryEntries(params: { chain: Chain; registry: string; modelId?: string; fromBlock?: number }): Promise<RegistryEntry[]> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.chain.provider);
  try {
    const logs = await r.queryFilter(r.filters.ModelRegistered!(params.modelId ? b32(params.modelId) : null), params.fromBlock ?? 0);
    return logs.filter((l): l is EventLog => 'args' in l).map((l) => ({ modelId: l.args[0], verifier: l.args[1], vkHash: l.args[2], registrant: l.args[3], metadataURI: l.args[4] }));
  } catch (e) {
    throw chainError('querying ModelRegistered logs', e, params.chain.url);
  }
}

/**
 * The InferenceVerified logs of a registry, optionally for some verifiers / one input reference / one prover.
 * @example const evs = await queryInferences({ chain, registry: '0x…', verifier });
 */
export async function queryInferences(params: { chain: Chain; registry: string; verifier?: string | string[]; inputRef?: string; prover?: string; fromBlock?: number }): Promise<InferenceEvent[]> {
  await requireCode(params.chain, params.registry, 'registry');
  const r = registry(params.registry, params.chain.provider);
  const filter = r.filters.InferenceVerified!(params.verifier ?? null, params.inputRef ? b32(params.inputRef) : null, params.prover ?? null);
  try {
    const logs = await r.queryFilter(filter, params.fromBlock ?? 0);
    return logs.filter((l): l is EventLog => 'args' in l).map((l) => toEvent(l.args, l.transactionHash, l.blockNumber));
  } catch (e) {
    throw chainError('querying InferenceVerified logs', e, params.chain.url);
  }
}

/**
 * A registry entry by its verifier address, or undefined.
 * @example const m = await registeredModel({ chain, registry: '0x…', verifier });
 */
export async function registeredModel(params: { chain: Chain; registry: string; verifier: string }): Promise<RegistryEntry | undefined> {
  await requireCode(params.chain, params.registry, 'registry');
  const [modelId, vkHash, registrant, metadataURI] = (await registry(params.registry, params.chain.provider).model!(params.verifier)) as [string, string, string, string];
  return /^0x0{40}$/.test(registrant) ? undefined : { verifier: params.verifier, modelId, vkHash, registrant, metadataURI };
}
