/**
 * What a verifier must trust, as attacks (issue 18 §2, §3; issue 14 "prover checks itself"), on tiny MatMul
 * models written with the ONNX writer:
 * - hashed params: a proof made with the genuine proving key after changing one weight is refused by a
 *   trusted key alone (the key binds the weights' commitment), without compiled.json;
 * - a proof from another model whose embedded key is relabelled with the honest model's hashes is valid only
 *   for its own key: `verify --model` says it proves nothing about the model (exit 4), and any trusted key
 *   (artifacts, key file, key hash) refuses it;
 * - the prover refuses to hand out a receipt that does not verify (run/prove --json name the failed check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { relabel, tinyReluModel } from './helpers/synthetic.js';
import { ROOT } from './helpers/conformance.js';
import { provePipeline, tempDir, terminateCurve } from './helpers/pipeline.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { circuitInputFor, readProgram } from '../src/prove/prove.js';
import { assembleReceipt, prepareWitness, toTensors } from '../src/prove/receipt-build.js';
import { calculateWtns } from '../src/toolchain/witness.js';
import { artifactPaths, readJson } from '../src/artifacts/layout.js';
import { readCompiled, readSetup } from '../src/setup.js';
import type { KeyBinding, Receipt } from '../src/receipt.js';
import { SelfCheckError } from '../src/errors.js';

afterAll(terminateCurve);

const BIN = path.join(ROOT, 'bin', 'zkinfer.js');
const work = tempDir('zkinfer-trust-');
const zk = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ZKINFER_CACHE: path.join(work, 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const tinyModel = (name: string, seed: number): string => tinyReluModel(work, name, seed);
const INPUT = path.join(work, 'input.json');
const bindingOf = (r: Receipt): KeyBinding => (r.verificationKey as { zkinfer: KeyBinding }).zkinfer;
const trustedArtifacts = (dir: string) => ({ compiled: readCompiled(dir), setup: readSetup(dir, readCompiled(dir)), vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'vk') });

beforeAll(() => writeFileSync(INPUT, JSON.stringify({ input: [[0.5, -0.25, 0.75, -1]] })));

describe('issue 18 §2: with hashed params, the key alone pins the weights', () => {
  it('attack: a proof with the genuine proving key after changing one weight is refused by a trusted key, without compiled.json', async () => {
    const model = tinyModel('hashed', 1);
    const honest = await provePipeline({ modelPath: model, input: INPUT, paramVisibility: 'hashed', outDir: path.join(work, 'hashed') });
    const { dir } = honest;
    expect(honest.verified.ok, honest.verified.failed?.detail).toBe(true);
    expect(bindingOf(honest.receipt).paramsCommitment).toBe(honest.compiled.info.paramsCommitment);

    // The attacker: the genuine artifacts and proving key, one weight changed, a real Groth16 proof.
    const compiled = readCompiled(dir);
    const program = readProgram(dir);
    program.params[0]!.values[0] = program.params[0]!.values[0]! + 1000n;
    const real = circuitInputFor(dir, INPUT, compiled);
    const prepared = prepareWitness(compiled, program, real.inputs, real.salts.params);
    const wtns = await calculateWtns({ wasmPath: artifactPaths(dir).wasm, input: prepared.circuitInput });
    const { proof, publicSignals } = await snarkjs.groth16.prove(artifactPaths(dir).zkey, wtns);
    const vk = readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'vk');
    expect(await snarkjs.groth16.verify(vk, publicSignals, proof)).toBe(true); // Groth16 alone accepts it: the weights are private signals
    const forged: Receipt = structuredClone(honest.receipt);
    Object.assign(forged, { proof, publicSignals, outputs: toTensors(compiled.outputs, prepared.outputs) });
    const pc = compiled.layout.signals.findIndex((g) => g.kind === 'commitment' && g.of === 'params');
    forged.commitments = { ...forged.commitments, params: publicSignals[pc]! };
    expect(forged.outputs![0]!.integers).not.toEqual(honest.receipt.outputs![0]!.integers);

    // Refused by the key alone: as a trusted key file, as a trusted key hash, and embedded.
    for (const v of [await verifyReceipt({ receipt: forged, trusted: { vk } }), await verifyReceipt({ receipt: forged, trustedVkHash: honest.receipt.vkHash }), await verifyReceipt({ receipt: forged })]) {
      expect(v.verdict).toBe('invalid');
      expect(v.failed?.name).toBe('model-binding');
      expect(v.failed?.detail).toMatch(/parameter commitment .* is not the one the key binds .*: the proof was made with other weights/);
    }
    const file = path.join(work, 'forged-weights.json');
    writeFileSync(file, JSON.stringify(forged));
    const cli = zk(['verify', file, '--vk', artifactPaths(dir).vkey, '--json']);
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ verified: false, verdict: 'invalid', failed: 'model-binding' });

    // Our own prover refuses to package it: the self-check names the check.
    const err = await assembleReceipt({ compiled, setup: readSetup(dir, compiled), vk, prepared, proof, publicSignals }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SelfCheckError);
    expect((err as SelfCheckError).check.name).toBe('model-binding');
  });
});

describe('issue 18 §3: trust in the key comes from something the prover does not control', () => {
  let honestDir: string;
  let honestModel: string;
  let honest: Receipt;
  let attack: Receipt;
  const attackFile = path.join(work, 'relabelled.json');

  beforeAll(async () => {
    honestModel = tinyModel('honest', 2);
    const h = await provePipeline({ modelPath: honestModel, input: INPUT, outDir: path.join(work, 'honest') });
    honestDir = h.dir;
    honest = h.receipt;
    writeFileSync(path.join(work, 'honest.json'), JSON.stringify(honest));
    // The attacker proves with another model, then relabels its own key with the honest model's identity.
    const other = await provePipeline({ modelPath: tinyModel('other', 5), input: INPUT, outDir: path.join(work, 'other') });
    attack = relabel(other.receipt, honest);
    expect(attack.outputs![0]!.integers).not.toEqual(honest.outputs![0]!.integers);
    writeFileSync(attackFile, JSON.stringify(attack));
  });

  it('attack: the relabelled key verifies only as untrusted; verify --model says it proves nothing about the model (exit 4)', async () => {
    const lib = await verifyReceipt({ receipt: attack });
    expect(lib.ok).toBe(true); // the proof is valid for the key it carries...
    expect(lib.verdict).toBe('untrusted'); // ...which nothing vouches for
    expect(lib.trust).toMatchObject({ trusted: false, by: expect.stringMatching(/embedded in the receipt/) });

    const cli = zk(['verify', attackFile, '--model', honestModel]);
    expect(cli.code).toBe(4);
    expect(cli.stderr).toMatch(/model-file .* rebuilds to exactly the receipt's circuit .* that key is untrusted, so this proves nothing about/);
    expect(cli.stderr).toMatch(/NOT VERIFIED FOR THE MODEL/);
    expect(cli.stderr).toMatch(/key: UNTRUSTED/);
    expect(cli.stderr).not.toMatch(/^verified/m);
  });

  it('attack: every trusted source of the honest key refuses the relabelled receipt (artifacts, key file, key hash)', async () => {
    for (const v of [await verifyReceipt({ receipt: attack, trusted: trustedArtifacts(honestDir) }), await verifyReceipt({ receipt: attack, trustedVkHash: honest.vkHash })]) {
      expect(v.verdict).toBe('invalid');
      expect(v.failed?.name).toBe('vk-hash');
    }
    const vk = readJson<Record<string, unknown>>(artifactPaths(honestDir).vkey, 'vk');
    expect((await verifyReceipt({ receipt: attack, trusted: { vk } })).failed?.name).toBe('vk-hash');
    const h = zk(['verify', attackFile, '--vk-hash', honest.vkHash]);
    expect(h.code).toBe(1);
    // the two hashes are shown where they differ, not cut to a shared prefix
    const [a, b] = [...h.stderr.matchAll(/hashes to ([0-9a-f]+)…, not to the key hash you trust \(([0-9a-f]+)…/g)][0]!.slice(1);
    expect(a).not.toBe(b);
  });

  it('the honest receipt with a trusted key and --model: verified (exit 0), the model file rebuilds to the trusted key\'s circuit', () => {
    const r = zk(['verify', path.join(work, 'honest.json'), '--model', honestModel, '--vk-hash', honest.vkHash]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/whose key is trusted by the key hash you gave/);
    expect(r.stderr).toMatch(/^verified: /m);
  });

  it('a relabelled model file name is refused by the key, which binds it', async () => {
    const t = structuredClone(honest);
    t.model.file = 'famous-model.onnx';
    const v = await verifyReceipt({ receipt: t, trustedVkHash: honest.vkHash });
    expect(v.failed?.name).toBe('model-binding');
    expect(v.failed?.detail).toMatch(/model file name: the receipt says "famous-model\.onnx", the key binds "honest\.onnx"/);
  });
});

describe('issue 14: the prover checks itself', () => {
  it('run --json and prove --json name the failed check and write no receipt when the receipt would not verify', () => {
    const model = tinyModel('selfcheck', 3);
    const dir = path.join(work, 'selfcheck');
    const first = zk(['run', model, '--input', INPUT, '--dir', dir, '--param-visibility', 'hashed', '-o', path.join(work, 'sc-ok.json'), '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ verified: true, verdict: 'verified', trust: { trusted: true } });
    // Break the artifacts the way a bug would: the integer program's weights no longer are the committed ones.
    const programFile = artifactPaths(dir).program;
    const program = JSON.parse(readFileSync(programFile, 'utf8')) as { params: { values: string[] }[] };
    program.params[0]!.values[0] = String(BigInt(program.params[0]!.values[0]!) + 1n);
    writeFileSync(programFile, JSON.stringify(program));
    for (const cmd of [['run', model, '--input', INPUT, '--dir', dir, '--param-visibility', 'hashed'], ['prove', dir, '--input', INPUT]]) {
      const out = path.join(work, `sc-${cmd[0]}.json`);
      const r = zk([...cmd, '-o', out, '--json']);
      expect(r.code, cmd[0]).toBe(3);
      expect(JSON.parse(r.stdout)).toMatchObject({ verified: false, verdict: 'invalid', failed: 'model-binding', reason: expect.stringMatching(/other weights/) });
      expect(r.stderr).toMatch(/internal error\[self-check\]: .*check 'model-binding' failed/);
      expect(existsSync(out), cmd[0]).toBe(false);
    }
  });
});
