/**
 * Visibility modes (input public/private/hashed × output public/hashed), Poseidon commitments computed the
 * same in TypeScript (circomlibjs) and in the circuit (circomlib), openings, and prover signatures.
 */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Wallet } from 'ethers';
import { ROOT } from './helpers/conformance.js';
import { provePipeline, terminateCurve } from './helpers/pipeline.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { signReceipt } from '../src/prove/sign.js';
import { poseidonChain, poseidonHash } from '../src/commit/poseidon.js';
import { commitmentOf, packAll } from '../src/quantize/layout.js';
import type { KeyBinding, Receipt } from '../src/receipt.js';

afterAll(terminateCurve);
const bindingOf = (r: Receipt): KeyBinding => (r.verificationKey as { zkinfer: KeyBinding }).zkinfer;

const MODEL = path.join(ROOT, 'models/mnist-mlp/model.onnx');
const INPUT = path.join(ROOT, 'models/mnist-mlp/input.json');

describe('every visibility combination compiles, proves and verifies (bundled model)', () => {
  for (const input of ['public', 'private', 'hashed'] as const) {
    for (const output of ['public', 'hashed'] as const) {
      it(`input ${input}, output ${output}`, async () => {
        const r = await provePipeline({ modelPath: MODEL, input: INPUT, inputVisibility: input, outputVisibility: output });
        expect(r.verified.ok, r.verified.failed?.detail).toBe(true);
        const { receipt, proved } = r;
        expect(receipt.visibility).toEqual({ input, output, params: 'fixed' });
        expect(receipt.inputs !== undefined).toBe(input === 'public');
        expect(receipt.outputs !== undefined).toBe(output === 'public');
        const logits = proved.outputs[0]!.data;
        expect(logits.indexOf(Math.max(...logits))).toBe(7);
        const layout = (receipt.verificationKey as { zkinfer: KeyBinding }).zkinfer.layout;
        // packing: 784 8-bit pixels travel in ⌈784 / 31⌉ = 26 public signals instead of 784
        expect(receipt.publicSignals.length).toBe(layout.signals.length);
        if (input === 'public') expect(layout.signals.filter((g) => g.of === 'input')).toHaveLength(26);
        if (input === 'private') expect(layout.signals.some((g) => g.of === 'input')).toBe(false);
        console.log(`visibility input=${input} output=${output}: ${r.compiled.info.constraints.total} constraints, ${receipt.publicSignals.length} public signals`);

        if (r.proved.opening) {
          // the opening recomputes every commitment; a wrong salt or value does not
          const ok = await verifyReceipt({ receipt, opening: r.proved.opening });
          expect(ok.checks.find((c) => c.name === 'opening')?.ok).toBe(true);
          const bad = structuredClone(r.proved.opening);
          const part = (bad.input ?? bad.output)!;
          part.salt = (BigInt(part.salt) + 1n).toString();
          expect((await verifyReceipt({ receipt, opening: bad })).failed?.name).toBe('opening');
          const bad2 = structuredClone(r.proved.opening);
          const t = (bad2.input ?? bad2.output)!.tensors[0]!;
          t.data[0] = t.data[0]! + 1;
          expect((await verifyReceipt({ receipt, opening: bad2 })).failed?.name).toBe('opening');
          // a changed commitment fails
          const c = structuredClone(receipt);
          const key = input === 'hashed' ? 'input' : 'output';
          c.commitments![key] = (BigInt(c.commitments![key]!) + 1n).toString();
          expect((await verifyReceipt({ receipt: c })).failed?.name).toBe('commitments');
        }
      });
    }
  }
});

describe('parameter visibility', () => {
  const m = path.join(ROOT, '../shared/conformance/models/ezkl/1l_mlp');
  for (const params of ['private', 'hashed'] as const) {
    it(`params ${params}: weights are range-checked private signals${params === 'hashed' ? ' under a public Poseidon commitment' : ''}`, async () => {
      const fixed = await provePipeline({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'input.json'), input: path.join(m, 'input.json') });
      const r = await provePipeline({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'input.json'), input: path.join(m, 'input.json'), paramVisibility: params });
      expect(r.verified.ok, r.verified.failed?.detail).toBe(true);
      expect(r.receipt.visibility.params).toBe(params);
      // same integer semantics as with fixed weights
      expect(r.proved.outputs).toEqual(fixed.proved.outputs);
      expect(r.compiled.info.paramSignals).toBe(16); // 4×3 weights + 4 biases
      console.log(`1l_mlp params ${params}: ${r.compiled.info.constraints.total} constraints (fixed: ${fixed.compiled.info.constraints.total})`);
      if (params === 'hashed') {
        expect(r.receipt.commitments!.params).toBe(r.compiled.info.paramsCommitment);
        // the commitment is the model's, the same in every proof of it
        const again = await provePipeline({ modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'input.json'), input: path.join(m, 'input.json'), paramVisibility: params, outDir: r.dir });
        expect(again.receipt.commitments!.params).toBe(r.receipt.commitments!.params);
        const t = structuredClone(r.receipt);
        t.commitments!.params = '1';
        expect((await verifyReceipt({ receipt: t })).failed?.name).toBe('model-binding'); // the key binds the weights' commitment
        expect(bindingOf(r.receipt).paramsCommitment).toBe(r.compiled.info.paramsCommitment);
        const u = structuredClone(r.receipt); // a receipt whose commitment field is not its public signal
        const i = bindingOf(u).layout.signals.findIndex((g) => g.kind === 'commitment' && g.of === 'params');
        u.publicSignals[i] = '1';
        expect((await verifyReceipt({ receipt: u })).failed?.name).toBe('commitments');
      }
    });
  }
});

