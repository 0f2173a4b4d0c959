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
