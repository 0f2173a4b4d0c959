/** `zkinfer registry deploy|register|submit|events`: the per-chain registry of models and verified inferences. */
import type { Command } from 'commander';
import { connectChain, loadSigner } from '../../chain/evm.js';
import { deployRegistry, queryInferences, registerModel, submitReceipt } from '../../chain/registry.js';
import { readCompiled, readSetup } from '../../setup.js';
import { modelIdOf } from '../../receipt.js';
import type { Receipt } from '../../receipt.js';
import { verifyReceipt } from '../../verify/verify.js';
import { ReceiptFormatError } from '../../errors.js';
import { emit, log, say } from '../output.js';
import { loadReceipt } from '../io.js';
import { deployedAddress, keyOption, parseAddress, rpcOption } from './chain-options.js';
import type { ChainOpts } from './chain-options.js';

const registryOption = (c: Command): Command => c.requiredOption('--registry <addr>', 'the registry contract (from `zkinfer registry deploy`)', parseAddress('--registry'));

const str = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

export function registerRegistry(program: Command): void {
  const reg = program.command('registry').description('the on-chain registry: model id → verifier, and an InferenceVerified log per verified receipt');

  keyOption(rpcOption(reg.command('deploy').description('deploy a registry contract (once per chain)'))).action(async (o: ChainOpts) => {
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const d = await deployRegistry({ chain, wallet });
    say(`registry    ${d.address} on chain ${chain.chainId} (deployment ${d.gasUsed} gas, tx ${d.txHash})`);
    emit({ ...str({ ...d }), chainId: chain.chainId.toString() });
  });

  registryOption(
    keyOption(
      rpcOption(
        reg
          .command('register')
          .description("register a model's deployed verifier; a model id registers once")
          .argument('<dir>', 'artifact directory (after `zkinfer deploy`)')
          .option('--verifier <addr>', 'the model contract (default: from DIR/deployments.json)', parseAddress('--verifier'))
          .option('--uri <uri>', 'metadata URI (model card, where to get the model)', ''),
      ),
    ),
  ).action(async (dir: string, o: ChainOpts & { registry: string; verifier?: string; uri: string }) => {
    const compiled = readCompiled(dir);
    const setup = readSetup(dir, compiled);
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const verifier = o.verifier ?? deployedAddress(dir, chain);
    const modelId = modelIdOf(compiled.model);
    const r = await registerModel({ chain, wallet, registry: o.registry, modelId, verifier, vkHash: setup.vkHash, metadataURI: o.uri });
    say(`registered  model 0x${modelId} → ${verifier} (${r.gasUsed} gas, tx ${r.txHash})`);
    emit({ modelId: `0x${modelId}`, verifier, vkHash: `0x${setup.vkHash}`, metadataURI: o.uri, ...str({ ...r }) });
  });

  registryOption(
    keyOption(
      rpcOption(
        reg
          .command('submit')
          .description('submit a receipt: the registry verifies it through the registered verifier and logs InferenceVerified')
          .argument('<receipt>', 'receipt JSON file'),
      ),
    ),
  ).action(async (file: string, o: ChainOpts & { registry: string }) => {
    const receipt = loadReceipt(file);
    const v = await verifyReceipt({ receipt });
    if (!v.checks[0]!.ok) throw new ReceiptFormatError(`${file}: ${v.checks[0]!.detail}`);
    if (!v.ok) log(`submit: warning: the receipt does not verify in Node (${v.failed!.name}); the registry will refuse it`);
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const r = await submitReceipt({ chain, wallet, registry: o.registry, receipt: receipt as Receipt });
    say(`submitted   tx ${r.txHash} (${r.gasUsed} gas), block ${r.blockNumber}`);
    say(`event       InferenceVerified(model ${r.event.modelId}, input ${r.event.inputRef}, outputs ${r.event.outputsHash}, prover ${r.event.prover})`);
    emit({ ...str({ ...r, event: undefined }), event: r.event });
  });

  rpcOption(
    registryOption(
      reg
        .command('events')
        .description('list InferenceVerified logs: who proved what with which model')
        .option('--model <id>', 'only this model id (hex)')
        .option('--prover <addr>', 'only this prover', parseAddress('--prover'))
        .option('--input <ref>', 'only this input reference (commitment or keccak256 of the public inputs)')
        .option('--from-block <n>', 'first block to search', (s) => Number(s), 0),
    ),
  ).action(async (o: { rpc: string; registry: string; model?: string; prover?: string; input?: string; fromBlock: number }) => {
    const chain = await connectChain({ rpc: o.rpc });
    const events = await queryInferences({ chain, registry: o.registry, modelId: o.model, prover: o.prover, inputRef: o.input, fromBlock: o.fromBlock });
    for (const e of events) say(`block ${e.blockNumber}  model ${e.modelId}  prover ${e.prover}  input ${e.inputRef}  outputs ${e.outputsHash}`);
    say(`${events.length} InferenceVerified log${events.length === 1 ? '' : 's'}`);
    emit({ events });
  });
}
