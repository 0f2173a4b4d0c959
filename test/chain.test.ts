/**
 * On-chain verification on a real EVM (anvil, started here): the bundled model's receipts are verified by
 * its deployed contract with the same verdict as in Node, tampered ones are refused, and the registry logs
 * who proved what with which model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { AbiCoder, Contract, Interface, Wallet, ZeroAddress, concat, keccak256, toBeHex } from 'ethers';
import { ROOT, caseDir, hasConformance } from './helpers/conformance.js';
import { OPS } from '../src/ops/index.js';
import { provePipeline, tempDir } from './helpers/pipeline.js';
import { linearModel } from './helpers/synthetic.js';
import { writeFileSync } from 'node:fs';
import { artifactPaths } from '../src/artifacts/layout.js';
import { DEV_KEYS, useLocalChain } from './helpers/evm.js';
import { connectChain } from '../src/chain/evm.js';
import type { Chain } from '../src/chain/evm.js';
import { deployModel, verifyOnChain } from '../src/chain/deploy.js';
import { REGISTRY_ABI, compileRegistry, deployRegistry, queryInferences, registerInitCode, registerModel, registeredModel, registryEntries, submitReceipt, trustedVerifier, verifierFromKey } from '../src/chain/registry.js';
import { compileSolidity } from '../src/chain/solc.js';
import { publicLayout, signalRefs } from '../src/chain/layout.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import { FIELD_P, modelIdOf } from '../src/receipt.js';
import type { KeyBinding, Receipt } from '../src/receipt.js';
import { ChainError } from '../src/errors.js';

const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');

const ctx = useLocalChain();
let chain: Chain;
let wallet: Wallet;
beforeAll(() => void ({ chain, wallet } = ctx));
let dir: string;
let receipt: Receipt;
let address: string;

beforeAll(async () => {
  const p = await provePipeline({ modelPath: MODEL, input: path.join(ROOT, 'models/mnist-mlp/input.json'), inputVisibility: 'private' });
  expect(p.verified.ok).toBe(true);
  dir = p.dir;
  receipt = p.receipt;
  address = (await deployModel({ dir, chain, wallet })).address;
});

const clone = (r: Receipt): Receipt => structuredClone(r);
const bindingOf = (r: Receipt): KeyBinding => (r.verificationKey as { zkinfer: KeyBinding }).zkinfer;

describe('model contract (bundled MLP, private input: 10 logits packed in 2 public signals)', () => {
  it('verifies the receipt on chain, as Node does', async () => {
    const r = await verifyOnChain({ receipt, chain, address, estimateGas: true });
    expect(r.ok, r.reason).toBe(true);
    expect(r.contract).toMatchObject({ nPublic: 2, devSetup: true, modelId: `0x${modelIdOf(receipt.model)}`, vkHash: `0x${receipt.vkHash}` });
    expect((await verifyReceipt({ receipt })).ok).toBe(true);
    console.log(`bundled MLP, private input, 2 public signals: a verifyInference transaction needs a gas limit of ${r.gas}`);
  });

  it('refuses a tampered proof', async () => {
    for (const [k, mutate] of [
      ['pi_a', (t: Receipt) => (t.proof.pi_a[0] = ((BigInt(t.proof.pi_a[0]!) + 1n)).toString())],
      ['pi_c', (t: Receipt) => ([t.proof.pi_c[0], t.proof.pi_c[1]] = [t.proof.pi_c[1]!, t.proof.pi_c[0]!])],
      ['pi_b', (t: Receipt) => (t.proof.pi_b[0] = [t.proof.pi_b[0]![1]!, t.proof.pi_b[0]![0]!])],
    ] as const) {
      const t = clone(receipt);
      mutate(t);
      const onChain = await verifyOnChain({ receipt: t, chain, address });
      const inNode = await verifyReceipt({ receipt: t });
      expect(onChain.ok, k).toBe(false);
      expect(inNode.ok, k).toBe(false);
    }
  });

  it('refuses each tampered public signal, with the same verdict as Node', async () => {
    for (let i = 0; i < receipt.publicSignals.length; i++) {
      for (const delta of [1n, FIELD_P]) {
        const t = clone(receipt);
        t.publicSignals[i] = (BigInt(t.publicSignals[i]!) + delta).toString();
        const onChain = await verifyOnChain({ receipt: t, chain, address });
        expect(onChain.ok, `signal ${i} + ${delta}`).toBe(false);
        // Node: the decoded outputs no longer match the packed signal (and the proof would fail too).
        expect((await verifyReceipt({ receipt: t })).ok).toBe(false);
      }
    }
  });

  it('refuses a receipt of another model, naming the mismatch', async () => {
    const t = clone(receipt);
    t.model.quantizedSha256 = '00'.repeat(32);
    const r = await verifyOnChain({ receipt: t, chain, address });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/the contract verifies model 0x/);
  });

  it('fails with a ChainError when there is no contract or no node', async () => {
    await expect(verifyOnChain({ receipt, chain, address: wallet.address })).rejects.toThrow(ChainError);
    await expect(connectChain({ rpc: 'http://127.0.0.1:9', timeoutMs: 2000 })).rejects.toThrow(/no Ethereum JSON-RPC node answers/);
  });
});

describe('--output-scale 12 (bundled MLP, private input): the 10 logits in 1 public signal', () => {
  let packed: Receipt;
  let packedAddress: string;
  beforeAll(async () => {
    const p = await provePipeline({ modelPath: MODEL, input: path.join(ROOT, 'models/mnist-mlp/inputs/digit-3.json'), inputVisibility: 'private', outputScale: 12 });
    expect(p.compiled.info.nPublic).toBe(1);
    expect(p.verified.ok, p.verified.failed?.detail).toBe(true);
    // Rounding the 10 logits to 2^-12 costs one proven rescale (a decomposition) each; packing is linear.
    expect(p.compiled.info.constraints.total - readCompiled(dir).constraints.total).toBeLessThanOrEqual(10 * 40);
    expect(p.compiled.info.outputs[0]!.scale).toBe(12);
    expect(p.compiled.info.layout.outputs[0]!.perElement).toBeGreaterThanOrEqual(10);
    packed = p.receipt;
    packedAddress = (await deployModel({ dir: p.dir, chain, wallet })).address;
  });

  it('verifies on chain; the contract decodes the same outputs as the receipt', async () => {
    const r = await verifyOnChain({ receipt: packed, chain, address: packedAddress, estimateGas: true });
    expect(r.ok, r.reason).toBe(true);
    const c = new Contract(packedAddress, ['function decodeOutputs(uint256[] publicSignals) view returns (int256[])'], chain.provider);
    const ints = (await c.decodeOutputs!(packed.publicSignals)) as bigint[];
    const logits = packed.outputs![0]!;
    expect(ints.map(String)).toEqual(logits.integers); // the receipt's exact integers
    expect(ints.map((v) => Number(v) / 2 ** Number(logits.scale))).toEqual(logits.data);
    expect(logits.data.indexOf(Math.max(...logits.data))).toBe(3);
    console.log(`bundled MLP, private input, --output-scale 12 (1 public signal): a verifyInference transaction needs a gas limit of ${r.gas}`);
    expect(Number(r.gas)).toBeLessThanOrEqual(225_000);
  });

  it('refuses a tampered packed signal or output value, on chain and in Node', async () => {
    for (const delta of [1n, 1n << 20n, FIELD_P]) {
      const t = clone(packed);
      t.publicSignals[0] = (BigInt(t.publicSignals[0]!) + delta).toString();
      expect((await verifyOnChain({ receipt: t, chain, address: packedAddress })).ok).toBe(false);
      expect((await verifyReceipt({ receipt: t })).ok).toBe(false);
    }
    const t = clone(packed);
    t.outputs![0]!.data[9]! += 1;
    expect((await verifyReceipt({ receipt: t })).ok).toBe(false);
  });

  it('the packing is part of the verification key: a receipt cannot claim another one', async () => {
    const t = clone(packed);
    const out = bindingOf(t).layout.outputs[0]!;
    out.lo = (BigInt(out.lo) + 1n).toString();
    t.outputs![0]!.integers[0] = String(BigInt(t.outputs![0]!.integers[0]!) + 1n); // consistent with the forged offset
    t.outputs![0]!.data[0]! += 2 ** -Number(t.outputs![0]!.scale);
    expect((await verifyReceipt({ receipt: t })).failed?.name).toBe('vk-hash');
  });
});

// mnist-8 (ONNX zoo CNN): its setup takes minutes, so it runs only with ZKINFER_CHAIN_MNIST8=1.
const mnist8 = caseDir('models', 'mnist-8');
const hasConvOps = ['Conv', 'MaxPool'].every((op) => OPS.has(op));
describe.skipIf(!hasConformance || !hasConvOps || process.env.ZKINFER_CHAIN_MNIST8 !== '1')('mnist-8 on chain (private input, --output-scale 8)', () => {
  it('deploys, verifies on chain; a tampered proof and each tampered signal are refused, as in Node', async () => {
    const p = await provePipeline({ modelPath: path.join(mnist8, 'model.onnx'), input: path.join(mnist8, 'test_data_set_3', 'input_0.pb'), calibration: path.join(mnist8, 'test_data_set_3'), inputVisibility: 'private', outputScale: 8 });
    expect(p.verified.ok, p.verified.failed?.detail).toBe(true);
    const addr = (await deployModel({ dir: p.dir, chain, wallet })).address;
    const r = await verifyOnChain({ receipt: p.receipt, chain, address: addr, estimateGas: true });
    expect(r.ok, r.reason).toBe(true);
    console.log(`mnist-8, ${p.compiled.info.nPublic} public signal(s): a verifyInference transaction needs a gas limit of ${r.gas}`);
    const t = clone(p.receipt);
    t.proof.pi_a[0] = (BigInt(t.proof.pi_a[0]!) + 1n).toString();
    expect((await verifyOnChain({ receipt: t, chain, address: addr })).ok).toBe(false);
    expect((await verifyReceipt({ receipt: t })).ok).toBe(false);
    for (let i = 0; i < p.receipt.publicSignals.length; i++) {
      const u = clone(p.receipt);
      u.publicSignals[i] = (BigInt(u.publicSignals[i]!) + 1n).toString();
      expect((await verifyOnChain({ receipt: u, chain, address: addr })).ok).toBe(false);
      expect((await verifyReceipt({ receipt: u })).ok).toBe(false);
    }
  });
});

describe('hashed params: the wrapper holds the weights commitment', () => {
  it("verifies a proof with the model's weights; a contract for other weights refuses it", async () => {
    const work = tempDir('zkinfer-chain-params-');
    const { model, input } = linearModel(work, 4);
    const p = await provePipeline({ modelPath: model, input, inputVisibility: 'private', paramVisibility: 'hashed', scale: 8 });
    expect(p.verified.ok, p.verified.failed?.detail).toBe(true);
    const info = readCompiled(p.dir);
    expect(p.receipt.commitments!.params).toBe(info.paramsCommitment);
    const mine = (await deployModel({ dir: p.dir, chain, wallet })).address;
    expect((await verifyOnChain({ receipt: p.receipt, chain, address: mine })).ok).toBe(true);
    // Same circuit and key, other weights: the contract compiled for another commitment refuses the proof.
    writeFileSync(artifactPaths(p.dir).compiled, JSON.stringify({ ...info, paramsCommitment: (BigInt(info.paramsCommitment!) + 1n).toString() }));
    const other = (await deployModel({ dir: p.dir, chain, wallet })).address;
    expect((await verifyOnChain({ receipt: p.receipt, chain, address: other })).ok).toBe(false);
  });
});

/** A squatter's verifier: declares any model id and key hash, and accepts every proof. */
const SQUATTER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Squatter {
    bytes32 public immutable MODEL_ID;
    bytes32 public immutable VK_HASH;
    constructor(bytes32 m, bytes32 v) { MODEL_ID = m; VK_HASH = v; }
    function verifySignals(uint256[8] calldata, uint256[] calldata) external pure returns (bool, bytes32, bytes32, address) {
        return (true, bytes32(0), keccak256("any output"), address(0));
    }
}
`;

describe('registry: entries are verifiers it deployed from their bytecode (CREATE2), never names', () => {
  let registry: string;
  let honest: Awaited<ReturnType<typeof trustedVerifier>>;
  const squatter = (): Wallet => new Wallet(DEV_KEYS[1], chain.provider);
  beforeAll(async () => {
    registry = (await deployRegistry({ chain, wallet })).address;
    honest = await trustedVerifier({ dir, chain, registry });
  });

  it("REGISTRY_ABI is the compiled contract's ABI", async () => {
    const sorted = (abi: unknown) => new Interface(abi as never).format().sort();
    expect(sorted(REGISTRY_ABI)).toEqual(sorted((await compileRegistry()).abi));
  });

  it('squatting: a verifier that accepts everything, declaring the honest model id and key, lands at its own address; the owner still registers', async () => {
    const sq = await compileSolidity({ sources: { 'Squatter.sol': SQUATTER }, target: { file: 'Squatter.sol', contract: 'Squatter' } });
    const initCode = concat([sq.bytecode, AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes32'], [`0x${modelIdOf(receipt.model)}`, `0x${receipt.vkHash}`])]);
    const fake = await registerInitCode({ chain, wallet: squatter(), registry, initCode });
    expect(fake.verifier).not.toBe(honest.verifier);
    // Its entry says what its code declares: the honest ids. That is why entries are trusted by address only.
    expect(await registeredModel({ chain, registry, verifier: fake.verifier })).toMatchObject({ modelId: `0x${modelIdOf(receipt.model)}`, vkHash: `0x${receipt.vkHash}`, registrant: squatter().address });
    expect(await registeredModel({ chain, registry, verifier: honest.verifier })).toBeUndefined();
    // The forged "inference" it accepts is logged under the squatter's verifier, not under the key's.
    const forged = clone(receipt);
    forged.publicSignals = ['1', '2'];
    await submitReceipt({ chain, wallet: squatter(), registry, verifier: fake.verifier, receipt: forged });
    expect(await queryInferences({ chain, registry, verifier: honest.verifier })).toHaveLength(0);
    // The owner registers: the registry deploys the honest bytecode at the address the key derives.
    const r = await registerModel({ chain, wallet, registry, dir, metadataURI: 'ipfs://zkinfer-test' });
    expect(r).toMatchObject({ verifier: honest.verifier, already: false, modelId: `0x${modelIdOf(receipt.model)}` });
    expect(await registeredModel({ chain, registry, verifier: honest.verifier })).toMatchObject({ vkHash: `0x${receipt.vkHash}`, registrant: wallet.address, metadataURI: 'ipfs://zkinfer-test' });
    expect((await verifyOnChain({ receipt, chain, address: honest.verifier })).ok).toBe(true); // a full model contract
    // Discovery by model id finds both: only the address derived from the key tells them apart.
    expect((await registryEntries({ chain, registry, modelId: modelIdOf(receipt.model) })).map((e) => e.verifier).sort()).toEqual([fake.verifier, honest.verifier].sort());
    console.log(`registry register (bundled MLP verifier deployed by CREATE2): ${r.gasUsed} gas`);
  });

  it('the key alone derives the registered verifier: the address is a function of the key', async () => {
    // Whoever trusts the receipt's key (by its hash) derives the same bytecode and address as DIR does.
    const k = await verifierFromKey({ registry, vk: receipt.verificationKey });
    expect(k).toMatchObject({ verifier: honest.verifier, initCode: honest.initCode, vkHash: receipt.vkHash });
    expect(await registeredModel({ chain, registry, verifier: k.verifier })).toMatchObject({ vkHash: `0x${receipt.vkHash}` });
    // Another key for the same model (another setup: other secrets, other points) derives another verifier.
    const other = structuredClone(receipt.verificationKey) as { vk_alpha_1: string[] };
    other.vk_alpha_1[0] = (BigInt(other.vk_alpha_1[0]!) + 1n).toString();
    expect((await verifierFromKey({ registry, vk: other })).verifier).not.toBe(honest.verifier);
    // A key from a receipt is anyone's JSON: only numbers reach the template, and a count that matches IC.
    await expect(verifierFromKey({ registry, vk: { ...receipt.verificationKey, nPublic: 1e12 } })).rejects.toThrow(/not a Groth16 verification key/);
  });

  it('the same bytecode registers once; registerModel then reports the existing entry, whoever registered it', async () => {
    await expect(registerInitCode({ chain, wallet: squatter(), registry, initCode: honest.initCode })).rejects.toThrow(/AlreadyRegistered\(0x/);
    expect(await registerModel({ chain, wallet: squatter(), registry, dir })).toMatchObject({ verifier: honest.verifier, already: true });
  });

  it('submit verifies through the registered verifier and emits InferenceVerified with the right fields', async () => {
    const submitter = squatter();
    const r = await submitReceipt({ chain, wallet: submitter, registry, verifier: honest.verifier, receipt });
    const refs = signalRefs(publicLayout(bindingOf(receipt)), receipt.publicSignals);
    expect(refs.outputsHash).toBe(keccak256(concat(receipt.publicSignals.map((x) => toBeHex(BigInt(x), 32))))); // both signals hold outputs
    // No prover signal in this circuit: the prover is unknown (zero), only the submitter is.
    expect(r.event).toMatchObject({ verifier: honest.verifier, modelId: `0x${modelIdOf(receipt.model)}`, inputRef: refs.inputRef, outputsHash: refs.outputsHash, prover: ZeroAddress, submitter: submitter.address });
    expect(refs.inputRef).toBe(`0x${'0'.repeat(64)}`); // private input: nothing about it is logged
    const logs = await queryInferences({ chain, registry, verifier: honest.verifier });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ txHash: r.txHash, outputsHash: refs.outputsHash });
    console.log(`registry submit (2 signals): ${r.gasUsed} gas`);
  });

  it('submit of a tampered receipt reverts with InvalidProof and logs nothing; an unregistered verifier with UnknownVerifier', async () => {
    const t = clone(receipt);
    t.publicSignals[1] = (BigInt(t.publicSignals[1]!) + 1n).toString();
    await expect(submitReceipt({ chain, wallet, registry, verifier: honest.verifier, receipt: t })).rejects.toThrow(/InvalidProof/);
    expect(await queryInferences({ chain, registry, verifier: honest.verifier })).toHaveLength(1);
    await expect(submitReceipt({ chain, wallet, registry, verifier: address, receipt })).rejects.toThrow(/UnknownVerifier/); // deployed, but not by the registry
  });
});
