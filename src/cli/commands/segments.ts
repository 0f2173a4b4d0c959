/**
 * Segmented models in the core commands: `compile --segments`, `setup`, `prove --jobs` and `verify` on a
 * segmented directory or receipt, `estimate --segments`. main.ts hands over to these when they apply.
 */
import path from 'node:path';
import { InputError } from '../../errors.js';
import { compileSegmented, readCheckedSegmentKeys, readManifest, setupSegments } from '../../compose/compile.js';
import { proveSegmented } from '../../compose/prove.js';
import { estimateSegments } from '../../compose/estimate.js';
import { formatProblem as receiptProblem, verifySegmentedReceipt } from '../../verify/segmented.js';
import { verdictText } from '../../verify/verify.js';
import type { Verdict } from '../../verify/verify.js';
import type { SegmentedVerifyResult, TrustedSegments } from '../../verify/segmented.js';
import { readCompiled, readSetup } from '../../setup.js';
import { artifactPaths, readJson } from '../../artifacts/layout.js';
import type { Opening, Receipt } from '../../receipt.js';
import { emit, log, say } from '../output.js';
import { printOutputs, writeReceipt } from '../receipts.js';
import { compileParams } from '../options.js';
import type { CompileOpts } from '../options.js';
import type { SegmentOpts } from './segment-options.js';
import type { SegmentedReceipt } from '../../compose/receipt.js';

export { parsePositive, parseSegments } from './segment-options.js';
export type { SegmentOpts } from './segment-options.js';

export async function compileSegmentedCommand(model: string, dir: string, o: CompileOpts & SegmentOpts): Promise<void> {
  const r = await compileSegmented({ ...compileParams(model, dir, o), segments: o.segments!, maxConstraints: o.maxConstraints });
  say(`model       ${r.manifest.model.file} (${r.manifest.model.name}), sha256 ${r.manifest.model.fileSha256.slice(0, 16)}…`);
  r.segments.forEach((c, i) => {
    const s = r.manifest.segments[i]!;
    say(`segment ${String(i + 1).padEnd(3)} steps ${s.from}..${s.to}: ${c.constraints.total} constraints, boundary in ${s.boundaryIn} / out ${s.boundaryOut} values, ${c.nPublic} public signals (${path.join(dir, s.dir)})`);
  });
  say(`constraints ${r.manifest.constraints} in ${r.segments.length} segment(s)`);
  say(`artifacts   ${dir}`);
  emit({ dir, ...r.manifest });
}

export async function setupSegmentedCommand(dir: string, ptau: string | undefined): Promise<void> {
  const r = await setupSegments({ dir, ptauPath: ptau, onProgress: log });
  say(`keys        ${r.keys.vkHashes.length} segment key(s), keys hash ${r.keys.keysHash.slice(0, 16)}…${r.cached ? ' (cached)' : ''}`);
  say(`setup       ${r.keys.dev ? 'DEV (insecure, for testing)' : 'ptau'}, ${r.setups.reduce((a, s) => a + s.seconds, 0).toFixed(1)} s`);
  emit({ dir, cached: r.cached, ...r.keys });
}

export async function proveSegmentedCommand(dir: string, o: { input: string; out: string; force?: boolean; jobs?: number }): Promise<boolean> {
  const r = await proveSegmented({ dir, inputPath: o.input, jobs: o.jobs, onProgress: log });
  const v = await verifySegmentedReceipt({ receipt: r.receipt, opening: r.opening });
  writeReceipt(o.out, r.receipt as unknown as Receipt, r.opening, Boolean(o.force));
  printOutputs(r.outputs);
  const slowest = Math.max(...r.seconds.segments.map((s) => s.witness + s.prove));
  say(`receipt     ${o.out}: ${r.seconds.segments.length} segment proofs (slowest ${slowest.toFixed(2)} s, all ${r.seconds.wall.toFixed(2)} s wall)`);
  say(v.ok ? 'verified' : `NOT VERIFIED: ${v.failed!.name}: ${v.failed!.detail}`);
  emit({ receipt: o.out, outputs: r.outputs, commitments: r.receipt.commitments, links: r.receipt.links, verified: v.ok, seconds: r.seconds });
  return v.ok;
}

