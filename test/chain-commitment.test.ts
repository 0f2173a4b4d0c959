/**
 * Hashed inputs from on-chain data, end to end on a real EVM (anvil): the bundled MLP compiled with hashed
 * input (a salted Poseidon chain over the packed pixels, 5 elements per call) and --output-scale 12 (the 10
 * logits in one packed signal) is proved by snarkjs and checked by its contract — by verifyInference (the
 * gas target: ≤ 225,000 for hashed input and ≤ 10 outputs), and against the input data itself, the
 * contract recomputing the commitment with circomlibjs's Poseidon contracts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Contract, Interface, Wallet, ZeroAddress } from 'ethers';
import { ROOT } from './helpers/conformance.js';
import { provePipeline } from './helpers/pipeline.js';
import { useLocalChain } from './helpers/evm.js';
import { poseidonChain } from '../src/commit/poseidon.js';
import { commitmentOf, packAll } from '../src/quantize/layout.js';
import { FIELD_P, modelIdOf } from '../src/receipt.js';
import type { KeyBinding, Receipt } from '../src/receipt.js';
import type { Chain } from '../src/chain/evm.js';
import { deployBytecode, waitMined } from '../src/chain/evm.js';
import { deployCommitment } from '../src/chain/commitment.js';
import { deployModel, readDeployments, verifyInferenceAbi, verifyOnChain } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { compileSolidity } from '../src/chain/solc.js';
import { deployRegistry, registerModel, submitReceipt } from '../src/chain/registry.js';
import { predictVerifyGas } from '../src/chain/gas.js';
import { predictedRuntimeBytes } from '../src/cli/commands/estimate-gas.js';
import { verifyReceipt } from '../src/verify/verify.js';

const ctx = useLocalChain();
let chain: Chain;
let wallet: Wallet;
beforeAll(() => void ({ chain, wallet } = ctx));

const COMMIT_ABI = ['function commit(uint256[] elems, uint256 salt) view returns (uint256)'];

describe('ZkinferCommitment', () => {
  it('equals the TypeScript (and circuit) chain at width 5 for every chunk length', async () => {
    const { address } = await deployCommitment({ chain, wallet });
    const c = new Contract(address, COMMIT_ABI, chain.provider);
    for (const m of [1, 2, 3, 4, 5, 6, 11, 26]) {
      const elems = Array.from({ length: m }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n + 3n) % FIELD_P);
      const salt = 0x1234567890abcdefn * BigInt(m);
      expect(await c.commit!(elems, salt), `m = ${m}`).toBe(await poseidonChain(salt, elems, 5));
    }
    await expect(c.commit!([FIELD_P], 0n)).rejects.toThrow(); // NotAFieldElement
    await expect(c.commit!([], 0n)).rejects.toThrow(); // NoElements
  });
});

const HOLDER = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
interface IModel {
    function verifyInferenceOnData(uint256[8] calldata proof, uint256[2] calldata publicSignals, uint256[] calldata elems, uint256 salt) external view returns (bool);
}
/// A dApp that holds data on chain (packed, with its salt) and accepts a proof of inference on exactly that data.
contract DataHolder {
    IModel public immutable model;
    uint256[] public elems;
    uint256 public salt;
    constructor(IModel m, uint256[] memory e, uint256 s) { model = m; elems = e; salt = s; }
    function check(uint256[8] calldata proof, uint256[2] calldata publicSignals) external view returns (bool) {
        return model.verifyInferenceOnData(proof, publicSignals, elems, salt);
    }
}
`;

describe('bundled MLP, hashed input, --output-scale 12: input commitment + 1 packed output signal', () => {
  let receipt: Receipt;
  let dir: string;
  let model: string;
  let runtimeBytes: number;
  let salt: bigint;
  let values: bigint[];
  let elems: bigint[];
  const binding = (): KeyBinding => (receipt.verificationKey as { zkinfer: KeyBinding }).zkinfer;
  const clone = (): Receipt => structuredClone(receipt);

  beforeAll(async () => {
    const p = await provePipeline({ modelPath: path.join(ROOT, 'models/mnist-mlp/model.onnx'), input: path.join(ROOT, 'models/mnist-mlp/inputs/digit-3.json'), inputVisibility: 'hashed', outputScale: 12 });
    expect(p.verified.ok, p.verified.failed?.detail).toBe(true);
    expect(p.compiled.info.nPublic).toBe(2);
    receipt = p.receipt;
    dir = p.dir;
    const opening = p.proved.opening!.input!;
    salt = BigInt(opening.salt);
    values = opening.tensors.flatMap((t) => t.integers.map(BigInt));
    elems = packAll([values], binding().layout.inputs);
    expect(commitmentOf(binding().layout, 'input')!.width).toBe(5);
    expect(BigInt(receipt.publicSignals[1]!)).toBe(await poseidonChain(salt, elems, 5)); // circuit = TypeScript
    ({ address: model, runtimeBytes } = await deployModel({ dir: p.dir, chain, wallet }));
  });

  it(`verifyInference: true, measured ≤ 225,000 gas and ≤ the prediction`, async () => {
    const r = await verifyOnChain({ receipt, chain, address: model });
    expect(r.ok, r.reason).toBe(true);
    const data = new Interface(verifyInferenceAbi(2)).encodeFunctionData('verifyInference', [proofWords(receipt.proof), receipt.publicSignals.map(BigInt)]);
    // An explicit limit: verifyInference answers false (no revert) when starved, so an estimated limit could be too low.
    const rc = await waitMined(chain, await wallet.sendTransaction({ to: model, data, gasLimit: 1_000_000n }));
    const predicted = predictVerifyGas(2).gas;
    expect(Math.abs(runtimeBytes - predictedRuntimeBytes(2, true)) / runtimeBytes).toBeLessThan(0.05);
    console.log(`bundled MLP, hashed input, 10 outputs in 1 signal: verifyInference transaction ${rc.gasUsed} gas (predicted at most ${predicted}); contract ${runtimeBytes} bytes`);
    expect(Number(rc.gasUsed)).toBeLessThanOrEqual(225_000);
    expect(Number(rc.gasUsed)).toBeLessThanOrEqual(predicted);
    expect(Number(rc.gasUsed)).toBeGreaterThan(predicted - 3_000);
  });

  it('a tampered proof and each tampered public signal are refused, on chain and in Node', async () => {
    const t = clone();
    t.proof.pi_a[0] = (BigInt(t.proof.pi_a[0]!) + 1n).toString();
    expect((await verifyOnChain({ receipt: t, chain, address: model })).ok).toBe(false);
    expect((await verifyReceipt({ receipt: t })).ok).toBe(false);
    for (let i = 0; i < receipt.publicSignals.length; i++) {
      for (const delta of [1n, FIELD_P]) {
        const u = clone();
        u.publicSignals[i] = (BigInt(u.publicSignals[i]!) + delta).toString();
        expect((await verifyOnChain({ receipt: u, chain, address: model })).ok, `signal ${i} + ${delta}`).toBe(false);
        expect((await verifyReceipt({ receipt: u })).ok, `signal ${i} + ${delta}`).toBe(false);
      }
    }
  });

  it('packInputs in Solidity = packAll in TypeScript; out-of-range values are refused', async () => {
    const c = new Contract(model, ['function packInputs(int256[] values) view returns (uint256[])', 'function N_INPUT_ELEMENTS() view returns (uint256)'], chain.provider);
    expect(await c.N_INPUT_ELEMENTS!()).toBe(BigInt(elems.length));
    expect(((await c.packInputs!(values)) as bigint[]).map(BigInt)).toEqual(elems);
    const hi = BigInt(binding().layout.inputs[0]!.lo) + (1n << BigInt(binding().layout.inputs[0]!.bits));
    await expect(c.packInputs!([hi, ...values.slice(1)])).rejects.toThrow(); // ValueOutOfRange(0)
  });

  it('on-chain data: a contract holding the packed input accepts the proof; other data or salt is refused', async () => {
    const holder = await compileSolidity({ sources: { 'DataHolder.sol': HOLDER }, target: { file: 'DataHolder.sol', contract: 'DataHolder' } });
    const deploy = async (e: bigint[], s: bigint) => (await deployBytecode({ wallet, chain, contract: holder, args: [model, e, s] })).address;
    const good = await deploy(elems, salt);
    const otherData = await deploy([elems[0]! + 1n, ...elems.slice(1)], salt);
    const otherSalt = await deploy(elems, salt + 1n);
    const words = proofWords(receipt.proof);
    const sig = receipt.publicSignals.map(BigInt);
    const h = (a: string) => new Contract(a, ['function check(uint256[8] proof, uint256[2] publicSignals) view returns (bool)'], chain.provider);
    expect(await h(good).check!(words, sig)).toBe(true);
    expect(await h(otherData).check!(words, sig)).toBe(false);
    expect(await h(otherSalt).check!(words, sig)).toBe(false);
    const rc = await waitMined(chain, await wallet.sendTransaction({ to: good, data: h(good).interface.encodeFunctionData('check', [words, sig]), gasLimit: 5_000_000n }));
    console.log(`check() on ${elems.length} packed elements held on chain (commitment recomputed + proof): a transaction of ${rc.gasUsed} gas`);
    // Raw integers: packed by the contract, then committed.
    const m = new Contract(model, ['function verifyInferenceOnValues(uint256[8] proof, uint256[2] publicSignals, int256[] values, uint256 salt) view returns (bool)'], chain.provider);
    expect(await m.verifyInferenceOnValues!(words, sig, values, salt)).toBe(true);
    const changed = [...values];
    changed[400] = changed[400] === 0n ? 1n : 0n;
    expect(await m.verifyInferenceOnValues!(words, sig, changed, salt)).toBe(false);
  });

  it('the registry logs the commitment as the input reference', async () => {
    const registry = (await deployRegistry({ chain, wallet })).address;
    // The registry deploys its own copy with the commitment contract deployModel recorded in deployments.json.
    const { verifier } = await registerModel({ chain, wallet, registry, dir });
    const r = await submitReceipt({ chain, wallet, registry, verifier, receipt });
    expect(BigInt(r.event.inputRef)).toBe(BigInt(receipt.publicSignals[1]!));
    expect(r.event).toMatchObject({ verifier, modelId: `0x${modelIdOf(receipt.model)}`, prover: ZeroAddress, submitter: wallet.address });
    const c = new Contract(verifier, ['function COMMITMENT() view returns (address)'], chain.provider);
    expect(await c.COMMITMENT!()).toBe(readDeployments(dir)[chain.chainId.toString()]!.commitment);
  });
});
