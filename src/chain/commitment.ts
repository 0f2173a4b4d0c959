/**
 * Commitments a contract can recompute: zkinfer's salted Poseidon chain (src/quantize/layout.ts) at width 5,
 * what inputs and outputs use, over circomlibjs's Poseidon contracts (generated EVM code, 2..6 inputs) and
 * ZkinferCommitment.sol. A dApp holding the data checks a proof whose commitment signal must equal the
 * commitment of that data. The TypeScript reference is poseidonChain (src/commit/poseidon.ts).
 */
import { readFileSync } from 'node:fs';
import { poseidonContract } from 'circomlibjs';
import type { Wallet } from 'ethers';
import { CHAIN_WIDTH } from '../quantize/layout.js';
import { compileSolidity } from './solc.js';
import type { CompiledContract } from './solc.js';
import { deployBytecode } from './evm.js';
import type { Chain } from './evm.js';

/** The chain width ZkinferCommitment.sol implements (its WIDTH): circomlibjs generates Poseidon contracts up to 6 inputs. */
export const COMMITMENT_WIDTH = 5;
if (CHAIN_WIDTH.input !== COMMITMENT_WIDTH || CHAIN_WIDTH.output !== COMMITMENT_WIDTH) throw new Error('ZkinferCommitment.sol implements width 5: keep CHAIN_WIDTH.input/output at 5');

const poseidonArtifact = (n: number): CompiledContract => {
  const bytecode = poseidonContract.createCode(n);
  return { name: `Poseidon${n}`, abi: poseidonContract.generateABI(n), bytecode, runtimeBytes: 0, initBytes: (bytecode.length - 2) / 2 };
};

/**
 * Deploy circomlibjs's Poseidon(2..6) contracts and a ZkinferCommitment using them.
 * @example const { address } = await deployCommitment({ chain, wallet });
 */
export async function deployCommitment(params: { chain: Chain; wallet: Wallet }): Promise<{ address: string; poseidon: string[] }> {
  const poseidon: string[] = [];
  for (let k = 2; k <= COMMITMENT_WIDTH + 1; k++) poseidon.push((await deployBytecode({ ...params, contract: poseidonArtifact(k) })).address);
  const c = await compileSolidity({ sources: { 'ZkinferCommitment.sol': readFileSync(new URL('./ZkinferCommitment.sol', import.meta.url), 'utf8') }, target: { file: 'ZkinferCommitment.sol', contract: 'ZkinferCommitment' } });
  const d = await deployBytecode({ ...params, contract: c, args: [poseidon] });
  return { address: d.address, poseidon };
}
