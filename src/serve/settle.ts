/**
 * Settlement on chain (opt-in): each proved receipt is submitted to the model's registry
 * (src/chain/registry.ts); the inference then shows the transaction and its InferenceVerified event. One
 * server settles each inference (a Redis SET NX claim); transactions go out one at a time (one nonce sequence).
 */
import type { Redis } from 'ioredis';
import type { Wallet } from 'ethers';
import type { Chain } from '../chain/evm.js';
import { registerModel, submitReceipt } from '../chain/registry.js';
import type { InferenceEvent } from '../chain/registry.js';
import type { Receipt } from '../receipt.js';
import { ZkinferError, errorText } from '../errors.js';

export const SETTLEMENTS_KEY = 'zkinfer:settlements';

export interface SettleParams {
  chain: Chain;
  wallet: Wallet;
  /** ZkinferRegistry address. */
  registry: string;
}

export interface Settlement {
  registry: string;
  chainId: string;
  txHash?: string;
  blockNumber?: number;
  event?: InferenceEvent;
  error?: string;
  at: string;
}

export interface Settler {
  /** Register a model's verifier in the registry if it is not there yet; returns its address. */
  prepare(modelId: string, dir: string): Promise<string>;
  /** Submit an inference's receipt (once across servers); the result is stored in Redis. */
  settle(id: string, modelId: string, receipt: Receipt): Promise<void>;
  read(id: string): Promise<Settlement | undefined>;
  idle(): Promise<void>;
}

const jsonSafe = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

export function createSettler(redis: Redis, p: SettleParams): Settler {
  const verifiers = new Map<string, string>();
  let chainOfTx: Promise<void> = Promise.resolve();
  const chainId = String(p.chain.chainId);
  return {
    async prepare(modelId, dir) {
      const r = await registerModel({ chain: p.chain, wallet: p.wallet, registry: p.registry, dir });
      verifiers.set(modelId, r.verifier);
      return r.verifier;
    },
    settle(id, modelId, receipt) {
      const run = async () => {
        if ((await redis.set(`zkinfer:settle-claim:${id}`, '1', 'NX')) !== 'OK') return;
        const verifier = verifiers.get(modelId);
        let s: Settlement;
        try {
          if (!verifier) throw new ZkinferError('chain', `model ${modelId.slice(0, 12)}… has no verifier in registry ${p.registry}`);
          const r = await submitReceipt({ chain: p.chain, wallet: p.wallet, registry: p.registry, verifier, receipt });
          s = { registry: p.registry, chainId, txHash: r.txHash, blockNumber: r.blockNumber, event: jsonSafe(r.event) as InferenceEvent, at: new Date().toISOString() };
        } catch (e) {
          s = { registry: p.registry, chainId, error: e instanceof ZkinferError ? errorText(e) : (e as Error).message, at: new Date().toISOString() };
        }
        await redis.hset(SETTLEMENTS_KEY, id, JSON.stringify(s));
      };
      chainOfTx = chainOfTx.then(run, run);
      return chainOfTx;
    },
    async read(id) {
      const s = await redis.hget(SETTLEMENTS_KEY, id);
      return s ? (JSON.parse(s) as Settlement) : undefined;
    },
    idle: () => chainOfTx,
  };
}
