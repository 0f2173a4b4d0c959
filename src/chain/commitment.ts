/**
 * Commitments a contract can recompute: "poseidon-chain/1" (circuits/commitment.circom) over data held on
 * chain, with circomlibjs's Poseidon contracts (generated EVM code) and ZkinferCommitment.sol. A dApp
 * holding the data checks a proof whose commitment signal must equal the commitment of that data.
 */
import { readFileSync } from 'node:fs';
import { buildPoseidon, poseidonContract } from 'circomlibjs';
import type { Wallet } from 'ethers';
import { compileSolidity } from './solc.js';
import type { CompiledContract } from './solc.js';
import { deployBytecode } from './evm.js';
import type { Chain } from './evm.js';

export const COMMITMENT_SCHEME = 'poseidon-chain/1';
/** Values per Poseidon call besides the running hash: circomlibjs's contract generator handles at most 6 inputs. */
export const CHUNK = 5;

/**
 * The commitment in TypeScript (circomlibjs's Poseidon): the reference for the circuit and the contract.
 * @example const c = await poseidonChainCommit([1n, 2n, 3n], 0n);
 */
export async function poseidonChainCommit(values: bigint[], salt: bigint): Promise<bigint> {
  const poseidon = await buildPoseidon();
  const F = poseidon.F;
  let h = salt;
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = Array.from({ length: CHUNK }, (_, j) => values[i + j] ?? 0n);
    h = F.toObject(poseidon([h, ...chunk]));
  }
  return F.toObject(poseidon([h, BigInt(values.length)]));
}

const poseidonArtifact = (n: number): CompiledContract => {
  const bytecode = poseidonContract.createCode(n);
  return { name: `Poseidon${n}`, abi: poseidonContract.generateABI(n), bytecode, runtimeBytes: 0, initBytes: (bytecode.length - 2) / 2 };
};

/**
 * Deploy the Poseidon(6) and Poseidon(2) contracts and a ZkinferCommitment using them.
 * @example const { address } = await deployCommitment({ chain, wallet });
 */
export async function deployCommitment(params: { chain: Chain; wallet: Wallet }): Promise<{ address: string; poseidon6: string; poseidon2: string }> {
  const p6 = await deployBytecode({ ...params, contract: poseidonArtifact(CHUNK + 1) });
  const p2 = await deployBytecode({ ...params, contract: poseidonArtifact(2) });
  const c = await compileSolidity({ sources: { 'ZkinferCommitment.sol': readFileSync(new URL('./ZkinferCommitment.sol', import.meta.url), 'utf8') }, target: { file: 'ZkinferCommitment.sol', contract: 'ZkinferCommitment' } });
  const d = await deployBytecode({ ...params, contract: c, args: [p6.address, p2.address] });
  return { address: d.address, poseidon6: p6.address, poseidon2: p2.address };
}
