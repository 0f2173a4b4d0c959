/**
 * Batches on the bundled MLP with hashed input and output: for K = 1, 8, 32 (or the K given), measured
 * constraints, witness wasm size, compile / setup / prove seconds, and gas on a real EVM (anvil): one
 * verifyInference transaction, and the registry's submitBatch (one InferenceVerified per inference) — per
 * inference; beside each, what `zkinfer estimate --batch K` predicted (estimateBatch) and the ratio.
 * Not part of npm test (minutes of proving): the numbers go in bench/snapshot and the README.
 *
 *   nice -n 19 node --import tsx scripts/batch-gas.ts [K…]
 *
 * Each receipt is kept in its directory (receipt.json). BATCH_GAS_REUSE=1 takes the directories as they are
 * (no compile or setup: their caches are keyed by the zkinfer build, so any source change would redo them)
 * and a kept receipt instead of proving (prove seconds then read NaN): the gas of changed contracts, quickly.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Interface, Wallet } from 'ethers';
import { compileBatch } from '../src/compose/batch.js';
import { estimateBatch } from '../src/compose/batch-estimate.js';
import { readCompiled, setupKeys } from '../src/setup.js';
import { loadProver } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { connectChain, waitMined } from '../src/chain/evm.js';
import { deployModel, verifyInferenceAbi } from '../src/chain/deploy.js';
import { deployRegistry, registerModel, submitReceipt } from '../src/chain/registry.js';
import { proofWords } from '../src/chain/model-contract.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import type { Opening, Receipt } from '../src/receipt.js';
import { DEV_KEYS, startLocalNode } from '../test/helpers/evm.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');
const DIGITS = ['digit-0', 'digit-3', 'digit-4', 'digit-8'].map((d) => path.join(ROOT, 'models', 'mnist-mlp', 'inputs', `${d}.json`));
const OUT = process.env.ZKINFER_DEMO_DIR ?? path.join(os.tmpdir(), 'zkinfer-batch-demo');
const VIS = { inputVisibility: 'hashed', outputVisibility: 'hashed' } as const;

const ks = process.argv.slice(2).map(Number);
const log = (m: string) => console.error(`  ${m}`);
const ratio = (measured: number, predicted: number) => `${((predicted / measured - 1) * 100).toFixed(0).padStart(4)}%`;
const node = await startLocalNode();
try {
  const chain = await connectChain({ rpc: node.url });
  const wallet = new Wallet(DEV_KEYS[0], chain.provider);
  const registry = (await deployRegistry({ chain, wallet })).address;
  const digits = DIGITS.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { input: unknown }).input);
  const rows = [
    'measured (load ' + os.loadavg()[0]!.toFixed(1) + ' on ' + os.availableParallelism() + ' cores: a shared machine, seconds inflated)',
    'K   constraints  wasm MB  compile s  setup s  prove s (witness + Groth16)  verify gas  per inf.  submitBatch gas  per inf.',
  ];
  const est = ['estimate --batch K (predicted, error vs measured)', 'K   constraints        prove s idle / at load            verify gas          submitBatch gas'];
  for (const K of ks.length ? ks : [1, 8, 32]) {
    const e = estimateBatch({ modelPath: MODEL, batch: K, ...VIS });
    const dir = path.join(OUT, `mlp-batch${K}`);
    const reuse = Boolean(process.env.BATCH_GAS_REUSE) && existsSync(artifactPaths(dir).zkey);
    const info = reuse ? readCompiled(dir) : await compileBatch({ modelPath: MODEL, outDir: dir, batch: K, ...VIS, onProgress: log });
    const t0 = performance.now();
    if (!reuse) await setupKeys({ dir, onProgress: log });
    const setupSeconds = (performance.now() - t0) / 1000;
    const input = path.join(dir, 'batch-input.json');
    writeFileSync(input, JSON.stringify({ input_data: Array.from({ length: K }, (_, k) => digits[k % digits.length]) }));
    const kept = path.join(dir, 'receipt.json');
    const r = reuse && existsSync(kept)
      ? { ...(JSON.parse(readFileSync(kept, 'utf8')) as { receipt: Receipt; opening: Opening }), seconds: { witness: NaN, prove: NaN } }
      : await (await loadProver({ dir })).prove(input);
    writeFileSync(kept, JSON.stringify({ receipt: r.receipt, opening: r.opening }));
    const v = await verifyReceipt({ receipt: r.receipt, opening: r.opening });
    if (!v.ok) throw new Error(`K=${K}: receipt does not verify: ${v.failed!.name}: ${v.failed!.detail}`);
    const dep = await deployModel({ dir, chain, wallet });
    const n = r.receipt.publicSignals.length;
    const iface = new Interface(verifyInferenceAbi(n));
    const data = iface.encodeFunctionData('verifyInference', [proofWords(r.receipt.proof), r.receipt.publicSignals.map(BigInt)]);
    const [ok] = iface.decodeFunctionResult('verifyInference', await chain.provider.call({ to: dep.address, data }));
    if (!ok) throw new Error(`K=${K}: the contract rejects the proof`);
    const gas = Number((await waitMined(chain, await wallet.sendTransaction({ to: dep.address, data, gasLimit: 3_000_000n }))).gasUsed);
    const { verifier } = await registerModel({ chain, wallet, registry, dir });
    const sub = await submitReceipt({ chain, wallet, registry, verifier, receipt: r.receipt });
    if (sub.events.length !== K) throw new Error(`K=${K}: submitBatch logged ${sub.events.length} InferenceVerified`);
    const submitGas = Number(sub.gasUsed);
    const prove = r.seconds.witness + r.seconds.prove;
    const wasmMB = statSync(artifactPaths(dir).wasm).size / 2 ** 20;
    rows.push(
      `${String(K).padEnd(4)}${String(info.constraints.total).padStart(11)}${wasmMB.toFixed(1).padStart(9)}${info.compiler.seconds.toFixed(0).padStart(11)}${setupSeconds.toFixed(0).padStart(9)}  ${prove.toFixed(2).padStart(8)} (${r.seconds.witness.toFixed(2)} + ${r.seconds.prove.toFixed(2)})`.padEnd(72) +
        `${String(gas).padStart(10)}${String(Math.round(gas / K)).padStart(10)}${String(submitGas).padStart(17)}${String(Math.round(submitGas / K)).padStart(10)}`,
    );
    const p = e.proveSeconds !== undefined ? `${(e.witnessSeconds! + e.proveSeconds).toFixed(1)} / ${((e.witnessSeconds! + e.proveSeconds) * e.proveSecondsLoaded! / e.proveSeconds).toFixed(1)} (${ratio(prove, (e.witnessSeconds! + e.proveSeconds) * e.proveSecondsLoaded! / e.proveSeconds)})` : 'no cost model';
    est.push(`${String(K).padEnd(4)}${String(e.constraints).padStart(11)} (${ratio(info.constraints.total, e.constraints)})  ${p.padEnd(28)}${String(e.verifyGas).padStart(10)} (${ratio(gas, e.verifyGas)})${String(e.submitGas).padStart(10)} (${ratio(submitGas, e.submitGas)})`);
    console.error(rows[rows.length - 1]);
    console.error(est[est.length - 1]);
  }
  console.log([...rows, '', ...est].join('\n'));
} finally {
  await node.stop();
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
