/**
 * Batches on a real EVM (anvil): one submitBatch transaction verifies a proof of 3 inferences and the
 * registry logs one InferenceVerified per inference, in order, with the references the receipt lists (and
 * the contract's own verifyInference, what `verify --rpc` calls, accepts it);
 * tampered public signals (two inferences' outputs swapped, one dropped) are refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Contract, Interface } from 'ethers';
import type { Wallet } from 'ethers';
import { proveBatch } from './helpers/batch.js';
import { useLocalChain } from './helpers/evm.js';
import type { Chain } from '../src/chain/evm.js';
import { REGISTRY_ABI, deployRegistry, queryInferences, registerModel, submitReceipt } from '../src/chain/registry.js';
import { proofWords } from '../src/chain/model-contract.js';
import { modelIdOf } from '../src/receipt.js';
import { verifyOnChain } from '../src/chain/deploy.js';
import { estimateBatch } from '../src/compose/batch-estimate.js';
import path from 'node:path';

const ctx = useLocalChain();
let chain: Chain;
let wallet: Wallet;
let registry: string;
beforeAll(async () => {
  ({ chain, wallet } = ctx);
  registry = (await deployRegistry({ chain, wallet })).address;
});

describe('batches on chain', () => {
  for (const vis of ['hashed', 'public'] as const) {
    it(`one transaction, one InferenceVerified per inference (input and output ${vis}); tampered signals refused`, async () => {
      const { dir, receipt } = await proveBatch(vis);
      const { verifier } = await registerModel({ chain, wallet, registry, dir });
      const direct = await verifyOnChain({ receipt, chain, address: verifier }); // `zkinfer verify --rpc`: the contract's verifyInference
      expect(direct.ok, direct.reason).toBe(true);
      const r = await submitReceipt({ chain, wallet, registry, verifier, receipt });
      // submit() (one log) refuses a batch: the contract's verifySignals reverts UseSubmitBatch(3)
      const plain = new Contract(registry, REGISTRY_ABI, wallet);
      const refused = await plain.submit!.staticCall(verifier, proofWords(receipt.proof), receipt.publicSignals.map(BigInt)).catch((e: { data?: string }) => e);
      expect((refused as { data?: string }).data).toBe(new Interface(['error UseSubmitBatch(uint256 batchSize)']).encodeErrorResult('UseSubmitBatch', [3]));
      const listed = receipt.batch!.inferences;
      expect(r.events.map((e) => [e.inputRef, e.outputsHash])).toEqual(listed.map((i) => [i.inputRef, i.outputsHash]));
      expect(r.events.every((e) => e.modelId === `0x${modelIdOf(receipt.model)}` && e.verifier === verifier)).toBe(true);
      if (vis === 'public') expect(new Set(r.events.map((e) => e.inputRef)).size).toBe(3);
      // anyone holding inference 1's reference finds its own log
      expect((await queryInferences({ chain, registry, inputRef: listed[1]!.inputRef })).map((e) => e.outputsHash)).toEqual([listed[1]!.outputsHash]);
      const predicted = estimateBatch({ modelPath: path.join(path.dirname(dir), 'tiny-batch.onnx'), batch: 3, inputVisibility: vis, outputVisibility: vis }).submitGas;
      console.log(`batch of 3 (${vis}): submitBatch used ${r.gasUsed} gas (${Math.round(Number(r.gasUsed) / 3)} per inference), estimate --batch 3 predicted ${predicted}`);
      if (vis === 'hashed') expect(Math.abs(predicted / Number(r.gasUsed) - 1)).toBeLessThan(0.02);
      const swapped = structuredClone(receipt);
      const s = swapped.publicSignals;
      if (vis === 'hashed') s[0] = s[1]!; // the input commitment replaced
      else [s[s.length - 1], s[s.length - 2]] = [s[s.length - 2]!, s[s.length - 1]!]; // two inferences' packed outputs swapped
      await expect(submitReceipt({ chain, wallet, registry, verifier, receipt: swapped })).rejects.toThrow(/InvalidProof/);
      const dropped = structuredClone(receipt);
      dropped.publicSignals.pop();
      await expect(submitReceipt({ chain, wallet, registry, verifier, receipt: dropped })).rejects.toThrow(/InvalidProof/);
    }, 180_000);
  }
});
