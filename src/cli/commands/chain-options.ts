/** Options shared by the commands that talk to a chain: --rpc, --key; and the address book of a model. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex } from '@noble/hashes/utils';
import { artifactPaths, readJson } from '../../artifacts/layout.js';
import type { DeploymentRecord } from '../../chain/deploy.js';
import type { Chain } from '../../chain/evm.js';
import { ArtifactError, InputError } from '../../errors.js';

export interface ChainOpts {
  rpc: string;
  key?: string;
}

export const rpcOption = (c: Command): Command => c.requiredOption('--rpc <url>', 'Ethereum JSON-RPC endpoint, e.g. http://127.0.0.1:8545');

export const keyOption = (c: Command): Command =>
  c.option('--key <file|env:NAME>', 'signing key: a file holding the hex private key, or env:NAME for an environment variable (default env:ZKINFER_PRIVATE_KEY)');

/** ethers' isAddress without loading ethers: 0x + 40 hex digits, and a valid EIP-55 checksum when mixed-case. */
export function isAddress(s: string): boolean {
  if (!/^0x[0-9a-fA-F]{40}$/.test(s)) return false;
  const hex = s.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  const h = bytesToHex(keccak_256(hex.toLowerCase()));
  return [...hex].every((c, i) => !/[a-fA-F]/.test(c) || (parseInt(h[i]!, 16) >= 8 ? c === c.toUpperCase() : c === c.toLowerCase()));
}

export function parseAddress(name: string) {
  return (s: string): string => {
    if (!isAddress(s)) throw new InputError(`${name} '${s}': not an Ethereum address (0x + 40 hex digits)`);
    return s;
  };
}

/** The address `zkinfer deploy DIR` recorded for this chain in DIR/deployments.json. */
export function deployedAddress(dir: string, chain: Chain): string {
  const file = artifactPaths(dir).deployments;
  const all = existsSync(file) ? readJson<Record<string, DeploymentRecord>>(file, 'deployments.json') : {};
  const rec = all[chain.chainId.toString()];
  if (!rec) throw new ArtifactError(`${dir}: no deployment recorded for chain id ${chain.chainId}`, { hint: `run 'zkinfer deploy ${dir} --rpc ${chain.url}' first, or pass --address` });
  return rec.address;
}
