/**
 * Talking to an EVM node with ethers v6: connect to a JSON-RPC URL, load a signing key, deploy, send.
 * The only module that opens network connections; every failure becomes a ChainError naming the URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ContractFactory, JsonRpcProvider, Network, Wallet } from 'ethers';
import type { Interface, InterfaceAbi, TransactionReceipt } from 'ethers';
import { ChainError, SignerKeyError } from '../errors.js';
import type { CompiledContract } from './solc.js';

export interface Chain {
  url: string;
  chainId: bigint;
  provider: JsonRpcProvider;
}

/**
 * Connect to a node; fails fast (no endless retry) when the URL does not answer.
 * @example const chain = await connectChain({ rpc: 'http://127.0.0.1:8545' });
 */
export async function connectChain(params: { rpc: string; timeoutMs?: number }): Promise<Chain> {
  let id: string;
  try {
    const res = await fetch(params.rpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(params.timeoutMs ?? 10_000),
    });
    const body = (await res.json()) as { result?: string; error?: { message: string } };
    if (!body.result) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    id = body.result;
  } catch (e) {
    throw new ChainError(`${params.rpc}: no Ethereum JSON-RPC node answers (${(e as Error).message})`, { hint: 'start one (e.g. `anvil` from Foundry) or check --rpc', cause: e });
  }
  const chainId = BigInt(id);
  const provider = new JsonRpcProvider(params.rpc, undefined, { staticNetwork: Network.from(chainId), batchMaxCount: 1, cacheTimeout: -1 });
  return { url: params.rpc, chainId, provider };
}

const KEY_RE = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * A signing key from `env:NAME` (an environment variable) or a file holding the hex key; without a
 * spec, from $ZKINFER_PRIVATE_KEY. Keys are never taken from the command line itself.
 * @example const wallet = loadSigner({ key: 'env:DEPLOYER_KEY', chain });
 */
export function loadSigner(params: { key?: string; chain: Chain }): Wallet {
  const spec = params.key ?? 'env:ZKINFER_PRIVATE_KEY';
  let raw: string | undefined;
  if (spec.startsWith('env:')) {
    raw = process.env[spec.slice(4)];
    if (raw === undefined) throw new SignerKeyError(`environment variable ${spec.slice(4)} is not set`, { hint: 'pass --key FILE (a file holding the hex private key) or --key env:NAME' });
  } else if (KEY_RE.test(spec.trim())) {
    throw new SignerKeyError('--key takes a file or env:NAME, not the key itself (it would show in the process list and shell history)', { hint: 'write the key to a file readable only by you and pass its path' });
  } else {
    if (!existsSync(spec)) throw new SignerKeyError(`${spec}: key file not found`, { hint: 'pass --key FILE or --key env:NAME' });
    raw = readFileSync(spec, 'utf8');
  }
  const k = raw.trim();
  if (!KEY_RE.test(k)) throw new SignerKeyError(`${spec}: not a private key (expected 64 hex digits, optionally 0x-prefixed)`);
  return new Wallet(k.startsWith('0x') ? k : `0x${k}`, params.chain.provider);
}

/** Turn an ethers failure into a ChainError, decoding custom errors (revert data) with the contract's interface. */
export function chainError(what: string, e: unknown, url: string, iface?: Interface): ChainError {
  if (e instanceof ChainError) return e;
  const err = e as { shortMessage?: string; message?: string; revert?: { name: string; args: unknown[] } | null; data?: string };
  let decoded = err.revert ?? undefined;
  if (!decoded && iface && typeof err.data === 'string' && err.data.length >= 10) {
    try {
      const p = iface.parseError(err.data);
      if (p) decoded = { name: p.name, args: [...p.args] };
    } catch {
      /* not one of this contract's errors */
    }
  }
  const revert = decoded ? `${decoded.name}(${decoded.args.map(String).join(', ')})` : undefined;
  return new ChainError(`${what} on ${url} failed: ${revert ? `reverted with ${revert}` : err.shortMessage ?? err.message ?? String(e)}`, { cause: e });
}

/**
 * Wait for a transaction's receipt by polling eth_getTransactionReceipt (every 100 ms, then slower).
 * ethers' own `tx.wait()` waits for a new-block event, which can be missed on an automining node (the
 * block was mined before the subscription started) and then never comes: a hang, seen on anvil.
 * A mined but reverted transaction (status 0) throws a ChainError.
 * @example const rc = await waitMined(chain, await wallet.sendTransaction({ to, data }));
 */
export async function waitMined(chain: Chain, tx: { hash: string }, params: { what?: string; timeoutMs?: number } = {}): Promise<TransactionReceipt> {
  const deadline = Date.now() + (params.timeoutMs ?? 120_000);
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    const rc = await chain.provider.getTransactionReceipt(tx.hash);
    if (rc) {
      if (rc.status !== 1) throw new ChainError(`${params.what ?? `transaction ${tx.hash}`} on ${chain.url}: the transaction ${tx.hash} reverted (mined in block ${rc.blockNumber})`);
      return rc;
    }
    if (Date.now() > deadline) throw new ChainError(`${params.what ?? `transaction ${tx.hash}`} on ${chain.url}: not mined after ${Math.round((params.timeoutMs ?? 120_000) / 1000)} s`, { hint: 'is the node mining (anvil mines on every transaction; a node with --no-mining needs blocks)?' });
    await new Promise((r) => setTimeout(r, delay));
  }
}

export interface Deployed {
  address: string;
  txHash: string;
  gasUsed: bigint;
  blockNumber: number;
}

/**
 * Deploy compiled bytecode and wait for it to be mined.
 * @example const { address } = await deployBytecode({ wallet, contract: compiled, chain });
 */
export async function deployBytecode(params: { wallet: Wallet; contract: CompiledContract; chain: Chain; args?: unknown[] }): Promise<Deployed> {
  const f = new ContractFactory(params.contract.abi as InterfaceAbi, params.contract.bytecode, params.wallet);
  let receipt: TransactionReceipt;
  let address: string;
  try {
    const c = await f.deploy(...(params.args ?? []));
    receipt = await waitMined(params.chain, c.deploymentTransaction()!, { what: `deploying ${params.contract.name}` });
    address = await c.getAddress();
  } catch (e) {
    throw chainError(`deploying ${params.contract.name}`, e, params.chain.url);
  }
  return { address, txHash: receipt.hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}
