/**
 * Attestation signatures off the server's event loop: secp256k1 signing in JavaScript costs about 1.5 ms,
 * a third of an immediate answer, so a worker thread holding the key signs while the main thread parses,
 * evaluates and queues other requests (the second core of a 2-core machine). Same EIP-191 signature as
 * `Wallet.signMessage`; a signer that exposes no private key (a remote signer) signs inline.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Wallet } from 'ethers';

export type MessageSigner = Pick<Wallet, 'address' | 'signMessage'>;

export interface ThreadedSigner extends MessageSigner {
  close(): Promise<void>;
}

// Plain CommonJS run by the thread (no TypeScript loader there): ethers' CommonJS build, resolved here.
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Wallet } = require(workerData.ethers);
const wallet = new Wallet(workerData.key);
parentPort.on('message', ({ n, message }) => {
  try { parentPort.postMessage({ n, signature: wallet.signMessageSync(message) }); }
  catch (e) { parentPort.postMessage({ n, error: String(e && e.message || e) }); }
});`;

/**
 * Sign on a worker thread when `signer` holds its private key (an ethers Wallet); otherwise return it as is.
 * @example const s = threadedSigner(wallet); const sig = await s.signMessage('…'); await s.close();
 */
export function threadedSigner(signer: MessageSigner): ThreadedSigner {
  const key = (signer as { signingKey?: { privateKey?: string } }).signingKey?.privateKey;
  if (!key) return { address: signer.address, signMessage: (m: string | Uint8Array) => signer.signMessage(m), close: async () => {} };
  const pending = new Map<number, { message: string; resolve: (s: string) => void; reject: (e: Error) => void }>();
  let next = 0;
  let thread: Worker | undefined = new Worker(THREAD_CODE, { eval: true, workerData: { key, ethers: createRequire(import.meta.url).resolve('ethers') } });
  thread.unref(); // the server's sockets keep the process up, not this thread
  thread.on('message', ({ n, signature, error }: { n: number; signature?: string; error?: string }) => {
    const p = pending.get(n);
    pending.delete(n);
    if (signature) p?.resolve(signature);
    else p?.reject(new Error(`attestation signature: ${error}`));
  });
  // the thread failed (or was closed): what it owed, and every later signature, is signed inline
  const lost = () => {
    thread = undefined;
    for (const p of pending.values()) signer.signMessage(p.message).then(p.resolve, p.reject);
    pending.clear();
  };
  thread.on('error', lost);
  thread.on('exit', lost);
  return {
    address: signer.address,
    signMessage(message: string | Uint8Array) {
      if (!thread || typeof message !== 'string') return signer.signMessage(message);
      const n = next++;
      const t = thread;
      return new Promise<string>((resolve, reject) => {
        pending.set(n, { message, resolve, reject });
        t.postMessage({ n, message });
      });
    },
    async close() {
      const t = thread;
      thread = undefined;
      await t?.terminate();
    },
  };
}
