/**
 * On-chain verification on a real EVM (Hardhat's EDR node, started here): the bundled model's receipts are
 * verified by its deployed contract with the same verdict as in Node, tampered ones are refused, and the
 * registry logs who proved what with which model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Interface, Wallet } from 'ethers';
import { ROOT } from './helpers/conformance.js';
import { provePipeline, terminateCurve } from './helpers/pipeline.js';
import { DEV_KEYS, startLocalNode } from './helpers/evm.js';
import type { LocalNode } from './helpers/evm.js';
import { connectChain } from '../src/chain/evm.js';
import type { Chain } from '../src/chain/evm.js';
import { deployModel, verifyOnChain } from '../src/chain/deploy.js';
import { REGISTRY_ABI, compileRegistry, deployRegistry, queryInferences, registerModel, registeredModel, submitReceipt } from '../src/chain/registry.js';
import { publicLayout, signalRefs } from '../src/chain/layout.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import { FIELD_P, modelIdOf } from '../src/receipt.js';
import type { Receipt } from '../src/receipt.js';
import { ChainError } from '../src/errors.js';

const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');

let node: LocalNode;
let chain: Chain;
let wallet: Wallet;
let dir: string;
let receipt: Receipt;
let address: string;

beforeAll(async () => {
  node = await startLocalNode();
  chain = await connectChain({ rpc: node.url });
  wallet = new Wallet(DEV_KEYS[0], chain.provider);
  const p = await provePipeline({ modelPath: MODEL, input: path.join(ROOT, 'models/mnist-mlp/input.json'), inputVisibility: 'private' });
  expect(p.verified.ok).toBe(true);
  dir = p.dir;
  receipt = p.receipt;
  address = (await deployModel({ dir, chain, wallet })).address;
});

afterAll(async () => {
  await node?.stop();
  await terminateCurve();
});

const clone = (r: Receipt): Receipt => structuredClone(r);

describe('model contract (bundled MLP, private input: 10 public signals)', () => {
  it('verifies the receipt on chain, as Node does', async () => {
    const r = await verifyOnChain({ receipt, chain, address, estimateGas: true });
    expect(r.ok, r.reason).toBe(true);
    expect(r.contract).toMatchObject({ nPublic: 10, devSetup: true, modelId: `0x${modelIdOf(receipt.model)}`, vkHash: `0x${receipt.vkHash}` });
    expect((await verifyReceipt({ receipt })).ok).toBe(true);
    console.log(`bundled MLP, 10 public signals: verifyInference transaction ${r.gas} gas`);
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
        // Node: the decoded outputs no longer match, and the proof check fails too when they are fixed up.
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

describe('registry', () => {
  let registry: string;
  beforeAll(async () => {
    registry = (await deployRegistry({ chain, wallet })).address;
  });

  it("REGISTRY_ABI is the compiled contract's ABI", async () => {
    const sorted = (abi: unknown) => new Interface(abi as never).format().sort();
    expect(sorted(REGISTRY_ABI)).toEqual(sorted((await compileRegistry()).abi));
  });

  it('registers a model once; a second registration of the same id is refused', async () => {
    const modelId = modelIdOf(receipt.model);
    await registerModel({ chain, wallet, registry, modelId, verifier: address, vkHash: receipt.vkHash, metadataURI: 'ipfs://zkinfer-test' });
    expect(await registeredModel({ chain, registry, modelId })).toMatchObject({ verifier: address, vkHash: `0x${receipt.vkHash}`, registrant: wallet.address, metadataURI: 'ipfs://zkinfer-test' });
    const other = new Wallet(DEV_KEYS[1], chain.provider);
    await expect(registerModel({ chain, wallet: other, registry, modelId, verifier: address, vkHash: receipt.vkHash })).rejects.toThrow(/AlreadyRegistered/);
  });

  it('refuses a verifier that does not declare the model id and key hash', async () => {
    await expect(registerModel({ chain, wallet, registry, modelId: 'ab'.repeat(32), verifier: address, vkHash: receipt.vkHash })).rejects.toThrow(/VerifierMismatch/);
  });

  it('submit verifies through the registered verifier and emits InferenceVerified with the right fields', async () => {
    const prover = new Wallet(DEV_KEYS[1], chain.provider);
    const r = await submitReceipt({ chain, wallet: prover, registry, receipt });
    const refs = signalRefs(publicLayout(readCompiled(dir)), receipt.publicSignals);
    expect(r.event).toMatchObject({ modelId: `0x${modelIdOf(receipt.model)}`, inputRef: refs.inputRef, outputsHash: refs.outputsHash, prover: prover.address });
    expect(refs.inputRef).toBe(`0x${'0'.repeat(64)}`); // private input: nothing about it is logged
    const logs = await queryInferences({ chain, registry, modelId: modelIdOf(receipt.model), prover: prover.address });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ txHash: r.txHash, outputsHash: refs.outputsHash });
    console.log(`registry submit (10 signals): ${r.gasUsed} gas`);
  });

  it('submit of a tampered receipt reverts with InvalidProof and logs nothing', async () => {
    const t = clone(receipt);
    t.publicSignals[3] = (BigInt(t.publicSignals[3]!) + 1n).toString();
    await expect(submitReceipt({ chain, wallet, registry, receipt: t })).rejects.toThrow(/InvalidProof/);
    expect(await queryInferences({ chain, registry, modelId: modelIdOf(receipt.model) })).toHaveLength(1);
  });
});
