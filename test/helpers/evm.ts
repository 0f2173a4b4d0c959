/**
 * A real local EVM for the chain tests: anvil (npm @foundry-rs/anvil, see ./chain.ts) on 127.0.0.1 with
 * the EIP-170 size limit on and cancun rules (the gas model's constants are measured under them), stopped by
 * the test that started it. No mocked provider anywhere.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Wallet } from 'ethers';
import { connectChain } from '../../src/chain/evm.js';
import type { Chain } from '../../src/chain/evm.js';
import { startAnvil } from './chain.js';
import { tempDir, terminateCurve } from './pipeline.js';

/** The well-known development accounts #0 and #1 (public test keys, funded on every anvil and Hardhat node). */
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const;

export interface LocalNode {
  url: string;
  /** Files holding DEV_KEYS[i], for `--key FILE`. */
  keyFiles: string[];
  stop(): Promise<void>;
}

/**
 * Start anvil and wait until it serves JSON-RPC.
 * @example const node = await startLocalNode(); try { … node.url … } finally { await node.stop(); }
 */
export async function startLocalNode(opts: { unlimitedContractSize?: boolean } = {}): Promise<LocalNode> {
  const node = await startAnvil({ codeSizeLimit: !opts.unlimitedContractSize, hardfork: 'cancun' });
  const dir = tempDir('zkinfer-keys-');
  const keyFiles = DEV_KEYS.map((k, i) => {
    const f = path.join(dir, `key${i}.txt`);
    writeFileSync(f, `${k}\n`, { mode: 0o600 });
    return f;
  });
  return { url: node.rpcUrl, keyFiles, stop: () => node.stop() };
}

export interface LocalChain {
  node: LocalNode;
  chain: Chain;
  /** Signs with DEV_KEYS[0]. */
  wallet: Wallet;
}

/**
 * Start a node for this test file (beforeAll) and stop it, with snarkjs's curve, afterwards (afterAll).
 * The returned object is filled in once beforeAll has run.
 * @example const ctx = useLocalChain(); it('…', async () => { await deployModel({ dir, chain: ctx.chain, wallet: ctx.wallet }); });
 */
export function useLocalChain(): LocalChain {
  const ctx = {} as LocalChain;
  beforeAll(async () => {
    ctx.node = await startLocalNode();
    ctx.chain = await connectChain({ rpc: ctx.node.url });
    ctx.wallet = new Wallet(DEV_KEYS[0], ctx.chain.provider);
  });
  afterAll(async () => {
    await ctx.node?.stop();
    await terminateCurve();
  });
  return ctx;
}
