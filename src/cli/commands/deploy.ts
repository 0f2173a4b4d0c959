/** `zkinfer deploy DIR --rpc URL --key …`: the model's verifier contract on a chain. */
import type { Command } from 'commander';
import { emit, log, say } from '../output.js';
import { keyOption, rpcOption } from './chain-options.js';
import type { ChainOpts } from './chain-options.js';

export function registerDeploy(program: Command): void {
  keyOption(
    rpcOption(
      program
        .command('deploy')
        .description("deploy the model's verifier contract (snarkjs Groth16 verifier + a wrapper that knows the model's ids); records the address in DIR/deployments.json")
        .argument('<dir>', 'artifact directory (after setup)'),
    ),
  ).action(async (dir: string, o: ChainOpts) => {
    const { buildModelContract, deployModel } = await import('../../chain/deploy.js');
    const { connectChain, loadSigner } = await import('../../chain/evm.js');
    const { estimateVerifyGas } = await import('../../chain/gas.js');
    const { isSegmented } = await import('../../compose/compile.js');
    if (isSegmented(dir)) {
      // one contract deploying the K segment verifiers: all proofs and links in one call
      const { buildSegmentedContract, predictSegmentedGas } = await import('../../chain/segmented.js');
      const { deployBytecode } = await import('../../chain/evm.js');
      log('deploy: generating and compiling the segmented contract (solc-js)');
      const built = await buildSegmentedContract({ dir });
      const chain = await connectChain({ rpc: o.rpc });
      const r = await deployBytecode({ wallet: loadSigner({ key: o.key, chain }), contract: built.contract, chain });
      const { recordDeployment } = await import('../../chain/deploy.js');
      const { solcVersion } = await import('../../chain/solc.js');
      const rec = { ...r, chainId: chain.chainId.toString(), rpc: chain.url, modelId: built.modelId, vkHash: built.keysHash, gasUsed: r.gasUsed.toString(), runtimeBytes: built.contract.runtimeBytes, solc: await solcVersion(), deployedAt: new Date().toISOString() };
      recordDeployment(dir, rec); // verify --rpc --dir finds it there
      const gas = predictSegmentedGas(built.nPublic);
      say(`contract    ${r.address} on chain ${chain.chainId} (${built.nPublic.length} segment verifiers, deployment ${r.gasUsed} gas, tx ${r.txHash})`);
      say(`model id    0x${built.modelId}, segment keys hash 0x${built.keysHash}`);
      say(`verify gas  at most ${gas.gas} per verifySegments transaction`);
      emit({ ...rec, keysHash: built.keysHash, verifyGas: gas });
      return;
    }
    log('deploy: generating and compiling the contract (solc-js)');
    const built = await buildModelContract({ dir }); // refuses EIP-170 violations before touching the chain
    const chain = await connectChain({ rpc: o.rpc });
    const wallet = loadSigner({ key: o.key, chain });
    log(`deploy: sending from ${wallet.address} to chain ${chain.chainId}`);
    const r = await deployModel({ dir, chain, wallet });
    const gas = estimateVerifyGas(built.layout.nPublic);
    say(`contract    ${r.address} on chain ${r.chainId} (${r.runtimeBytes} bytes, deployment ${r.gasUsed} gas, tx ${r.txHash})`);
    say(`model id    0x${r.modelId}`);
    if (r.commitment) say(`commitment  ${r.commitment} (ZkinferCommitment: recomputes input commitments of on-chain data)`);
    say(`verify gas  ≈ ${gas.typical} per verifyInference transaction (at most ${gas.total}; ${built.layout.nPublic} public signal${built.layout.nPublic === 1 ? '' : 's'})`);
    emit({ ...r, verifyGas: gas });
  });
}
