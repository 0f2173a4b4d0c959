/**
 * Batches on the bundled MLP with hashed input and output: for K = 1, 8, 32 (or the K given), constraints,
 * prove seconds (witness + Groth16) and the gas of one verifying transaction on a real EVM (anvil), per
 * inference. Not part of npm test (minutes of proving); numbers for the README and the report.
 *
 *   node --import tsx scripts/batch-gas.ts [K…]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Interface, Wallet } from 'ethers';
import { compileBatch } from '../src/compose/batch.js';
import { setupKeys } from '../src/setup.js';
import { loadProver } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { connectChain, waitMined } from '../src/chain/evm.js';
import { deployModel, verifyInferenceAbi } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { DEV_KEYS, startLocalNode } from '../test/helpers/evm.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');
const DIGITS = ['digit-0', 'digit-3', 'digit-4', 'digit-8'].map((d) => path.join(ROOT, 'models', 'mnist-mlp', 'inputs', `${d}.json`));
const OUT = process.env.ZKINFER_DEMO_DIR ?? path.join(os.tmpdir(), 'zkinfer-batch-demo');

const ks = process.argv.slice(2).map(Number);
const node = await startLocalNode();
try {
  const chain = await connectChain({ rpc: node.url });
  const wallet = new Wallet(DEV_KEYS[0], chain.provider);
  const rows = ['K   constraints  public  prove s (witness + Groth16)  verify gas  gas/inference  prove s/inference'];
  const { readFileSync } = await import('node:fs');
  const digits = DIGITS.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { input: unknown }).input);
  for (const K of ks.length ? ks : [1, 8, 32]) {
    const dir = path.join(OUT, `mlp-batch${K}`);
    const info = await compileBatch({ modelPath: MODEL, outDir: dir, batch: K, inputVisibility: 'hashed', outputVisibility: 'hashed', onProgress: (m) => console.error(`  ${m}`) });
    await setupKeys({ dir, onProgress: (m) => console.error(`  ${m}`) });
    const input = path.join(dir, 'batch-input.json');
    writeFileSync(input, JSON.stringify({ input_data: Array.from({ length: K }, (_, k) => digits[k % digits.length]) }));
    const prover = await loadProver({ dir });
    const r = await prover.prove(input);
    const v = await verifyReceipt({ receipt: r.receipt, opening: r.opening });
    if (!v.ok) throw new Error(`K=${K}: receipt does not verify: ${v.failed!.name}: ${v.failed!.detail}`);
    const dep = await deployModel({ dir, chain, wallet });
    const n = r.receipt.publicSignals.length;
    const iface = new Interface(verifyInferenceAbi(n));
    const data = iface.encodeFunctionData('verifyInference', [proofWords(r.receipt.proof), r.receipt.publicSignals.map(BigInt)]);
    const [ok] = iface.decodeFunctionResult('verifyInference', await chain.provider.call({ to: dep.address, data }));
    if (!ok) throw new Error(`K=${K}: the contract rejects the proof`);
    const gas = Number((await waitMined(chain, await wallet.sendTransaction({ to: dep.address, data, gasLimit: 3_000_000n }))).gasUsed);
    const prove = r.seconds.witness + r.seconds.prove;
    rows.push(`${String(K).padEnd(4)}${String(info.constraints.total).padStart(11)}${String(n).padStart(8)}  ${prove.toFixed(2).padStart(8)} (${r.seconds.witness.toFixed(2)} + ${r.seconds.prove.toFixed(2)})${String(gas).padStart(17)}${String(Math.round(gas / K)).padStart(15)}${(prove / K).toFixed(2).padStart(19)}`);
    console.error(rows[rows.length - 1]);
  }
  console.log(rows.join('\n'));
} finally {
  await node.stop();
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
