/** Run the real pipeline (circom compile → dev setup → Groth16 prove → verify) on a model, in a temp dir. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileModel } from '../../src/compile.js';
import type { CompileParams } from '../../src/compile.js';
import { setupKeys } from '../../src/setup.js';
import { proveInference } from '../../src/prove/prove.js';
import { verifyReceipt } from '../../src/verify/verify.js';

export const tempDir = (prefix = 'zkinfer-'): string => mkdtempSync(path.join(os.tmpdir(), prefix));

/** Run `fn` holding a lock directory (test files of one run take turns building shared artifacts). */
export async function withDirLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 2400) rmSync(lock, { recursive: true, force: true }); // a holder died: take it after 4 min
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function provePipeline(p: Omit<CompileParams, 'outDir'> & { input: string; outDir?: string; prover?: string }) {
  const dir = p.outDir ?? tempDir();
  const compiled = await compileModel({ ...p, outDir: dir });
  const setup = await setupKeys({ dir, cacheDir: path.join(os.tmpdir(), 'zkinfer-test-cache') });
  const proved = await proveInference({ dir, inputPath: p.input, prover: p.prover });
  const verified = await verifyReceipt({ receipt: proved.receipt });
  return { dir, compiled, setup, proved, receipt: proved.receipt, verified };
}

export async function terminateCurve(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
