/** `zkinfer estimate-gas DIR`: verification gas predicted from the public-signal count, without deploying. */
import type { Command } from 'commander';
import { emit, say } from '../output.js';

/**
 * Rough runtime size of snarkjs's verifier + the wrapper, for an early EIP-170 warning (measured: 3,430 B
 * + 95 B per public signal, + 1,280 B for packing and committing on-chain data with an input commitment).
 */
export const predictedRuntimeBytes = (nPublic: number, inputCommitment = false): number => 3_430 + 95 * nPublic + (inputCommitment ? 1_280 : 0);

export function registerEstimateGas(program: Command): void {
  program
    .command('estimate-gas')
    .description('predict the gas of a verifying transaction (and the contract size) from the public-signal count, without deploying')
    .argument('<dir>', 'artifact directory (after compile)')
    .action(async (dir: string) => {
      const { readCompiled } = await import('../../setup.js');
      const { publicLayout, describeLayout } = await import('../../chain/layout.js');
      const { EIP170_LIMIT } = await import('../../chain/solc.js');
      const { estimateVerifyGas } = await import('../../chain/gas.js');
      const { isSegmented, readManifest } = await import('../../compose/compile.js');
      if (isSegmented(dir)) {
        // one segmented contract: K proofs and their links in one call (src/chain/segmented.ts)
        const { predictSegmentedGas } = await import('../../chain/segmented.js');
        const nPublic = readManifest(dir).segments.map((s) => s.nPublic);
        const g = predictSegmentedGas(nPublic);
        say(`segments    ${nPublic.length}, public signals ${nPublic.join(' + ')}`);
        say(`gas         at most ${g.gas} for one verifySegments transaction (${g.formula})`);
        emit({ segments: nPublic.length, nPublic, gas: g });
        return;
      }
      const layout = publicLayout(readCompiled(dir));
      const g = estimateVerifyGas(layout.nPublic);
      const bytes = predictedRuntimeBytes(layout.nPublic, layout.inputCommitment !== undefined);
      say(`signals     ${layout.nPublic}: ${describeLayout(layout)}`);
      say(`gas         ≈ ${g.typical} typical, at most ${g.total} (21,000 intrinsic + ${g.breakdown.calldata} calldata + ${g.breakdown.base} pairing and setup + ${g.breakdown.perSignal} for the signals)`);
      say(`contract    ≈ ${bytes} bytes${bytes > EIP170_LIMIT ? `: over the EIP-170 limit of ${EIP170_LIMIT}, deploy will refuse it (make fewer signals public)` : ''}`);
      emit({ nPublic: layout.nPublic, gas: g, contractBytes: bytes, eip170Limit: EIP170_LIMIT, deployable: bytes <= EIP170_LIMIT });
    });
}
