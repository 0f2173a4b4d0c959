/**
 * Proofs bound to their prover (`compile --bind-prover`), on a real EVM (anvil): the prover's address is a
 * public signal the circuit squares (a public input in no constraint would not be bound by Groth16), the
 * registry accepts the proof only from that address, so a watcher front-running or replaying it is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers/conformance.js';
import { Wallet } from 'ethers';
import { provePipeline, tempDir } from './helpers/pipeline.js';
import { linearModel } from './helpers/synthetic.js';
import { DEV_KEYS, useLocalChain } from './helpers/evm.js';
import type { Chain } from '../src/chain/evm.js';
import { verifyOnChain } from '../src/chain/deploy.js';
import { deployRegistry, queryInferences, registerModel, submitReceipt } from '../src/chain/registry.js';
import { proveInference } from '../src/prove/prove.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled } from '../src/setup.js';
import type { Receipt } from '../src/receipt.js';
import { loadR1cs } from '../src/toolchain/r1cs.js';
import { artifactPaths } from '../src/artifacts/layout.js';

const ctx = useLocalChain();
let chain: Chain;
let owner: Wallet;
let prover: Wallet;
let watcher: Wallet;
let dir: string;
let receipt: Receipt;
let registry: string;
let verifier: string;
const clone = (): Receipt => structuredClone(receipt);
const withProverSignal = (r: Receipt, address: string): Receipt => {
  r.publicSignals[r.publicSignals.length - 1] = BigInt(address).toString();
  r.prover = address;
  return r;
};

beforeAll(async () => {
  ({ chain, wallet: owner } = ctx);
  prover = new Wallet(DEV_KEYS[1], chain.provider);
  watcher = owner; // any other account
  const { model, input } = linearModel(tempDir('zkinfer-prover-'), 4);
  const p = await provePipeline({ modelPath: model, input, inputVisibility: 'private', scale: 8, bindProver: true, prover: prover.address });
  expect(p.verified.ok, p.verified.failed?.detail).toBe(true);
  dir = p.dir;
  receipt = p.receipt;
  registry = (await deployRegistry({ chain, wallet: owner })).address;
  verifier = (await registerModel({ chain, wallet: owner, registry, dir })).verifier;
});

describe('--bind-prover: the prover address is a bound public signal', () => {
  it('is the last public signal, recorded in the receipt and checked by verify; it costs one constraint', async () => {
    const info = readCompiled(dir);
    expect(info.layout.signals.at(-1)).toEqual({ kind: 'prover', of: 'prover' });
    expect(receipt.prover).toBe(prover.address);
    expect(BigInt(receipt.publicSignals.at(-1)!)).toBe(BigInt(prover.address));
    const v = await verifyReceipt({ receipt });
    expect(v.checks.find((c) => c.name === 'prover')).toMatchObject({ ok: true });
    // The squaring: a constraint with the prover's public wire in both A and B (a Groth16 public input in no
    // constraint has a zero IC point and is not bound; --O2 would even substitute the copy away).
    const r1cs = await loadR1cs(artifactPaths(dir).r1cs);
    const wire = r1cs.nOutputs; // public outputs are wires 1..nOutputs; the prover is the last
    expect(wire).toBe(receipt.publicSignals.length);
    expect(r1cs.constraints.some((c) => c.a.some(([w]) => w === wire) && c.b.some(([w]) => w === wire))).toBe(true);
    const ic = (receipt.verificationKey as { IC: string[][] }).IC.at(-1)!;
    expect(ic).not.toEqual(['0', '1', '0']);
  });

  it('a proof with the prover signal changed is rejected, in Node and on chain', async () => {
    const t = withProverSignal(clone(), watcher.address);
    const v = await verifyReceipt({ receipt: t });
    expect(v.failed?.name).toBe('proof');
    expect((await verifyOnChain({ receipt: t, chain, address: verifier })).ok).toBe(false);
    expect((await verifyOnChain({ receipt, chain, address: verifier })).ok).toBe(true);
  });

  it("a receipt naming another prover than its signal fails verify's prover check", async () => {
    const t = clone();
    t.prover = watcher.address;
    expect((await verifyReceipt({ receipt: t })).failed?.name).toBe('prover');
  });

  it('prove refuses a bound circuit without a prover address, and a prover address for an unbound circuit', async () => {
    const { input } = linearModel(tempDir('zkinfer-prover-in-'), 4);
    await expect(proveInference({ dir, inputPath: input })).rejects.toThrow(/binds the prover.*/);
    await expect(proveInference({ dir, inputPath: input, prover: '0x1234' })).rejects.toThrow(/not an Ethereum address/);
  });
});

describe('registry: only the bound prover can submit', () => {
  it('front-running: a watcher submitting the prover\'s proof from another account is refused (NotTheProver)', async () => {
    await expect(submitReceipt({ chain, wallet: watcher, registry, verifier, receipt })).rejects.toThrow(/NotTheProver\(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\)/i);
    expect(await queryInferences({ chain, registry, verifier })).toHaveLength(0);
  });

  it('the prover submits: the event names it as prover and submitter; a replay by the watcher is refused', async () => {
    const r = await submitReceipt({ chain, wallet: prover, registry, verifier, receipt });
    expect(r.event).toMatchObject({ verifier, prover: prover.address, submitter: prover.address });
    console.log(`registry submit, bound prover (2 signals: 1 packed output + prover): ${r.gasUsed} gas`);
    await expect(submitReceipt({ chain, wallet: watcher, registry, verifier, receipt })).rejects.toThrow(/NotTheProver/);
    // Re-proving with its own address is the watcher's only way in: then it is the prover, honestly.
    const evs = await queryInferences({ chain, registry, verifier, prover: prover.address });
    expect(evs).toHaveLength(1);
  });

});

describe('CLI: prove --prover, registry submit by another account', () => {
  it('the receipt names the --prover address; submitting it from another key is a one-line NotTheProver error', () => {
    const work = tempDir('zkinfer-prover-cli-');
    const { input } = linearModel(work, 4);
    const out = path.join(work, 'r.json');
    const zk = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'zkinfer.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const p = zk(['prove', dir, '--input', input, '--prover', prover.address, '-o', out, '--json']);
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).prover).toBe(prover.address);
    const s = zk(['registry', 'submit', out, '--registry', registry, '--rpc', ctx.node.url, '--key', ctx.node.keyFiles[0]!, '--verifier', verifier]);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^error\[chain\]: .*reverted with NotTheProver\(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\)/m);
    const u = zk(['prove', dir, '--input', input, '-o', path.join(work, 'u.json')]);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/binds the prover.*--prover 0xADDR/s);
  });
});