/** The compiled segments and keys of a directory, as verify trusts them. */
export function trustedSegments(dir: string): TrustedSegments {
  const manifest = readManifest(dir);
  const keys = readCheckedSegmentKeys(dir);
  const segments = manifest.segments.map((s) => {
    const d = path.join(dir, s.dir);
    const compiled = readCompiled(d);
    return { compiled, setup: readSetup(d, compiled), vk: readJson<Record<string, unknown>>(artifactPaths(d).vkey, 'verification key') };
  });
  return { manifest, keys, segments };
}

/** Verify a segmented receipt from the CLI; returns its verdict (the caller maps it to the exit code). */
export async function verifySegmentedCommand(receipt: unknown, o: { dir?: string; opening?: Opening; vkHash?: string; rpc?: string; address?: string }): Promise<Verdict> {
  // The contract checks every proof and link with its own keys: when it agrees, its keys hash is one the prover did not choose.
  const { verifySegmentedReceiptOnChain } = o.rpc ? await import('./verify-chain.js') : { verifySegmentedReceiptOnChain: undefined };
  const chain = verifySegmentedReceiptOnChain && !receiptProblem(receipt) ? await verifySegmentedReceiptOnChain({ receipt: receipt as SegmentedReceipt, rpc: o.rpc!, address: o.address, dir: o.dir }) : undefined;
  const chainHash = chain?.ok ? (receipt as SegmentedReceipt).segmentKeysHash : undefined;
  const by = [o.dir ? `the compiled segments in ${o.dir}` : '', o.vkHash ? 'the segment-keys hash you gave (--vk-hash)' : '', chainHash && !o.vkHash ? `the contract ${chain!.address} on chain ${chain!.chainId} (its VK_HASH)` : ''].filter(Boolean).join(' and ');
  const v: SegmentedVerifyResult = await verifySegmentedReceipt({ receipt, trusted: o.dir ? trustedSegments(o.dir) : undefined, opening: o.opening, trustedKeysHash: o.vkHash ?? chainHash, trustedBy: by || undefined });
  if (o.rpc && (!chain || !chain.ok) && v.verdict !== 'invalid') {
    Object.assign(v, { ok: false, failed: { name: 'on-chain', ok: false, detail: chain?.detail ?? 'not asked: the receipt is malformed' }, verdict: 'invalid' });
  }
  for (const c of v.checks) say(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(15)} ${c.detail}`);
  if (chain) say(`  ${chain.ok ? 'ok  ' : 'FAIL'} ${'on-chain'.padEnd(15)} ${chain.detail}`);
  say(`  keys: ${v.trust.trusted ? `trusted by ${v.trust.by}` : `UNTRUSTED: vouched for by ${v.trust.by}`}`);
  if (v.devSetup) say('  warning: dev setup (insecure, single-party): fine for testing, not for trust');
  say(verdictText(v));
  emit({ verified: v.verdict === 'verified', verdict: v.verdict, trust: v.trust, failed: v.failed?.name, reason: v.failed?.detail, checks: v.checks, devSetup: v.devSetup, vkSource: v.vkSource, ...(chain ? { onChain: { ok: chain.ok, check: chain.check, reason: chain.reason, chainId: chain.chainId, contract: chain.address, gas: chain.gas?.toString() } } : {}) });
  return v.verdict;
}

export function estimateSegmentsCommand(model: string, o: CompileOpts & SegmentOpts & { costModel?: string }): void {
  const { outDir: _d, onProgress: _p, ...params } = compileParams(model, '', o);
  const segs = estimateSegments({ ...params, segments: o.segments!, maxConstraints: o.maxConstraints, costModelPath: o.costModel });
  segs.forEach((s, i) =>
    say(`segment ${String(i + 1).padEnd(3)} steps ${s.from}..${s.to}: ${s.constraints} constraints (2^${s.ptauPower}), boundary in ${s.boundaryIn} / out ${s.boundaryOut}, compiler ≈ ${(s.compilerMB / 1024).toFixed(1)} GiB${s.proveSeconds !== undefined ? `, prove ≈ ${(s.witnessSeconds! + s.proveSeconds).toFixed(1)} s` : ''}`),
  );
  const prove = segs.map((s) => (s.proveSeconds ?? NaN) + (s.witnessSeconds ?? NaN));
  say(`segments    ${segs.length}, ${segs.reduce((a, s) => a + s.constraints, 0)} constraints in all${Number.isFinite(prove[0]) ? `; slowest segment ≈ ${Math.max(...prove).toFixed(1)} s (the latency with one machine per segment)` : ''}`);
  emit({ model, segments: segs });
}
