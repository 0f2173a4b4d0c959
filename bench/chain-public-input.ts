/**
 * What the bundled MLP costs on chain with its 784 pixels public: packed 31 per signal, 26 input signals +
 * 2 output signals; measured on an anvil node (the size limit off, in case a model is over EIP-170).
 *
 *   node --import tsx bench/chain-public-input.ts
 *
 * Prints one JSON line: contract size, deployment gas, verifyInference gas, and the prediction.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, Wallet } from 'ethers';
import { DEV_KEYS, startLocalNode } from '../test/helpers/evm.js';
import { provePipeline, terminateCurve } from '../test/helpers/pipeline.js';
import { connectChain, deployBytecode, waitMined } from '../src/chain/evm.js';
import { buildModelContract, verifyInferenceAbi } from '../src/chain/deploy.js';
import { proofWords } from '../src/chain/model-contract.js';
import { estimateVerifyGas } from '../src/chain/gas.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = await startLocalNode({ unlimitedContractSize: true });
try {
  const chain = await connectChain({ rpc: node.url });
  const wallet = new Wallet(DEV_KEYS[0], chain.provider);
  const p = await provePipeline({ modelPath: path.join(ROOT, 'models/mnist-mlp/model.onnx'), input: path.join(ROOT, 'models/mnist-mlp/input.json') });
  const built = await buildModelContract({ dir: p.dir, checkSize: false });
  const d = await deployBytecode({ wallet, chain, contract: built.contract });
  const n = p.compiled.info.nPublic;
  const iface = new Interface(verifyInferenceAbi(n));
  const data = iface.encodeFunctionData('verifyInference', [proofWords(p.receipt.proof), p.receipt.publicSignals.map(BigInt)]);
  const [ok] = iface.decodeFunctionResult('verifyInference', await chain.provider.call({ to: d.address, data }));
  const rc = await waitMined(chain, await wallet.sendTransaction({ to: d.address, data, gasLimit: 10_000_000n }));
  const est = estimateVerifyGas(n);
  console.log(JSON.stringify({ nPublic: n, verified: ok, runtimeBytes: built.contract.runtimeBytes, deployGas: d.gasUsed.toString(), verifyGas: rc.gasUsed.toString(), predicted: { typical: est.typical, worst: est.total } }));
} finally {
  await node.stop();
  await terminateCurve();
}
