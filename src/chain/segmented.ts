/**
 * A segmented model on chain: one contract that verifies all K segment proofs and every link between them
 * in one call. Its constructor deploys the K segments' Groth16 verifiers (snarkjs's template, one per key,
 * renamed Groth16Verifier0…K−1), so one creation bytecode — a function of the ordered keys alone — stands for
 * the whole model: the registry deploys and registers it like any model contract (VK_HASH is the segment
 * keys hash, MODEL_ID the model's) and accepts its receipts through `submitSegments`.
 *
 * What `verifySegments(proofs, publicSignals)` checks, reverting with an error naming the check:
 * WrongSegmentCount / WrongSignalCount (segment-count: K proofs, the K segments' signals concatenated in
 * order), WrongParamsCommitment (params: a segment's weights commitment is the compiled one), BrokenLink
 * (links: segment i's output commitment = segment i+1's input commitment), SegmentProofInvalid (segment-proof:
 * proof i against the verifier of compiled segment i, so swapped, reordered, duplicated or foreign segments
 * fail here or at the links).
 */
import { Contract, Interface } from 'ethers';
import type { ErrorDescription } from 'ethers';
import path from 'node:path';
import { artifactPaths, readJson, writeFileAtomic } from '../artifacts/layout.js';
import { readCompiled } from '../setup.js';
import { modelIdOf } from '../receipt.js';
import type { KeyBinding } from '../receipt.js';
import type { SegmentedReceipt } from '../compose/receipt.js';
import { readCheckedSegmentKeys, readManifest } from '../compose/compile.js';
import { keysHashOf } from '../compose/keys.js';
import { vkHash } from '../receipt.js';
import { ArtifactError, ChainError } from '../errors.js';
import { ZKINFER_VERSION } from '../compile.js';
import { verifierSourceFromKey } from './verifier.js';
import { publicLayout } from './layout.js';
import type { PublicLayout } from './layout.js';
import { proofWords } from './model-contract.js';
import { compileSolidity } from './solc.js';
import type { CompiledContract } from './solc.js';
import { chainError } from './evm.js';
import type { Chain } from './evm.js';
import { verifyGasLimit } from './deploy.js';
import { GAS } from './gas.js';

export const SEGMENTED_CONTRACT = 'ZkinferSegmentedModel';
export const SEGMENTED_FILE = 'ZkinferSegmented.sol';

/** The segmented contract's errors (the registry's submitSegments bubbles them up). */
export const SEGMENTED_ERRORS = [
  'error WrongSegmentCount(uint256 expected, uint256 got)',
  'error WrongSignalCount(uint256 expected, uint256 got)',
  'error WrongParamsCommitment(uint256 segment)',
  'error BrokenLink(uint256 link)',
  'error SegmentProofInvalid(uint256 segment)',
] as const;

export const SEGMENTED_ABI = [
  'function MODEL_ID() view returns (bytes32)',
  'function VK_HASH() view returns (bytes32)',
  'function N_SEGMENTS() view returns (uint256)',
  'function N_PUBLIC() view returns (uint256)',
  'function DEV_SETUP() view returns (bool)',
  'function verifySegments(uint256[8][] proofs, uint256[] publicSignals) view returns (bool ok, bytes32 inputRef, bytes32 outputsHash, address prover)',
  'function verifyInference(uint256[8][] proofs, uint256[] publicSignals) view returns (bool)',
  ...SEGMENTED_ERRORS,
] as const;

/** The check each revert names, as verifySegmentedReceipt names it off chain. */
export const SEGMENTED_CHECK: Record<string, string> = {
  WrongSegmentCount: 'segment-count',
  WrongSignalCount: 'segment-count',
  WrongParamsCommitment: 'params',
  BrokenLink: 'links',
  SegmentProofInvalid: 'segment-proof',
};

const b32 = (hex: string): string => `0x${hex.replace(/^0x/, '').padStart(64, '0')}`;
const verifierFile = (i: number): string => `Verifier${i}.sol`;