describe('parameter visibility on convolutions and refused ops', () => {
  const m = path.join(ROOT, '../shared/conformance/models/ezkl/1l_conv');
  const opts = { modelPath: path.join(m, 'model.onnx'), calibration: path.join(m, 'input.json'), input: path.join(m, 'input.json') };
  it('Conv weights and bias become private signals (hashed: committed); the outputs stay those of fixed weights within rounding', async () => {
    const fixed = await provePipeline(opts);
    const r = await provePipeline({ ...opts, paramVisibility: 'hashed' });
    expect(r.verified.ok, r.verified.failed?.detail).toBe(true);
    expect(r.compiled.info.paramSignals).toBe(4); // the 1×3×1×1 kernel + 1 bias
    expect(r.receipt.commitments!.params).toBe(r.compiled.info.paramsCommitment);
    const [a, b] = [r.proved.outputs[0]!.data, fixed.proved.outputs[0]!.data];
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(2 ** -8));
  });
  it('an op that takes its weights only as constants (PRelu) is refused with the node named, not silently left public', async () => {
    const p = path.join(ROOT, '../shared/conformance/models/ezkl/1l_prelu');
    await expect(provePipeline({ modelPath: path.join(p, 'model.onnx'), calibration: path.join(p, 'input.json'), input: path.join(p, 'input.json'), paramVisibility: 'private' })).rejects.toThrow(
      /node '\/layer\/PRelu' \(PRelu\): parameter .* can only be a constant of the circuit/,
    );
  });
});

describe('Poseidon', () => {
  it('matches circomlib reference vectors', async () => {
    expect(await poseidonHash([1n, 2n])).toBe(7853200120776062878684798364095072458815029376092732009249414926327459813530n);
  });

  it('the circuit commitment equals circomlibjs over the packed input, for a known salt', async () => {
    const r = await provePipeline({ modelPath: MODEL, input: INPUT, inputVisibility: 'hashed', outputVisibility: 'public' });
    const opening = r.proved.opening!.input!;
    const layout = (r.receipt.verificationKey as { zkinfer: KeyBinding }).zkinfer.layout;
    const ints = opening.tensors.map((t) => t.integers.map(BigInt));
    const commitment = commitmentOf(layout, 'input')!;
    expect(commitment.width).toBe(5); // Poseidon(6) per call: what circomlibjs's Poseidon contract can recompute on chain
    const expected = await poseidonChain(BigInt(opening.salt), packAll(ints, layout.inputs), commitment.width);
    expect(r.receipt.commitments!.input).toBe(expected.toString());
    // two proofs of the same input get different commitments: the salt is random
    const again = await provePipeline({ modelPath: MODEL, input: INPUT, inputVisibility: 'hashed', outDir: r.dir });
    expect(again.receipt.commitments!.input).not.toBe(r.receipt.commitments!.input);
  });
});

describe('signed receipts', () => {
  it('report the signer, fail --expect-signer for another key, and fail when changed after signing', async () => {
    const r = await provePipeline({ modelPath: path.join(ROOT, '../shared/conformance/models/ezkl/1l_mlp/model.onnx'), input: path.join(ROOT, '../shared/conformance/models/ezkl/1l_mlp/input.json'), calibration: path.join(ROOT, '../shared/conformance/models/ezkl/1l_mlp/input.json') });
    const alice = Wallet.createRandom();
    const mallory = Wallet.createRandom();
    const receipt: Receipt = structuredClone(r.receipt);
    await signReceipt(receipt, alice);
    const ok = await verifyReceipt({ receipt, expectSigner: alice.address });
    expect(ok.ok).toBe(true);
    expect(ok.signer).toBe(alice.address);
    const wrong = await verifyReceipt({ receipt, expectSigner: mallory.address });
    expect(wrong.failed?.name).toBe('signature');
    expect(wrong.failed?.detail).toMatch(new RegExp(`signed by ${alice.address}, expected ${mallory.address}`));
    const unsigned = await verifyReceipt({ receipt: r.receipt, expectSigner: alice.address });
    expect(unsigned.failed?.name).toBe('signature');
    // any field changed after signing breaks the signature (here one the proof does not cover)
    const later = structuredClone(receipt);
    later.createdAt = '2000-01-01T00:00:00.000Z';
    expect((await verifyReceipt({ receipt: later })).failed?.name).toBe('signature');
    // a signature claimed for another address
    const claimed = structuredClone(receipt);
    claimed.signature!.signer = mallory.address;
    expect((await verifyReceipt({ receipt: claimed })).failed?.name).toBe('signature');
  });
});
