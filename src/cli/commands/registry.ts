/** `zkinfer registry deploy|register|address|submit|events`: the per-chain registry of verifiers and verified inferences. */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { readJson } from '../../artifacts/layout.js';
import type { Receipt } from '../../receipt.js';
import type { SegmentedReceipt } from '../../compose/receipt.js';
import { InputError, ReceiptFormatError } from '../../errors.js';
import { emit, log, say } from '../output.js';
import { loadReceipt } from '../io.js';
import { keyOption, parseAddress, rpcOption } from './chain-options.js';
import type { ChainOpts } from './chain-options.js';

// Loaded when one of these commands runs (not to define them): see loadCore in ../main.ts.
let connectChain!: typeof import('../../chain/evm.js').connectChain;
let loadSigner!: typeof import('../../chain/evm.js').loadSigner;
let deployRegistry!: typeof import('../../chain/registry.js').deployRegistry;
let queryInferences!: typeof import('../../chain/registry.js').queryInferences;
let registerModel!: typeof import('../../chain/registry.js').registerModel;
let registeredModel!: typeof import('../../chain/registry.js').registeredModel;
let registryEntries!: typeof import('../../chain/registry.js').registryEntries;
let submitReceipt!: typeof import('../../chain/registry.js').submitReceipt;
let trustedVerifier!: typeof import('../../chain/registry.js').trustedVerifier;
let verifierFromKey!: typeof import('../../chain/registry.js').verifierFromKey;
let verifierFromSegmentKeys!: typeof import('../../chain/registry.js').verifierFromSegmentKeys;
let verifySegmentedReceipt!: typeof import('../../verify/segmented.js').verifySegmentedReceipt;
let isSegmentedReceipt!: typeof import('../../verify/segmented.js').isSegmentedReceipt;
let modelIdOf!: typeof import('../../receipt.js').modelIdOf;
let verifyReceipt!: typeof import('../../verify/verify.js').verifyReceipt;
async function load(): Promise<void> {
  ({ connectChain, loadSigner } = await import('../../chain/evm.js'));
  ({ deployRegistry, queryInferences, registerModel, registeredModel, registryEntries, submitReceipt, trustedVerifier, verifierFromKey, verifierFromSegmentKeys } = await import('../../chain/registry.js'));
  ({ verifySegmentedReceipt, isSegmentedReceipt } = await import('../../verify/segmented.js'));
  ({ modelIdOf } = await import('../../receipt.js'));
  ({ verifyReceipt } = await import('../../verify/verify.js'));
}

const registryOption = (c: Command): Command => c.requiredOption('--registry <addr>', 'the registry contract (from `zkinfer registry deploy`)', parseAddress('--registry'));

const str = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