export interface SegmentedContractParams {
  model: KeyBinding['model'];
  /** The segments' verification keys, in order (each with its zkinfer binding). */
  vks: Record<string, unknown>[];
  dev: boolean;
}

/** Solidity sources: the K renamed verifiers and the segmented contract. */
export function segmentedContractSources(p: SegmentedContractParams): Record<string, string> {
  const layouts: PublicLayout[] = p.vks.map((vk) => publicLayout((vk as { zkinfer?: KeyBinding }).zkinfer));
  const K = layouts.length;
  const offsets: number[] = [];
  let n = 0;
  for (const l of layouts) (offsets.push(n), (n += l.nPublic));
  const commitmentAt = (l: PublicLayout, of: 'input' | 'output'): number => {
    const i = l.layout.signals.findIndex((g) => g.kind === 'commitment' && g.of === of);
    if (i < 0) throw new ArtifactError(`a segment's key has no ${of} commitment where its boundary should be`, { hint: 'compile the model with --segments again' });
    return i;
  };
  const sources: Record<string, string> = {};
  p.vks.forEach((vk, i) => {
    const src = verifierSourceFromKey(vk);
    if (!src.includes('contract Groth16Verifier {')) throw new Error('internal: snarkjs verifier template without contract Groth16Verifier');
    sources[verifierFile(i)] = src.replace('contract Groth16Verifier {', `contract Groth16Verifier${i} {`);
  });
  const checks: string[] = [];
  layouts.forEach((l, i) => {
    const pc = (p.vks[i] as { zkinfer?: KeyBinding }).zkinfer?.paramsCommitment;
    if (l.paramsCommitment === undefined) return;
    if (pc === undefined) throw new ArtifactError(`segment ${i + 1}: hashed params without their commitment in the key`, { hint: 'set the model up again' });
    checks.push(`        if (publicSignals[${offsets[i]! + l.paramsCommitment}] != ${pc}) revert WrongParamsCommitment(${i + 1});`);
  });
  for (let i = 0; i + 1 < K; i++) checks.push(`        if (publicSignals[${offsets[i]! + commitmentAt(layouts[i]!, 'output')}] != publicSignals[${offsets[i + 1]! + commitmentAt(layouts[i + 1]!, 'input')}]) revert BrokenLink(${i + 1});`);
  const first = layouts[0]!;
  const last = layouts[K - 1]!;
  const slices = (ids: number[], off: number): string => (ids.length ? `keccak256(abi.encodePacked(${ids.map((j) => `publicSignals[${off + j}]`).join(', ')}))` : 'bytes32(0)');
  const inputRef = first.inputCommitment !== undefined ? `bytes32(publicSignals[${first.inputCommitment}])` : slices(first.inputSignals, 0);
  const vkHashes = p.vks.map((vk) => vkHash(vk));
  const segFns = layouts.map(
    (l, i) => `
    function _segment${i}(uint256[8] calldata p, uint256[] calldata publicSignals) internal view {
        uint256[${l.nPublic}] memory s;
        for (uint256 j = 0; j < ${l.nPublic}; j++) s[j] = publicSignals[${offsets[i]} + j];
        if (!V${i}.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], s)) revert SegmentProofInvalid(${i + 1});
    }`,
  );
  sources[SEGMENTED_FILE] = `// SPDX-License-Identifier: GPL-3.0
// Generated by zkinfer ${ZKINFER_VERSION}; regenerate with \`zkinfer deploy\`, never edit.
pragma solidity ^0.8.24;

${layouts.map((_, i) => `import {Groth16Verifier${i}} from "./${verifierFile(i)}";`).join('\n')}

/**
 * @title zkinfer verifier for model ${p.model.file ?? ''} in ${K} segments
 * @notice Verifies one inference proven as ${K} linked segment proofs: every proof against its segment's key
 *   (compiled in, in order) and every boundary commitment shared by consecutive segments.
 *   Public signals: the segments' signals concatenated in order (${layouts.map((l) => l.nPublic).join(' + ')}).
 */
contract ${SEGMENTED_CONTRACT} {
    bytes32 public constant MODEL_ID = ${b32(modelIdOf(p.model))};
    /// The segment keys hash (sha256 of the ordered segment verification-key hashes): what receipts carry.
    bytes32 public constant VK_HASH = ${b32(keysHashOf(vkHashes))};
${vkHashes.map((h, i) => `    bytes32 public constant SEGMENT_VK_HASH_${i} = ${b32(h)};`).join('\n')}
    bool public constant DEV_SETUP = ${p.dev};
    uint256 public constant N_SEGMENTS = ${K};
    uint256 public constant N_PUBLIC = ${n};
${layouts.map((_, i) => `    Groth16Verifier${i} public immutable V${i};`).join('\n')}

    error WrongSegmentCount(uint256 expected, uint256 got);
    error WrongSignalCount(uint256 expected, uint256 got);
    error WrongParamsCommitment(uint256 segment);
    error BrokenLink(uint256 link);
    error SegmentProofInvalid(uint256 segment);

    constructor() {
${layouts.map((_, i) => `        V${i} = new Groth16Verifier${i}();`).join('\n')}
    }

    /// @notice Verify all segments and links; reverts naming the first failed check. inputRef and outputsHash
    ///   as a single model's contract reports them (first segment's input, last segment's outputs).
    function verifySegments(uint256[8][] calldata proofs, uint256[] calldata publicSignals) public view returns (bool ok, bytes32 inputRef, bytes32 outputsHash, address prover) {
        if (proofs.length != N_SEGMENTS) revert WrongSegmentCount(N_SEGMENTS, proofs.length);
        if (publicSignals.length != N_PUBLIC) revert WrongSignalCount(N_PUBLIC, publicSignals.length);
${checks.join('\n')}
${layouts.map((_, i) => `        _segment${i}(proofs[${i}], publicSignals);`).join('\n')}
        return (true, ${inputRef}, ${slices(last.outputSignals, offsets[K - 1]!)}, address(0));
    }

    /// @notice verifySegments as a plain answer: true, or a revert naming the check.
    function verifyInference(uint256[8][] calldata proofs, uint256[] calldata publicSignals) external view returns (bool) {
        (bool ok, , , ) = verifySegments(proofs, publicSignals);
        return ok;
    }
${segFns.join('\n')}
}
`;
  return sources;
}

