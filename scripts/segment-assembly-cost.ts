/**
 * What the proving service's assembling job costs for a segmented model: a worker proves each segment (and
 * self-verifies it), then the parent job verifies the whole segmented receipt again (verifySegmentedReceipt:
 * every Groth16 proof, every link, the keys hash). Proves 4 inferences in this process, then times the full
 * verification against one that stops at segment 1's pairing (the structure checks and one pairing), 12 times.
 *
 *   node --import tsx scripts/segment-assembly-cost.ts DIR     (DIR: a segmented, set-up artifact directory
 *   whose model takes x[1,4], e.g. the tiny MLP of test/helpers/tiny-mlp.ts; numbers for docs/scaling.md)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { proveSegmented } from '../src/compose/prove.js';
import type { ProveSegmentedResult } from '../src/compose/prove.js';
import { verifySegmentedReceipt } from '../src/verify/segmented.js';
import { readSegmentKeys } from '../src/compose/compile.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: scripts/segment-assembly-cost.ts DIR');
const inputPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'zkinfer-assembly-')), 'input.json');
writeFileSync(inputPath, JSON.stringify({ input: [[0.5, -0.25, 0.75, -1]] }));
const proves: number[] = [];
let last!: ProveSegmentedResult;
for (let round = 0; round < 4; round++) {
  last = await proveSegmented({ dir, inputPath });
  if (round > 0) proves.push(...last.seconds.segments.map((s) => 1000 * (s.witness + s.prove))); // round 0 loads the keys
}
const { receipt, opening } = last;
const keysHash = readSegmentKeys(dir).keysHash;
const full: number[] = [];
const onePairing: number[] = [];
for (let i = 0; i < 12; i++) {
  let t = performance.now();
  const v = await verifySegmentedReceipt({ receipt, opening, trustedKeysHash: keysHash });
  full.push(performance.now() - t);
  if (!v.ok) throw new Error(`the receipt does not verify: ${v.failed!.detail}`);
  const broken = structuredClone(receipt);
  const p = broken.segments[0]!.proof as { pi_a: unknown; pi_c: unknown };
  p.pi_a = p.pi_c;
  t = performance.now();
  await verifySegmentedReceipt({ receipt: broken, opening, trustedKeysHash: keysHash });
  onePairing.push(performance.now() - t);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
console.log(`${receipt.segments.length} segments: witness + Groth16 per segment, median ${median(proves)} ms (${proves.length} proofs)`);
console.log(`verifySegmentedReceipt, all ${receipt.segments.length} proofs: median ${median(full)} ms; stopping at segment 1's pairing: median ${median(onePairing)} ms`);
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