export function registerRegistry(program: Command): void {
  const reg = program.command('registry').description('the on-chain registry: verifiers it deployed from their keys (CREATE2), and an InferenceVerified log per verified receipt');

  keyOption(rpcOption(reg.command('deploy').description('deploy a registry contract (once per chain)'))).action(async (o: ChainOpts) => {
    await load();
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const d = await deployRegistry({ chain, wallet });
    say(`registry    ${d.address} on chain ${chain.chainId} (deployment ${d.gasUsed} gas, tx ${d.txHash})`);
    emit({ ...str({ ...d }), chainId: chain.chainId.toString() });
  });

  const commitmentOption = (c: Command): Command => c.option('--commitment <addr>', 'hashed inputs: the ZkinferCommitment contract the verifier takes (default: from DIR/deployments.json, else a new one)', parseAddress('--commitment'));

  registryOption(
    keyOption(
      rpcOption(
        commitmentOption(
          reg
            .command('register')
            .description("register a model: the registry deploys its verifier (generated from DIR's keys) with CREATE2, at an address the bytecode determines")
            .argument('<dir>', 'artifact directory (after `zkinfer setup`)')
            .option('--uri <uri>', 'metadata URI (model card, where to get the model)', ''),
        ),
      ),
    ),
  ).action(async (dir: string, o: ChainOpts & { registry: string; commitment?: string; uri: string }) => {
    await load();
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const r = await registerModel({ chain, wallet, registry: o.registry, dir, commitment: o.commitment, metadataURI: o.uri });
    say(r.already ? `registered  already: model ${r.modelId} → ${r.verifier} (the same bytecode, so the same verifier)` : `registered  model ${r.modelId} → ${r.verifier} (${r.gasUsed} gas, tx ${r.txHash})`);
    emit({ ...str({ ...r }), metadataURI: o.uri });
  });

  rpcOption(
    registryOption(
      commitmentOption(
        reg
          .command('address')
          .description("the verifier address a key derives at a registry, and its entry: trust only this entry for this key")
          .argument('<dir|key.json|receipt.json>', "an artifact directory you trust, or a verification key (a receipt's embedded one) whose hash you trust"),
      ),
    ),
  ).action(async (target: string, o: { rpc: string; registry: string; commitment?: string }) => {
    await load();
    const chain = await connectChain({ rpc: o.rpc });
    const keyFile = target.endsWith('.json') && statSync(target, { throwIfNoEntry: false })?.isFile();
    const json = keyFile ? (readJson(target, 'verification key or receipt') as { verificationKey?: Record<string, unknown> }) : undefined;
    const t = !json
      ? await trustedVerifier({ dir: target, chain, registry: o.registry, commitment: o.commitment })
      : isSegmentedReceipt(json)
        ? await verifierFromSegmentKeys({ registry: o.registry, receipt: json as unknown as SegmentedReceipt })
        : await verifierFromKey({ registry: o.registry, vk: json.verificationKey ?? json, commitment: o.commitment });
    if (json) log(`address: derived from the key in ${target} (hash 0x${t.vkHash}): trust it only if this is a key hash you trust`);
    const entry = await registeredModel({ chain, registry: o.registry, verifier: t.verifier });
    say(`verifier    ${t.verifier} (${entry ? `registered by ${entry.registrant}` : 'not registered'}) for model 0x${t.modelId}, key 0x${t.vkHash}`);
    emit({ verifier: t.verifier, modelId: `0x${t.modelId}`, vkHash: `0x${t.vkHash}`, registered: !!entry, entry: entry ?? null, commitment: o.commitment ?? ('commitment' in t ? t.commitment : undefined) ?? null });
  });

  registryOption(
    keyOption(
      rpcOption(
        commitmentOption(
          reg
            .command('submit')
            .description('submit a receipt (single, batch or segmented): the registry verifies it through a registered verifier and logs InferenceVerified')
            .argument('<receipt>', 'receipt JSON file')
            .option('--dir <dir>', 'the artifacts: submit through the verifier their keys derive')
            .option('--verifier <addr>', 'the registered verifier (default: --dir, else the one entry declaring the receipt\'s model and key)', parseAddress('--verifier')),
        ),
      ),
    ),
  ).action(async (file: string, o: ChainOpts & { registry: string; dir?: string; verifier?: string; commitment?: string }) => {
    await load();
    const receipt = loadReceipt(file);
    const segmented = isSegmentedReceipt(receipt); // K segment proofs and their links: submitSegments
    const v = segmented ? await verifySegmentedReceipt({ receipt }) : await verifyReceipt({ receipt });
    if (!v.checks[0]!.ok) throw new ReceiptFormatError(`${file}: ${v.checks[0]!.detail}`);
    if (!v.ok) log(`submit: warning: the receipt does not verify in Node (${v.failed!.name}); the registry will refuse it`);
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    const r0 = receipt as Receipt | SegmentedReceipt;
    const keyHash = segmented ? (r0 as SegmentedReceipt).segmentKeysHash : (r0 as Receipt).vkHash;
    let verifier = o.verifier ?? (o.dir ? (await trustedVerifier({ dir: o.dir, chain, registry: o.registry, commitment: o.commitment })).verifier : undefined);
    if (!verifier) {
      const hex = (h: string) => `0x${h.replace(/^0x/, '').toLowerCase()}`;
      const entries = (await registryEntries({ chain, registry: o.registry, modelId: modelIdOf(r0.model) })).filter((e) => e.vkHash.toLowerCase() === hex(keyHash));
      if (entries.length !== 1) throw new InputError(`${file}: ${entries.length} registry entries declare this receipt's model and key${entries.length ? ` (${entries.map((e) => e.verifier).join(', ')})` : ''}`, { hint: 'pass --dir DIR (the artifacts whose keys derive the verifier) or --verifier ADDR' });
      verifier = entries[0]!.verifier;
    }
    const r = await submitReceipt({ chain, wallet, registry: o.registry, verifier, receipt: r0 });
    say(`submitted   tx ${r.txHash} (${r.gasUsed} gas), block ${r.blockNumber}`);
    for (const e of r.events) say(`event       InferenceVerified(verifier ${e.verifier}, input ${e.inputRef}, prover ${e.prover}, model ${e.modelId}, outputs ${e.outputsHash}, submitter ${e.submitter})`);
    emit({ ...str({ ...r, event: undefined, events: undefined }), event: r.event, ...(r.events.length > 1 ? { events: r.events } : {}) }); // a batch: one event per inference
  });

  rpcOption(
    registryOption(
      commitmentOption(
        reg
          .command('events')
          .description('list InferenceVerified logs: who proved what with which verifier')
          .option('--dir <dir>', "only the verifier these artifacts' keys derive (the entry to trust)")
          .option('--verifier <addr>', 'only this verifier', parseAddress('--verifier'))
          .option('--model <id>', 'only verifiers declaring this model id (discovery: anyone can register code declaring any id)')
          .option('--prover <addr>', 'only this prover', parseAddress('--prover'))
          .option('--input <ref>', 'only this input reference (commitment or keccak256 of the public inputs)')
          .option('--from-block <n>', 'first block to search', (s) => Number(s), 0),
      ),
    ),
  ).action(async (o: { rpc: string; registry: string; dir?: string; verifier?: string; model?: string; commitment?: string; prover?: string; input?: string; fromBlock: number }) => {
    await load();
    const chain = await connectChain({ rpc: o.rpc });
    let verifier: string | string[] | undefined = o.verifier ?? (o.dir ? (await trustedVerifier({ dir: o.dir, chain, registry: o.registry, commitment: o.commitment })).verifier : undefined);
    if (!verifier && o.model) {
      const entries = await registryEntries({ chain, registry: o.registry, modelId: o.model, fromBlock: o.fromBlock });
      if (entries.length > 1) log(`events: ${entries.length} verifiers declare model ${o.model} (${entries.map((e) => e.verifier).join(', ')}); trust the one your key derives (--dir)`);
      verifier = entries.map((e) => e.verifier);
    }
    const events = Array.isArray(verifier) && verifier.length === 0 ? [] : await queryInferences({ chain, registry: o.registry, verifier, prover: o.prover, inputRef: o.input, fromBlock: o.fromBlock });
    for (const e of events) say(`block ${e.blockNumber}  verifier ${e.verifier}  prover ${e.prover}  submitter ${e.submitter}  input ${e.inputRef}  outputs ${e.outputsHash}`);
    say(`${events.length} InferenceVerified log${events.length === 1 ? '' : 's'}`);
    emit({ events });
  });
}
