/**
 * Hashed inputs from on-chain data, end to end on a real EVM: a circuit whose public signals are an input
 * commitment (circuits/commitment.circom, poseidon-chain/1) and an output — the layout of a hashed-input
 * model with packed outputs — is compiled by circom, proved by snarkjs, and checked by a contract that
 * holds the data and recomputes the commitment with circomlibjs's Poseidon contracts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { Contract, Interface, Wallet } from 'ethers';
import { tempDir } from './helpers/pipeline.js';
import { useLocalChain } from './helpers/evm.js';
import { CIRCUITS_DIR, COMPILED_FORMAT, PACKAGE_ROOT } from '../src/compile.js';
import { SETUP_FORMAT } from '../src/setup.js';
import { artifactPaths, writeJson } from '../src/artifacts/layout.js';
import { sha256 } from '../src/artifacts/hash.js';
import { compileCircuit } from '../src/toolchain/circom.js';
import { devSetup } from '../src/toolchain/devsetup.js';
import { calculateWtns } from '../src/toolchain/witness.js';
import { FIELD_P, modelIdOf, vkHash } from '../src/receipt.js';
import type { Receipt } from '../src/receipt.js';
import type { Chain } from '../src/chain/evm.js';
import { deployBytecode } from '../src/chain/evm.js';
import { deployCommitment, poseidonChainCommit } from '../src/chain/commitment.js';
import { deployModel, verifyInferenceAbi, verifyOnChain } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { compileSolidity } from '../src/chain/solc.js';
import { deployRegistry, registerModel, submitReceipt } from '../src/chain/registry.js';

const require = createRequire(import.meta.url);
const CIRCOMLIB = path.join(path.dirname(require.resolve('circomlib/package.json')), 'circuits');

const ctx = useLocalChain();
let chain: Chain;
let wallet: Wallet;
beforeAll(() => void ({ chain, wallet } = ctx));


const COMMIT_ABI = ['function commit(uint256[] values, uint256 salt) view returns (uint256)'];

describe('poseidon-chain/1 on chain', () => {
  it('ZkinferCommitment (circomlibjs Poseidon contracts) equals the TypeScript reference', async () => {
    const { address } = await deployCommitment({ chain, wallet });
    const c = new Contract(address, COMMIT_ABI, chain.provider);
    for (const m of [1, 7, 8, 20]) {
      const values = Array.from({ length: m }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n + 3n) % FIELD_P);
      const salt = 0x1234567890abcdefn * BigInt(m);
      expect(await c.commit!(values, salt), `m = ${m}`).toBe(await poseidonChainCommit(values, salt));
    }
    await expect(c.commit!([FIELD_P], 0n)).rejects.toThrow();
  });
});

/** A circuit with the public layout [input commitment, output]: y = x0 + 2·x1 − x2 over 10 private values. */
const DEMO = `pragma circom 2.1.0;
include "commitment.circom";
template Demo(m) {
    signal input x[m];
    signal input salt;
    signal output commitment;
    signal output y;
    component c = PoseidonChainCommit(m);
    c.values <== x;
    c.salt <== salt;
    commitment <== c.out;
    y <== x[0] + 2 * x[1] - x[2];
}
component main = Demo(10);
`;