export interface BuiltSegmentedContract {
  contract: CompiledContract;
  sources: Record<string, string>;
  modelId: string;
  keysHash: string;
  nPublic: number[];
}

/**
 * The segmented contract from a segmented artifact directory (writes DIR/ZkinferSegmented.sol).
 * @example const { contract } = await buildSegmentedContract({ dir: 'build/m8x4' });
 */
export async function buildSegmentedContract(params: { dir: string }): Promise<BuiltSegmentedContract> {
  const manifest = readManifest(params.dir);
  const keys = readCheckedSegmentKeys(params.dir);
  const vks = manifest.segments.map((s) => {
    const d = path.join(params.dir, s.dir);
    readCompiled(d);
    return readJson<Record<string, unknown>>(artifactPaths(d).vkey, 'verification key', `run 'zkinfer setup ${params.dir}'`);
  });
  const built = await buildSegmentedContractFromKeys({ model: manifest.model, vks, dev: keys.dev });
  if (built.keysHash !== keys.keysHash) throw new ArtifactError(`${params.dir}: the keys hash of the segments' keys is not segments.keys.json's`, { hint: `run 'zkinfer setup ${params.dir}' again` });
  writeFileAtomic(path.join(params.dir, SEGMENTED_FILE), built.sources[SEGMENTED_FILE]!);
  return built;
}

/**
 * The segmented contract from the ordered segment keys alone (e.g. a receipt's): the same bytecode as from DIR.
 * @example const { contract } = await buildSegmentedContractFromKeys({ model: r.model, vks: r.segments.map((s) => s.verificationKey), dev: r.setup.dev });
 */
