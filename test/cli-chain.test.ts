/** The chain commands as a user runs them, against a real local EVM (anvil, started here). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers/conformance.js';
import { tempDir } from './helpers/pipeline.js';
import { linearModel } from './helpers/synthetic.js';
import { DEV_KEYS, startLocalNode } from './helpers/evm.js';
import type { LocalNode } from './helpers/evm.js';

const BIN = path.join(ROOT, 'bin', 'zkinfer.js');
const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');
const INPUT = path.join(ROOT, 'models', 'mnist-mlp', 'input.json');

function zk(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ZKINFER_CACHE: path.join(tempDir(), 'cache'), ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: ReturnType<typeof zk>) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const oneLineError = (r: ReturnType<typeof zk>, code: string, pattern: RegExp) => {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('['));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error\\[${code}\\]: `));
  expect(lines[0]).toMatch(pattern);
};

let node: LocalNode;
let work: string;
let dir: string;
let receiptFile: string;
let address: string;

beforeAll(async () => {
  node = await startLocalNode();
  work = tempDir('zkinfer-cli-chain-');
  dir = path.join(work, 'mlp-private');
  receiptFile = path.join(work, 'receipt.json');
  expect(zk(['run', MODEL, '--input', INPUT, '--input-visibility', 'private', '--dir', dir, '-o', receiptFile]).code).toBe(0);
});

afterAll(async () => {
  await node?.stop();
});

describe('zkinfer chain commands', () => {
  it('estimate-gas predicts from the signal count; compile --json carries the same prediction', () => {
    const e = json(zk(['estimate-gas', dir, '--json']));
    expect(e).toMatchObject({ nPublic: 2, deployable: true }); // 10 logits of 36 bits: 7 per signal
    expect(e.gas.total).toBeGreaterThan(215_000);
    expect(e.gas.total).toBeLessThan(230_000);
    const c = json(zk(['compile', MODEL, '--input-visibility', 'private', '-o', dir, '--json']));
    expect(c.verifyGas).toEqual(e.gas);
    // Hashed input with the logits rounded to 2^-12: commitment + 1 packed signal, within the 225,000 target.
    const hashed = path.join(work, 'mlp-hashed');
    expect(zk(['compile', MODEL, '--input-visibility', 'hashed', '--output-scale', '12', '-o', hashed]).code).toBe(0);
    const p = json(zk(['estimate-gas', hashed, '--json']));
    expect(p).toMatchObject({ nPublic: 2, deployable: true });
    expect(p.gas.total).toBeLessThanOrEqual(225_000);
  });

  it('deploy, then verify --rpc: valid in Node and on chain; a tampered receipt is invalid in both', () => {
    const d = json(zk(['deploy', dir, '--rpc', node.url, '--key', node.keyFiles[0]!, '--json']));
    expect(d.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(d.runtimeBytes).toBeLessThan(24_576);
    address = d.address;
    expect(JSON.parse(readFileSync(path.join(dir, 'deployments.json'), 'utf8'))['31337'].address).toBe(address);

    const v = json(zk(['verify', receiptFile, '--rpc', node.url, '--address', address, '--json']));
    expect(v).toMatchObject({ verified: true, onChain: { ok: true, chainId: '31337' } });
    expect(Number(v.onChain.gas)).toBeGreaterThan(200_000);
    const human = zk(['verify', receiptFile, '--rpc', node.url, '--dir', dir]); // address from deployments.json
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/ok {3}on-chain +contract 0x.* says the proof verifies/);

    const r = JSON.parse(readFileSync(receiptFile, 'utf8'));
    r.publicSignals[0] = (BigInt(r.publicSignals[0]) + 1n).toString();
    r.outputs[0].integers[0] = String(BigInt(r.outputs[0].integers[0]) + 1n); // keep the decoded value consistent: only the proof can object
    r.outputs[0].data[0] = Number(BigInt(r.outputs[0].integers[0])) / 2 ** Number(r.outputs[0].scale);
    const bad = path.join(work, 'tampered.json');
    writeFileSync(bad, JSON.stringify(r));
    const t = zk(['verify', bad, '--rpc', node.url, '--address', address, '--json']);
    expect(t.code).toBe(1);
    expect(JSON.parse(t.stdout)).toMatchObject({ verified: false, failed: 'proof', onChain: { ok: false } });
  });

  it('registry deploy / register / address / submit / events; the same key registers once, at the address it derives', () => {
    const reg = json(zk(['registry', 'deploy', '--rpc', node.url, '--key', node.keyFiles[0]!, '--json'])).address as string;
    const before = json(zk(['registry', 'address', dir, '--registry', reg, '--rpc', node.url, '--json']));
    expect(before).toMatchObject({ registered: false });
    const r1 = json(zk(['registry', 'register', dir, '--registry', reg, '--rpc', node.url, '--key', node.keyFiles[0]!, '--uri', 'https://example.invalid/mlp', '--json']));
    expect(r1).toMatchObject({ verifier: before.verifier, modelId: before.modelId, already: false });
    expect(r1.verifier).not.toBe(address); // the registry's own copy, not `zkinfer deploy`'s
    expect(json(zk(['registry', 'register', dir, '--registry', reg, '--rpc', node.url, '--key', node.keyFiles[1]!, '--json']))).toMatchObject({ verifier: r1.verifier, already: true });
    expect(json(zk(['registry', 'address', dir, '--registry', reg, '--rpc', node.url, '--json'])).entry).toMatchObject({ registrant: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', metadataURI: 'https://example.invalid/mlp' });
    // The receipt's embedded key (trusted by its hash) derives the same verifier, without the artifacts.
    expect(json(zk(['registry', 'address', receiptFile, '--registry', reg, '--rpc', node.url, '--json']))).toMatchObject({ verifier: r1.verifier, registered: true, vkHash: before.vkHash });

    // Without --dir / --verifier: the one entry declaring the receipt's model and key.
    const s = json(zk(['registry', 'submit', receiptFile, '--registry', reg, '--rpc', node.url, '--json'], { ZKINFER_PRIVATE_KEY: DEV_KEYS[1] }));
    expect(s.event).toMatchObject({ verifier: r1.verifier, modelId: r1.modelId, inputRef: `0x${'0'.repeat(64)}`, prover: '0x0000000000000000000000000000000000000000', submitter: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' });
    for (const filter of [['--dir', dir], ['--model', r1.modelId]]) {
      const ev = json(zk(['registry', 'events', '--registry', reg, '--rpc', node.url, ...filter, '--json']));
      expect(ev.events).toHaveLength(1);
      expect(ev.events[0]).toMatchObject({ txHash: s.txHash, outputsHash: s.event.outputsHash });
    }
  });

  it('keys: never from the command line; a missing variable is a one-line error', () => {
    oneLineError(zk(['registry', 'deploy', '--rpc', node.url, '--key', DEV_KEYS[0]]), 'signer-key', /not the key itself/);
    oneLineError(zk(['registry', 'deploy', '--rpc', node.url], { ZKINFER_PRIVATE_KEY: '' }), 'signer-key', /not a private key/);
    oneLineError(zk(['registry', 'deploy', '--rpc', node.url, '--key', 'env:NO_SUCH_VAR_ZKINFER']), 'signer-key', /NO_SUCH_VAR_ZKINFER is not set/);
  });

  it('no node at the URL is a one-line chain error', () => {
    oneLineError(zk(['verify', receiptFile, '--rpc', 'http://127.0.0.1:9', '--address', '0x5FbDB2315678afecb367f032d93F642f64180aa3']), 'chain', /no Ethereum JSON-RPC node answers/);
  });

  it('deploy refuses a verifier over EIP-170 (2,500 outputs: ~280 public signals) before touching the chain', () => {
    const wide = path.join(work, 'wide');
    const { model } = linearModel(work, 2500);
    expect(zk(['compile', model, '--input-visibility', 'private', '-o', wide]).code).toBe(0);
    expect(zk(['setup', wide]).code).toBe(0);
    const e = json(zk(['estimate-gas', wide, '--json']));
    expect(e.nPublic).toBeGreaterThan(250);
    expect(e.deployable).toBe(false);
    oneLineError(zk(['deploy', wide, '--rpc', 'http://127.0.0.1:9', '--key', node.keyFiles[0]!]), 'contract-size', /ZkinferModel: runtime bytecode is \d+ bytes, over the EIP-170 limit of 24576 bytes.*--output-visibility hashed/);
  });
});
