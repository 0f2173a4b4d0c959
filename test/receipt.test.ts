/** A receipt with any public signal, decoded value, proof element or key changed fails verify, naming the check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Wallet } from 'ethers';
import { signReceipt } from '../src/prove/sign.js';
import { caseDir } from './helpers/conformance.js';
import { provePipeline, terminateCurve } from './helpers/pipeline.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { receiptSchemaValidator } from './helpers/schema.js';
import type { KeyBinding, Receipt } from '../src/receipt.js';
import { FIELD_P, decodeReal, exactTensor, receiptHash, showDiff } from '../src/receipt.js';
import { readCompiled, readSetup } from '../src/setup.js';
import { artifactPaths, readJson } from '../src/artifacts/layout.js';

afterAll(terminateCurve);

let receipt: Receipt;
let dir: string;
const clone = (): Receipt => structuredClone(receipt);
const addOne = (s: string): string => ((BigInt(s) + 1n) % FIELD_P).toString();

beforeAll(async () => {
  const m = caseDir('models', 'ezkl', '1l_mlp');
  const r = await provePipeline({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'input.json'), input: path.join(m, 'input.json') });
  expect(r.verified.ok).toBe(true);
  receipt = r.receipt;
  dir = r.dir;
});

describe('tampered receipts fail verify with the right reason', () => {
  it('the untouched receipt verifies, also against the artifacts', async () => {
    const trusted = { compiled: readCompiled(dir), setup: readSetup(dir, readCompiled(dir)), vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'vk') };
    const v = await verifyReceipt({ receipt, trusted });
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.name)).toEqual(['format', 'vk-hash', 'model-binding', 'artifacts', 'public-signals', 'outputs', 'inputs', 'proof']);
  });

  const groups = () => (receipt.verificationKey as { zkinfer: KeyBinding }).zkinfer.layout.signals;

  it('every public signal changed, with the decoded values changed to match: the proof fails', async () => {
    expect(groups().map((g) => g.kind)).toEqual(['packed', 'packed']); // 4 outputs in one signal, 3 inputs in one
    for (let i = 0; i < receipt.publicSignals.length; i++) {
      const r = clone();
      r.publicSignals[i] = addOne(r.publicSignals[i]!);
      // +1 on a packed signal is +1 on its first element: keep the decoded value consistent with it
      const g = groups()[i]!;
      if (g.kind !== 'packed') throw new Error('unexpected layout');
      const t = (g.of === 'output' ? r.outputs! : r.inputs!)[g.tensor]!;
      t.integers[g.start] = String(BigInt(t.integers[g.start]!) + 1n);
      t.data[g.start] = decodeReal(BigInt(t.integers[g.start]!), Number(t.scale));
      const v = await verifyReceipt({ receipt: r });
      expect(v.ok, `signal ${i}`).toBe(false);
      expect(v.failed!.name).toBe('proof');
    }
  });

  it('every public signal changed alone: the decoded values no longer match', async () => {
    for (let i = 0; i < receipt.publicSignals.length; i++) {
      const r = clone();
      r.publicSignals[i] = addOne(r.publicSignals[i]!);
      const v = await verifyReceipt({ receipt: r });
      expect(v.failed?.name).toBe(groups()[i]!.of === 'output' ? 'outputs' : 'inputs');
    }
  });

  it('every output and input value changed: its exact integer, or only the real number shown beside it', async () => {
    for (const key of ['outputs', 'inputs'] as const) {
      for (let j = 0; j < receipt[key]![0]!.data.length; j++) {
        const r = clone();
        const t = r[key]![0]!;
        t.integers[j] = String(BigInt(t.integers[j]!) + 1n);
        t.data[j] = decodeReal(BigInt(t.integers[j]!), Number(t.scale));
        const v = await verifyReceipt({ receipt: r });
        expect(v.failed?.name).toBe(key);
        expect(v.failed?.detail).toMatch(/is not the proved value/);
        const shown = clone();
        shown[key]![0]!.data[j]! += 0.5; // what a page or CLI would display: bound to the integer
        const w = await verifyReceipt({ receipt: shown });
        expect(w.failed?.name).toBe(key);
        expect(w.failed?.detail).toMatch(/the real number shown, .* is not its integer/);
      }
    }
  });

  it('a zkinfer.receipt/1 receipt (real numbers only) is still read where exact, and refused naming the format where not', async () => {
    const v1 = clone() as unknown as { format: string; outputs: { scale: number | string; integers?: string[]; data: number[] }[]; inputs: { scale: number | string; integers?: string[] }[] };
    v1.format = 'zkinfer.receipt/1';
    for (const t of [...v1.outputs, ...v1.inputs]) {
      t.scale = Number(t.scale);
      delete t.integers;
    }
    const ok = await verifyReceipt({ receipt: v1 });
    expect(ok.ok, ok.failed?.detail).toBe(true);
    expect(ok.checks.find((c) => c.name === 'outputs')!.detail).toMatch(/format \/1: re-encoded from its real numbers/);
    // a value whose integer needs more than 53 bits cannot be re-encoded from a float64
    const big = structuredClone(v1);
    big.outputs[0]!.data[0] = 2 ** 60 / 2 ** (big.outputs[0]!.scale as number);
    const w = await verifyReceipt({ receipt: big });
    expect(w.failed?.name).toBe('outputs');
    expect(w.failed?.detail).toMatch(/cannot be re-encoded exactly: .*more than 53 bits.*zkinfer\.receipt\/1.*zkinfer\.receipt\/2/);
    expect((await verifyReceipt({ receipt: { ...clone(), format: 'zkinfer.receipt/9' } })).failed?.detail).toMatch(/format is "zkinfer.receipt\/9": this verifier reads "zkinfer.receipt\/2" and "zkinfer.receipt\/1"/);
  });

  it('integers far beyond a float64 (101 bits) round-trip exactly through the receipt', () => {
    const v = -(2n ** 100n) - 12345n;
    const t = exactTensor({ name: 'y', shape: [1], scale: 89 }, [v]);
    const back = JSON.parse(JSON.stringify(t)) as typeof t;
    expect(BigInt(back.integers[0]!)).toBe(v);
    expect(back.scale).toBe('89');
    expect(back.data[0]).toBe(decodeReal(v, 89));
    expect(BigInt(back.data[0]! * 2 ** 89)).not.toBe(v); // the float64 alone would lose it: why /1 failed
  });

  it('every proof element changed', async () => {
    const edits: ((r: Receipt) => void)[] = [
      (r) => (r.proof.pi_a[0] = addOne(r.proof.pi_a[0]!)),
      (r) => (r.proof.pi_a[1] = addOne(r.proof.pi_a[1]!)),
      (r) => (r.proof.pi_b[0]![0] = addOne(r.proof.pi_b[0]![0]!)),
      (r) => (r.proof.pi_b[1]![1] = addOne(r.proof.pi_b[1]![1]!)),
      (r) => (r.proof.pi_c[0] = addOne(r.proof.pi_c[0]!)),
      (r) => (r.proof.pi_c[1] = addOne(r.proof.pi_c[1]!)),
      (r) => ([r.proof.pi_a, r.proof.pi_c] = [r.proof.pi_c, r.proof.pi_a]),
    ];
    for (const edit of edits) {
      const r = clone();
      edit(r);
      const v = await verifyReceipt({ receipt: r });
      expect(v.ok).toBe(false);
      expect(v.failed!.name).toBe('proof');
    }
  });

  it('a changed verification key or key hash', async () => {
    const r1 = clone();
    (r1.verificationKey.IC as string[][])[1]![0] = '1';
    expect((await verifyReceipt({ receipt: r1 })).failed?.name).toBe('vk-hash');
    const r2 = clone();
    r2.vkHash = '0'.repeat(64);
    expect((await verifyReceipt({ receipt: r2 })).failed?.name).toBe('vk-hash');
  });

  it('a receipt claiming another model fails against the artifacts', async () => {
    const trusted = { compiled: readCompiled(dir), setup: readSetup(dir, readCompiled(dir)), vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'vk') };
    const r = clone();
    r.model.fileSha256 = 'f'.repeat(64);
    const v = await verifyReceipt({ receipt: r, trusted });
    expect(v.failed?.name).toBe('model-binding');
    expect(v.failed?.detail).toMatch(/model file sha256: the receipt says f{16,}…, the key binds [0-9a-f]{16,}…/);
    const other = { ...trusted, compiled: { ...trusted.compiled, model: { ...trusted.compiled.model, fileSha256: 'e'.repeat(64) } } };
    const w = await verifyReceipt({ receipt, trusted: other });
    expect(w.failed?.name).toBe('artifacts');
    expect(w.failed?.detail).toMatch(/model file sha256: the receipt says [0-9a-f]{16}…, the artifacts e{16}…/);
  });

  it('hash mismatches show where the hashes differ, not the same first 16 characters', async () => {
    const r = clone();
    r.vkHash = `${receipt.vkHash.slice(0, 20)}${receipt.vkHash[20] === '0' ? '1' : '0'}${receipt.vkHash.slice(21)}`;
    const v = await verifyReceipt({ receipt: r });
    expect(v.failed?.name).toBe('vk-hash');
    const [a, b] = [...v.failed!.detail.matchAll(/([0-9a-f]{16,})…/g)].map((m) => m[1]!);
    expect(a).not.toBe(b);
    expect(a!.length).toBe(28); // through the first difference (character 21) and 8 more
    expect(showDiff('abc', 'abd')).toEqual(['abc', 'abd']);
  });

  it('malformed receipts fail the format check', async () => {
    for (const bad of [null, [], 'x', { ...clone(), format: 'other/1' }, { ...clone(), publicSignals: [1, 2] }, { ...clone(), outputs: [{ name: 'o', shape: [2], scale: 0, data: [1] }] }, { ...clone(), outputs: [{ name: 'o', shape: [1], scale: 0, data: ['1'] }] }]) {
      expect((await verifyReceipt({ receipt: bad })).failed?.name).toBe('format');
    }
  });

  it('conforms to the published JSON Schema (docs/receipt.schema.json), signed or not', async () => {
    const validate = receiptSchemaValidator();
    expect(validate(receipt), JSON.stringify(validate.errors)).toBe(true);
    const signed = clone();
    await signReceipt(signed, Wallet.createRandom());
    expect(validate(signed), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...clone(), extra: 1 })).toBe(false);
  });

  it('tamper matrix: every field of a signed receipt, changed, fails verify with its reason', async () => {
    const signed = clone();
    const alice = Wallet.createRandom();
    await signReceipt(signed, alice);
    expect((await verifyReceipt({ receipt: signed, expectSigner: alice.address })).ok).toBe(true);
    const cases: [string, (r: Receipt) => void, string][] = [
      ['format', (r) => ((r as { format: string }).format = 'zkinfer.receipt/3'), 'format'],
      ['model.fileSha256', (r) => (r.model.fileSha256 = 'a'.repeat(64)), 'model-binding'],
      ['model.quantizedSha256', (r) => (r.model.quantizedSha256 = 'b'.repeat(64)), 'model-binding'],
      ['model.file (bound by the key)', (r) => (r.model.file = 'other.onnx'), 'model-binding'],
      ['model.name (bound by the key)', (r) => (r.model.name = 'other'), 'model-binding'],
      ['circuitHash', (r) => (r.circuitHash = 'c'.repeat(64)), 'model-binding'],
      ['vkHash', (r) => (r.vkHash = 'd'.repeat(64)), 'vk-hash'],
      ['verificationKey', (r) => ((r.verificationKey.vk_alpha_1 as string[])[0] = '1'), 'vk-hash'],
      ['verificationKey.zkinfer', (r) => ((r.verificationKey as { zkinfer: KeyBinding }).zkinfer.outputs[0]!.scale += 1), 'vk-hash'],
      ['visibility.input', (r) => (r.visibility.input = 'private'), 'model-binding'],
      ['visibility.output', (r) => (r.visibility.output = 'hashed'), 'model-binding'],
      ['setup.dev', (r) => (r.setup.dev = false), 'model-binding'],
      ['outputs.data', (r) => (r.outputs![0]!.data[1]! += 2 ** -Number(r.outputs![0]!.scale)), 'outputs'],
      ['outputs.integers', (r) => (r.outputs![0]!.integers[1] = String(BigInt(r.outputs![0]!.integers[1]!) + 1n)), 'outputs'],
      ['outputs.scale', (r) => (r.outputs![0]!.scale = String(Number(r.outputs![0]!.scale) + 1)), 'outputs'],
      ['outputs.name', (r) => (r.outputs![0]!.name = 'x'), 'outputs'],
      ['inputs.data', (r) => (r.inputs![0]!.data[2]! -= 2 ** -Number(r.inputs![0]!.scale)), 'inputs'],
      ['inputs removed', (r) => delete r.inputs, 'inputs'],
      ['publicSignals', (r) => (r.publicSignals[0] = addOne(r.publicSignals[0]!)), 'outputs'],
      ['publicSignals dropped', (r) => r.publicSignals.pop(), 'public-signals'],
      ['proof.pi_a', (r) => (r.proof.pi_a[0] = addOne(r.proof.pi_a[0]!)), 'signature'],
      ['createdAt', (r) => (r.createdAt = '2001-01-01T00:00:00.000Z'), 'signature'],
      ['signature.value', (r) => (r.signature!.value = `${r.signature!.value.slice(0, 20)}${r.signature!.value[20] === 'a' ? 'b' : 'a'}${r.signature!.value.slice(21)}`), 'signature'],
      ['signature.signer', (r) => (r.signature!.signer = Wallet.createRandom().address), 'signature'],
    ];
    for (const [what, edit, reason] of cases) {
      const r = structuredClone(signed);
      edit(r);
      const v = await verifyReceipt({ receipt: r, expectSigner: alice.address });
      expect(v.ok, what).toBe(false);
      expect(v.failed?.name, what).toBe(reason);
    }
    // unsigned: a changed proof is caught by the pairing check itself
    const r = clone();
    r.proof.pi_c[0] = addOne(r.proof.pi_c[0]!);
    expect((await verifyReceipt({ receipt: r })).failed?.name).toBe('proof');
  });

  it('receipt hash ignores only the signature', () => {
    const r = clone();
    expect(receiptHash(r)).toBe(receiptHash({ ...r, signature: { scheme: 'x', signer: 'y', value: 'z' } }));
    r.outputs![0]!.data[0]! += 1;
    expect(receiptHash(r)).not.toBe(receiptHash(receipt));
  });
});
