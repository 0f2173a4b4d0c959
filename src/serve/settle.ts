/**
 * Settlement on chain (opt-in): each proved receipt is submitted to the model's registry
 * (src/chain/registry.ts); the inference then shows the transaction and its InferenceVerified event. One
 * server settles each inference (a Redis SET NX claim, which lapses after CLAIM_SECONDS so a server that died
 * holding it does not block it forever); transactions go out one at a time (one nonce sequence). A server
 * that starts catches up: every proved inference without a settlement (proved while no settling server
 * ran) is settled then.
 */
import type { Redis } from 'ioredis';
import type { Wallet } from 'ethers';
import type { Chain } from '../chain/evm.js';
import { registerModel, submitReceipt } from '../chain/registry.js';
import type { InferenceEvent } from '../chain/registry.js';
import type { Receipt } from '../receipt.js';
import type { SegmentedReceipt } from '../compose/receipt.js';
import { ZkinferError, errorText } from '../errors.js';

export const SETTLEMENTS_KEY = 'zkinfer:settlements';
/** A claim to settle an inference lapses after this long without a result (its server died). */
export const CLAIM_SECONDS = 600;

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
  settle(id: string, modelId: string, receipt: Receipt | SegmentedReceipt): Promise<void>;
  read(id: string): Promise<Settlement | undefined>;
  /**
   * Settle every proved inference that has no settlement yet: `completedKey` is the queue's sorted set of
   * completed job ids, `load` reads one job's model and receipt. Resolves to how many got a settlement
   * (a transaction, or the reason it failed).
   */
  catchUp(completedKey: string, load: (id: string) => Promise<{ modelId: string; receipt: Receipt | SegmentedReceipt } | undefined>): Promise<number>;
  /** Stop a catch-up in progress (at its next batch) and wait for submitted transactions. */
  idle(): Promise<void>;
}

const jsonSafe = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

export function createSettler(redis: Redis, p: SettleParams): Settler {
  const verifiers = new Map<string, string>();
  let chainOfTx: Promise<void> = Promise.resolve();
  let stopping = false;
  let catching: Promise<number> = Promise.resolve(0);
  const chainId = String(p.chain.chainId);
  const settler: Settler = {
    async prepare(modelId, dir) {
      const r = await registerModel({ chain: p.chain, wallet: p.wallet, registry: p.registry, dir });
      verifiers.set(modelId, r.verifier);
      return r.verifier;
    },
    settle(id, modelId, receipt) {
      const run = async () => {
        if (await redis.hexists(SETTLEMENTS_KEY, id)) return;
        if ((await redis.set(`zkinfer:settle-claim:${id}`, '1', 'EX', CLAIM_SECONDS, 'NX')) !== 'OK') return;
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
    catchUp(completedKey, load) {
      const run = async (): Promise<number> => {
        let n = 0;
        for (let start = 0; !stopping; start += 200) {
          const ids = await redis.zrange(completedKey, start, start + 199);
          if (!ids.length) break;
          const done = await redis.hmget(SETTLEMENTS_KEY, ...ids);
          for (const [i, id] of ids.entries()) {
            if (done[i] || stopping) continue;
            const job = await load(id);
            if (!job) continue;
            await settler.settle(id, job.modelId, job.receipt);
            if (await redis.hexists(SETTLEMENTS_KEY, id)) n++;
          }
        }
        return n;
      };
      catching = run();
      return catching;
    },
    async idle() {
      stopping = true;
      await catching.catch(() => 0);
      await chainOfTx;
    },
  };
  return settler;
}
