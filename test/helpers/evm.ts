/**
 * A real local EVM for the chain tests: Hardhat's `hardhat node` (EDR) as a child process on 127.0.0.1,
 * on a free port, stopped by the test that started it. No mocked provider anywhere.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Wallet } from 'ethers';
import { connectChain } from '../../src/chain/evm.js';
import type { Chain } from '../../src/chain/evm.js';
import { ROOT } from './conformance.js';
import { tempDir, terminateCurve } from './pipeline.js';

const require = createRequire(import.meta.url);

/** Hardhat's well-known development accounts #0 and #1 (public test keys, funded on every Hardhat node). */
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LocalNode {
  url: string;
  /** Files holding DEV_KEYS[i], for `--key FILE`. */
  keyFiles: string[];
  stop(): Promise<void>;
}

/**
 * Start `hardhat node` and wait until it serves JSON-RPC.
 * @example const node = await startLocalNode(); try { … node.url … } finally { await node.stop(); }
 */
export async function startLocalNode(opts: { unlimitedContractSize?: boolean } = {}): Promise<LocalNode> {
  const port = await freePort();
  const bin = path.join(path.dirname(require.resolve('hardhat/package.json')), 'internal', 'cli', 'bootstrap.js');
  const child = spawn(process.execPath, [bin, '--config', path.join(ROOT, 'test', 'helpers', 'hardhat.config.cjs'), 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ZKINFER_HH_UNLIMITED: opts.unlimitedContractSize ? '1' : '0' },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start in 90 s:\n${out.slice(-2000)}`)), 90_000);
    const onData = (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
      if (out.includes('Started HTTP')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData); // keeps draining the pipe after start: the node logs every call
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  const dir = tempDir('zkinfer-keys-');
  const keyFiles = DEV_KEYS.map((k, i) => {
    const f = path.join(dir, `key${i}.txt`);
    writeFileSync(f, `${k}\n`, { mode: 0o600 });
    return f;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    keyFiles,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
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
