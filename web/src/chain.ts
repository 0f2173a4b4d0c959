/** The optional on-chain check: call a deployed Groth16 verifier (snarkjs's Solidity template) with ethers. */
import { Contract, JsonRpcProvider, isAddress } from 'ethers';
import type { SolidityCallData } from './protocol.js';

export interface OnChainParams {
  rpcUrl: string;
  address: string;
  args: SolidityCallData;
  timeoutMs?: number;
}

/**
 * The contract's answer to verifyProof(a, b, c, publicSignals).
 * @example const ok = await verifyOnChain({ rpcUrl: 'http://127.0.0.1:8545', address, args });
 */
export async function verifyOnChain(p: OnChainParams): Promise<boolean> {
  if (!isAddress(p.address)) throw new Error(`'${p.address}' is not an Ethereum address`);
  const n = p.args[3].length;
  const provider = new JsonRpcProvider(p.rpcUrl, undefined, { staticNetwork: true });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer from ${p.rpcUrl} within ${(p.timeoutMs ?? 15000) / 1000} s`)), p.timeoutMs ?? 15000));
  try {
    return await Promise.race([
      (async () => {
        if ((await provider.getCode(p.address)) === '0x') throw new Error(`no contract at ${p.address}`);
        const verifier = new Contract(p.address, [`function verifyProof(uint256[2], uint256[2][2], uint256[2], uint256[${n}]) view returns (bool)`], provider);
        return Boolean(await verifier.getFunction('verifyProof').staticCall(...p.args));
      })(),
      timeout,
    ]);
  } finally {
    provider.destroy();
  }
}
