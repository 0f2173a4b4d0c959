/**
 * The immediate answer's fast paths agree bit for bit with the reference: the prepared integer program
 * (doubles where provably exact, `evaluate` elsewhere), the direct input/output hashes, and the attestation
 * signed on a thread.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { readProgram } from '../src/prove/prove.js';
import { evaluate } from '../src/quantize/program.js';
import type { Program, Step } from '../src/quantize/program.js';
import type { Lin } from '../src/quantize/lin.js';
import { canonicalJson, sha256 } from '../src/artifacts/hash.js';
import { prepareProgram } from '../src/serve/fast-program.js';
import { describeModel, evaluateInput, intsHash } from '../src/serve/models.js';
import { threadedSigner } from '../src/serve/sign-thread.js';
import { attest, attestationSigner, ATTESTATION_FORMAT } from '../src/serve/attest.js';
import { MLP_INPUTS, buildMlp } from './helpers/serve.js';

/** Deterministic pseudo-random bigints in [lo, hi]. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return (lo: bigint, hi: bigint): bigint => lo + BigInt(Math.floor(next() * Number(hi - lo + 1n)));
}
const lin = (terms: [number, bigint][], c = 0n): Lin => ({ terms: new Map(terms), c });
const same = (p: Program, inputs: bigint[][]) => expect(canonicalJson(prepareProgram(p).outputs(inputs))).toBe(canonicalJson(evaluate(p, inputs).outputs));

describe('prepared integer program', () => {
  it('the bundled MLP runs in doubles and answers exactly as evaluate, on its sample inputs, extremes and random inputs', async () => {
    const dir = await buildMlp(); // shared with the other serve tests of the run
    const program = readProgram(dir);
    const prepared = prepareProgram(program);
    expect(prepared.fast, prepared.reason).toBe(true);
    const spec = program.inputs[0]!;
    const n = spec.signals.length;
    const r = rng(7);
    const cases: bigint[][][] = [[new Array<bigint>(n).fill(spec.lo)], [new Array<bigint>(n).fill(spec.hi)]];
    for (let i = 0; i < 40; i++) cases.push([Array.from({ length: n }, () => r(spec.lo, spec.hi))]);
    for (const inputs of cases) same(program, inputs);
    const model = describeModel(dir);
    for (const f of MLP_INPUTS) {
      const ev = evaluateInput(model, JSON.parse(readFileSync(f, 'utf8')));
      expect(canonicalJson(ev.outputs)).toBe(canonicalJson(evaluate(program, ev.inputs).outputs));
      expect(ev.outputsHash).toBe(sha256(canonicalJson(ev.outputs)));
    }
  });

  // a program with every step kind the double path takes: negative values, floors of negatives, relu, max, products, params
  const small: Program = {
    nSignals: 8,
    lo: [], hi: [],
    inputs: [{ name: 'x', shape: [2], scale: 0, lo: -(1n << 20n), hi: (1n << 20n) - 1n, signals: [0, 1] }],
    params: [{ name: 'w', shape: [1], scale: 0, lo: -100n, hi: 100n, signals: [2], values: [-77n] }],
    outputs: [{ name: 'y', shape: [3], scale: 0, exprs: [lin([[6, 1n]]), lin([[7, 3n], [3, -1n]], 5n), lin([[4, 1n], [5, -2n]])] }],
    steps: [
      { kind: 'input', input: 0, signals: [0, 1], signed: true, bits: 20 },
      { kind: 'param', param: 0, signals: [2], bits: 7 },
      { kind: 'mul', out: 3, a: lin([[0, 3n]], -1n), b: lin([[1, 1n], [2, 1n]]), node: 'm' },
      { kind: 'rescale', out: 4, in: lin([[3, 1n]], 7n), m: 50, k: 5, relu: false, node: 'r' },
      { kind: 'rescale', out: 5, in: lin([[0, -5n], [1, 1n]]), m: 30, k: 3, relu: true, node: 'relu' },
      { kind: 'max', out: 6, a: lin([[4, 1n]]), b: lin([[5, 2n]], -9n), m: 50, node: 'x' },
      { kind: 'rescale', out: 7, in: lin([[6, -1n]]), m: 50, k: 1, relu: false, node: 'neg' },
    ] as Step[],
  };

  it('mul, rescale (floors of negatives, relu), max and params agree with evaluate', () => {
    expect(prepareProgram(small).fast).toBe(true);
    const r = rng(3);
    const [lo, hi] = [small.inputs[0]!.lo, small.inputs[0]!.hi];
    const cases = [[lo, lo], [hi, hi], [lo, hi], [0n, 0n], [-1n, 1n]];
    for (let i = 0; i < 300; i++) cases.push([r(lo, hi), r(lo, hi)]);
    for (const c of cases) same(small, [c]);
  });

  it('an input outside its range check is answered by evaluate itself (no double rounding)', () => {
    same(small, [[(1n << 40n) + 1n, -(1n << 40n) - 3n]]);
  });

  it('a product that may pass 2^53, or a step kind without a double form, makes the whole program run in bigints', () => {
    const wide: Program = { ...small, steps: small.steps.map((s) => (s.kind === 'input' ? { ...s, bits: 30 } : s)), inputs: [{ ...small.inputs[0]!, lo: -(1n << 30n), hi: (1n << 30n) - 1n }] };
    const p = prepareProgram(wide);
    expect(p.fast).toBe(false);
    expect(p.reason).toMatch(/node 'm': product may reach 6\d bits/);
    // values where doubles would round: the answer is still exact
    same(wide, [[(1n << 30n) - 1n, (1n << 30n) - 3n]]);
    expect(prepareProgram(wide).outputs([[(1n << 30n) - 1n, (1n << 30n) - 3n]])[0]![0]).toBe(evaluate(wide, [[(1n << 30n) - 1n, (1n << 30n) - 3n]]).outputs[0]![0]);
    const withSqrt: Program = { ...small, steps: [...small.steps, { kind: 'sqrt', out: 7, in: lin([[5, 1n]]), n: 40, node: 'sq' }] };
    expect(prepareProgram(withSqrt).reason).toMatch(/sqrt steps run in bigints/);
  });
});

describe('immediate answer hashes and signature', () => {
  it('intsHash is sha256 of the canonical JSON (empty tensors too)', () => {
    for (const xs of [[[1n, -2n, 30000000000000000000000n]], [[], [5n]], []]) expect(intsHash(xs)).toBe(sha256(canonicalJson(xs)));
  });

  it('the threaded signer signs exactly as the wallet, concurrently, and recovers to its address', async () => {
    const wallet = Wallet.createRandom();
    const s = threadedSigner(wallet);
    try {
      const claims = Array.from({ length: 20 }, (_, i) => ({ format: ATTESTATION_FORMAT, id: i.toString(16).padStart(32, '0'), modelId: 'a'.repeat(64), vkHash: 'b'.repeat(64), inputHash: 'c'.repeat(64), outputsHash: i.toString(16).padStart(64, '0') }) as const);
      const got = await Promise.all(claims.map((c) => attest(s, c)));
      const want = await Promise.all(claims.map((c) => attest(wallet, c)));
      expect(got).toEqual(want); // RFC 6979: deterministic signatures
      for (const a of got) expect(attestationSigner(a)).toBe(wallet.address);
    } finally {
      await s.close();
    }
    expect(await s.signMessage('after close')).toBe(await wallet.signMessage('after close')); // inline once the thread is gone
    // a signer without a private key (remote) signs itself
    const remote = { address: wallet.address, signMessage: (m: string | Uint8Array) => wallet.signMessage(m) };
    const inline = threadedSigner(remote);
    expect(await inline.signMessage('x')).toBe(await wallet.signMessage('x'));
  });
});