const HOLDER = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
interface IModel {
    function verifyInferenceOnData(uint256[8] calldata proof, uint256[2] calldata publicSignals, uint256[] calldata data, uint256 salt) external view returns (bool);
}
/// A dApp that holds data on chain and accepts a proof of inference on exactly that data.
contract DataHolder {
    IModel public immutable model;
    uint256[] public data;
    constructor(IModel m, uint256[] memory d) { model = m; data = d; }
    function check(uint256[8] calldata proof, uint256[2] calldata publicSignals) external view returns (bool) {
        return model.verifyInferenceOnData(proof, publicSignals, data, 0);
    }
}
`;

describe('a proof against data held on chain (input commitment + 1 output: 2 public signals)', () => {
  const x = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n];
  let dir: string;
  let proof: snarkjs.Groth16Proof;
  let signals: string[];
  let model: string;
  let receipt: Receipt;

  beforeAll(async () => {
    dir = tempDir('zkinfer-commit-');
    const paths = artifactPaths(dir);
    writeFileSync(paths.source, DEMO);
    const c = await compileCircuit({ sourcePath: paths.source, outDir: dir, includeDirs: [CIRCUITS_DIR, CIRCOMLIB], projectRoot: PACKAGE_ROOT });
    const s = await devSetup({ r1csPath: paths.r1cs, zkeyPath: paths.zkey });
    writeJson(paths.vkey, s.vkey);
    const circuitHash = sha256(DEMO);
    const modelInfo = { file: 'demo.circom', name: 'demo', fileSha256: sha256(DEMO), quantizedSha256: sha256(DEMO) };
    // Artifacts as a hashed-input compile would write them; the layout is declared, not implied.
    writeJson(paths.compiled, {
      format: COMPILED_FORMAT, model: modelInfo, circuitHash, nPublic: 2,
      settings: { scale: 0, paramBits: 0, inputVisibility: 'hashed', paramVisibility: 'fixed', outputVisibility: 'public', optimize: 'O1' },
      inputs: [{ name: 'x', shape: [10], scale: 0 }], outputs: [{ name: 'y', shape: [1], scale: 0 }],
      constraints: { total: c.nonLinearConstraints + c.linearConstraints },
      publicLayout: { segments: [{ kind: 'commitment', name: 'x', offset: 0, count: 1 }, { kind: 'output', name: 'y', offset: 1, count: 1, scale: 0 }] },
    });
    writeJson(paths.setup, { format: SETUP_FORMAT, circuitHash, vkHash: vkHash(s.vkey), dev: true, ptau: { power: s.power, source: 'dev' }, seconds: s.seconds });
    const wtns = await calculateWtns({ wasmPath: paths.wasm, input: { x, salt: 0n } });
    ({ proof, publicSignals: signals } = await snarkjs.groth16.prove(paths.zkey, wtns));
    expect(BigInt(signals[0]!)).toBe(await poseidonChainCommit(x, 0n)); // circuit = TypeScript = contract
    expect(signals[1]).toBe(String(3n + 10n - 7n));
    model = (await deployModel({ dir, chain, wallet })).address;
    receipt = { model: modelInfo, vkHash: vkHash(s.vkey), proof, publicSignals: signals } as unknown as Receipt;
  });

  it('a contract holding the data accepts the proof; holding other data, it refuses', async () => {
    const holder = await compileSolidity({ sources: { 'DataHolder.sol': HOLDER }, target: { file: 'DataHolder.sol', contract: 'DataHolder' } });
    const good = (await deployBytecode({ wallet, chain, contract: holder, args: [model, x] })).address;
    const bad = (await deployBytecode({ wallet, chain, contract: holder, args: [model, [...x.slice(0, 9), 32n]] })).address;
    const words = proofWords(proof);
    const sig = signals.map(BigInt);
    const h = (a: string) => new Contract(a, ['function check(uint256[8] proof, uint256[2] publicSignals) view returns (bool)'], chain.provider);
    expect(await h(good).check!(words, sig)).toBe(true);
    expect(await h(bad).check!(words, sig)).toBe(false);
    const forged = [sig[0]!, sig[1]! + 1n];
    expect(await h(good).check!(words, forged)).toBe(false);
    console.log(`check() on 10 values held on chain (commitment recomputed + proof): ${await h(good).check!.estimateGas(words, sig)} gas`);
  });

  it('verifyInference with 2 public signals (commitment + output) stays under 225,000 gas', async () => {
    const r = await verifyOnChain({ receipt, chain, address: model });
    expect(r.ok, r.reason).toBe(true);
    const data = new Interface(verifyInferenceAbi(2)).encodeFunctionData('verifyInference', [proofWords(proof), signals.map(BigInt)]);
    const rc = (await (await wallet.sendTransaction({ to: model, data })).wait())!;
    console.log(`hashed-input layout (commitment + 1 output): verifyInference transaction ${rc.gasUsed} gas`);
    expect(Number(rc.gasUsed)).toBeLessThanOrEqual(225_000);
  });

  it('the registry logs the commitment as the input reference', async () => {
    const registry = (await deployRegistry({ chain, wallet })).address;
    await registerModel({ chain, wallet, registry, modelId: modelIdOf(receipt.model), verifier: model, vkHash: receipt.vkHash });
    const r = await submitReceipt({ chain, wallet, registry, receipt });
    expect(BigInt(r.event.inputRef)).toBe(BigInt(signals[0]!));
  });
});
