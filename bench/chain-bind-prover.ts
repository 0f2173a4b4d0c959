/**
 * What binding proofs to their prover costs on chain: the bundled MLP with hashed input and --output-scale 12
 * (the README's gas target), without and with --bind-prover, measured on an anvil node (cancun): the
 * verifyInference transaction, the registry's register (CREATE2 deployment of the verifier) and submit.
 *
 *   node --import tsx bench/chain-bind-prover.ts
 *
 * Prints one JSON line per variant.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, Wallet } from 'ethers';
import { DEV_KEYS, startLocalNode } from '../test/helpers/evm.js';
import { provePipeline, terminateCurve } from '../test/helpers/pipeline.js';
import { connectChain, waitMined } from '../src/chain/evm.js';
import { verifyInferenceAbi } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { deployRegistry, registerModel, submitReceipt } from '../src/chain/registry.js';
import { estimateVerifyGas } from '../src/chain/gas.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = await startLocalNode();
try {
  const chain = await connectChain({ rpc: node.url });
  const wallet = new Wallet(DEV_KEYS[0], chain.provider);
  const registry = (await deployRegistry({ chain, wallet })).address;
  for (const bindProver of [false, true]) {
    const p = await provePipeline({
      modelPath: path.join(ROOT, 'models/mnist-mlp/model.onnx'),
      input: path.join(ROOT, 'models/mnist-mlp/inputs/digit-3.json'),
      inputVisibility: 'hashed',
      outputScale: 12,
      bindProver,
      ...(bindProver ? { prover: wallet.address } : {}),
    });
    if (!p.verified.ok) throw new Error(`not verified: ${p.verified.failed?.detail}`);
    const reg = await registerModel({ chain, wallet, registry, dir: p.dir });
    const n = p.compiled.info.nPublic;
    const data = new Interface(verifyInferenceAbi(n)).encodeFunctionData('verifyInference', [proofWords(p.receipt.proof), p.receipt.publicSignals.map(BigInt)]);
    const rc = await waitMined(chain, await wallet.sendTransaction({ to: reg.verifier, data, gasLimit: 1_000_000n }));
    const s = await submitReceipt({ chain, wallet, registry, verifier: reg.verifier, receipt: p.receipt });
    const est = estimateVerifyGas(n);
    console.log(JSON.stringify({ bindProver, nPublic: n, constraints: p.compiled.info.constraints.total, verifyGas: rc.gasUsed.toString(), submitGas: s.gasUsed.toString(), registerGas: reg.gasUsed?.toString(), prover: s.event.prover, predicted: { typical: est.typical, worst: est.total } }));
  }
} finally {
  await node.stop();
  await terminateCurve();
}