export async function buildSegmentedContractFromKeys(p: SegmentedContractParams): Promise<BuiltSegmentedContract> {
  const sources = segmentedContractSources(p);
  const contract = await compileSolidity({ sources, target: { file: SEGMENTED_FILE, contract: SEGMENTED_CONTRACT } });
  const vkHashes = p.vks.map((vk) => vkHash(vk));
  return { contract, sources, modelId: modelIdOf(p.model), keysHash: keysHashOf(vkHashes), nPublic: p.vks.map((vk) => publicLayout((vk as { zkinfer?: KeyBinding }).zkinfer).nPublic) };
}

/** The call data of a segmented receipt: K proofs in the verifier's word order, the signals concatenated. */
export function segmentedCallArgs(r: SegmentedReceipt): [bigint[][], bigint[]] {
  return [r.segments.map((s) => proofWords(s.proof)), r.segments.flatMap((s) => s.publicSignals.map((x) => BigInt(x)))];
}

export interface SegmentedChainResult {
  ok: boolean;
  /** The check that failed (segment-count, params, links, segment-proof, model, segment-keys), when not ok. */
  check?: string;
  reason?: string;
  gas?: bigint;
}

/**
 * Verify a segmented receipt with a deployed segmented contract (an eth_call), naming the failed check.
 * @example const v = await verifySegmentedOnChain({ receipt, chain, address }); if (!v.ok) console.log(v.check);
 */
export async function verifySegmentedOnChain(params: { receipt: SegmentedReceipt; chain: Chain; address: string; estimateGas?: boolean }): Promise<SegmentedChainResult> {
  const { chain, address, receipt } = params;
  if ((await chain.provider.getCode(address)) === '0x') throw new ChainError(`${address}: no contract at this address on ${chain.url}`, { hint: 'deploy the segmented model first' });
  const c = new Contract(address, SEGMENTED_ABI, chain.provider);
  const [modelId, keysHash] = (await Promise.all([c.MODEL_ID!(), c.VK_HASH!()])) as [string, string];
  if (modelId !== b32(receipt.modelId)) return { ok: false, check: 'model', reason: `the contract verifies model ${modelId}, the receipt is for ${b32(receipt.modelId)}` };
  if (keysHash !== b32(receipt.segmentKeysHash)) return { ok: false, check: 'segment-keys', reason: `the contract's segment keys hash ${keysHash} is not the receipt's ${b32(receipt.segmentKeysHash)}` };
  const args = segmentedCallArgs(receipt);
  try {
    await c.verifySegments!(...args);
  } catch (e) {
    const data = (e as { data?: string }).data;
    const parsed: ErrorDescription | null = data ? new Interface(SEGMENTED_ABI).parseError(data) : null;
    if (!parsed) throw chainError(`calling verifySegments on ${address}`, e, chain.url);
    return { ok: false, check: SEGMENTED_CHECK[parsed.name] ?? parsed.name, reason: `${parsed.name}(${parsed.args.join(', ')})` };
  }
  const gas = params.estimateGas ? await verifyGasLimit(chain, address, c.interface.encodeFunctionData('verifyInference', args), 30_000_000n) : undefined;
  return { ok: true, gas };
}

/** Measured on anvil (cancun): per segment, the external call to its verifier and copying its signals. */
export const SEGMENT_CALL_GAS = 9_000;

/**
 * Gas of a transaction verifying a segmented receipt (worst-case calldata), from the segments' signal counts.
 * @example predictSegmentedGas([2, 2, 2]).gas
 */
export function predictSegmentedGas(nPublic: number[]): { gas: number; formula: string } {
  const K = nPublic.length;
  const n = nPublic.reduce((a, b) => a + b, 0);
  // selector, two offsets, two lengths, K proofs of 8 words, n signals
  const calldata = (4 + 32 * (4 + 8 * K + n)) * GAS.calldataNonZero;
  const exec = K * (GAS.base + SEGMENT_CALL_GAS) + n * GAS.perSignal;
  return { gas: GAS.intrinsic + calldata + exec + GAS.margin, formula: `${GAS.intrinsic} + calldata ${calldata} + ${K} × (${GAS.base} + ${SEGMENT_CALL_GAS}) + ${GAS.perSignal} × ${n} signals + ${GAS.margin} margin` };
}

