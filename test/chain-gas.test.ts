/**
 * Verification gas on a real EVM for 1, 2, 10 and 100 public signals (synthetic linear models, private input,
 * as many outputs as pack into n signals), against the prediction from the signal count alone (src/chain/gas.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Interface, Wallet } from 'ethers';
import { provePipeline, tempDir } from './helpers/pipeline.js';
import { useLocalChain } from './helpers/evm.js';
import { linearModel } from './helpers/synthetic.js';
import { quantizeModel } from '../src/compile.js';
import type { Chain } from '../src/chain/evm.js';
import { waitMined } from '../src/chain/evm.js';
import { deployModel, verifyInferenceAbi } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { GAS, calldataGas, estimateVerifyGas } from '../src/chain/gas.js';
import { predictedRuntimeBytes } from '../src/cli/commands/estimate-gas.js';

const predictedExecOf = (n: number): number => GAS.base + n * GAS.perSignal;

const ctx = useLocalChain();
let chain: Chain;
let wallet: Wallet;
beforeAll(() => void ({ chain, wallet } = ctx));


describe('verification gas: measured vs predicted', () => {
  const rows: string[] = [];
  afterAll(() => console.log(`size     n    measured  predicted(worst)  exec  predicted exec\n${rows.join('\n')}`));

  // 2 signals is the layout of a hashed-input model with packed outputs: input commitment + packed outputs.
  for (const n of [1, 2, 10, 100]) {
    it(`${n} public signal${n > 1 ? 's' : ''}`, async () => {
      const work = tempDir('zkinfer-gas-');
      // Outputs are packed ⌊252/bits⌋ per signal: the most outputs that still make n signals.
      const signalsOf = (m: number) => quantizeModel({ modelPath: linearModel(work, m).model, inputVisibility: 'private', scale: 8 }, new Uint8Array(readFileSync(linearModel(work, m).model)), []).layout.signals.length;
      let m = n * Math.floor(252 / 20);
      while (signalsOf(m) > n) m--;
      const { model, input } = linearModel(work, m);
      const p = await provePipeline({ modelPath: model, input, inputVisibility: 'private', scale: 8 });
      expect(p.compiled.info.nPublic).toBe(n);
      const dep = await deployModel({ dir: p.dir, chain, wallet });
      const iface = new Interface(verifyInferenceAbi(n));
      const words = proofWords(p.receipt.proof);
      const signals = p.receipt.publicSignals.map(BigInt);
      const data = iface.encodeFunctionData('verifyInference', [words, signals]);
      const [ok] = iface.decodeFunctionResult('verifyInference', await chain.provider.call({ to: dep.address, data }));
      expect(ok).toBe(true);
      // An explicit limit: verifyInference answers false (no revert) when starved, so an estimated limit could be too low.
      const tx = await wallet.sendTransaction({ to: dep.address, data, gasLimit: 2_000_000n });
      const rc = await waitMined(chain, tx);
      const measured = Number(rc.gasUsed);
      // The same calldata sent to an account without code: intrinsic + calldata gas, as charged.
      const bare = Number((await waitMined(chain, await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000dEaD', data, gasLimit: 2_000_000n }))).gasUsed);
      expect(bare).toBe(GAS.intrinsic + calldataGas([...words, ...signals]));
      const exec = measured - bare;
      const est = estimateVerifyGas(n);
      rows.push(`${String(dep.runtimeBytes).padStart(6)} B  ${String(n).padEnd(4)} (${m} outputs)${String(measured).padStart(9)}${String(est.total).padStart(17)}${String(exec).padStart(9)}${String(predictedExecOf(n)).padStart(15)}`);
      // The worst-case prediction is an upper bound, and the execution part is predicted within 0.5%.
      expect(measured).toBeLessThanOrEqual(est.total);
      if (n <= 2) expect(measured).toBeLessThanOrEqual(225_000); // the target for hashed input + ≤ 10 packed outputs
      const predictedExec = est.breakdown.base + est.breakdown.perSignal;
      expect(Math.abs(exec - predictedExec) / predictedExec).toBeLessThan(0.005);
      expect(Math.abs(dep.runtimeBytes - predictedRuntimeBytes(n)) / dep.runtimeBytes).toBeLessThan(0.1);
    });
  }
});
