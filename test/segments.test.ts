/**
 * Segments: a model cut into linked segment circuits, proven (also in parallel processes), verified as one
 * receipt; and every way of tampering with the chain rejected, naming the check. Real circom, real Groth16.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTinySegmented, tinyMlp } from './helpers/tiny-mlp.js';
import { segmentedReceiptSchemaValidator } from './helpers/schema.js';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { evaluate } from '../src/quantize/program.js';
import { coreSteps, splitProgram } from '../src/compose/segments.js';
import { proveSegmented } from '../src/compose/prove.js';
import type { SegmentedReceipt } from '../src/compose/receipt.js';
import { keysHashOf } from '../src/compose/keys.js';
import { verifySegmentedReceipt } from '../src/verify/segmented.js';
import type { TrustedSegments } from '../src/verify/segmented.js';
import { trustedSegments } from '../src/cli/commands/segments.js';
import { CONFORMANCE, ROOT } from './helpers/conformance.js';
import { useLocalChain } from './helpers/evm.js';
import { readCompiled } from '../src/setup.js';
import { readProgram } from '../src/prove/prove.js';
import { prepareWitness } from '../src/prove/receipt-build.js';
import { WitnessCalculators, calculateWtns } from '../src/toolchain/witness.js';
import { inputArraySignals } from '../src/codegen/circom.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { buildPage, launchChromium, startWebServer } from './helpers/browser.js';
import { buildSegmentedContract, predictSegmentedGas, verifySegmentedOnChain } from '../src/chain/segmented.js';
import { deployBytecode } from '../src/chain/evm.js';
import { deployRegistry, registerInitCode, submitReceipt, verifierFromSegmentKeys } from '../src/chain/registry.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

const CACHE = path.join(os.tmpdir(), 'zkinfer-test-cache');

/** Run the CLI in a child process; independent steps run at once (they overlap on the machine's cores). */
const zk = (args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [path.join(ROOT, 'bin', 'zkinfer.js'), ...args], { env: { ...process.env, ZKINFER_CACHE: CACHE }, maxBuffer: 64 << 20 }, (e, stdout, stderr) =>
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );

const input = (dir: string, name: string, xs: number[]): string => {
  const f = path.join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify({ input: [xs] }));
  return f;
};

let work: string;
let dirA: string;
let dirB: string;
let trusted: TrustedSegments;
let good: SegmentedReceipt;
let other: SegmentedReceipt; // same model, another input
let resalted: SegmentedReceipt; // same model, same input, other salts
let foreign: SegmentedReceipt; // another model
const clone = (r: SegmentedReceipt): SegmentedReceipt => structuredClone(r);

beforeAll(async () => {
  work = tempDir('zkinfer-segments-');
  dirA = (await buildTinySegmented(1, work)).dir; // compiled once per test run (test/serve-segments.test.ts too)
  dirB = (await buildTinySegmented(2, work)).dir;
  const x1 = input(work, 'x1', [0.5, -0.25, 0.75, -1]);
  const x2 = input(work, 'x2', [-0.5, 0.25, 0.125, 1]);
  good = (await proveSegmented({ dir: dirA, inputPath: x1 })).receipt;
  other = (await proveSegmented({ dir: dirA, inputPath: x2 })).receipt;
  resalted = (await proveSegmented({ dir: dirA, inputPath: x1 })).receipt;
  foreign = (await proveSegmented({ dir: dirB, inputPath: x1 })).receipt;
  trusted = trustedSegments(dirA);
});

describe('segments', () => {
  it('cutting the program keeps its integer semantics: the chained segments compute the whole outputs', () => {
    const model = tinyMlp(tempDir(), 1);
    const q = quantizeModel({ modelPath: model }, readModelFile(model), []);
    const x = [[2048n, -1024n, 3072n, -4096n]];
    const whole = evaluate(q.program, x).outputs;
    for (const order of ['chained', 'program', 'pulled', 'streamed'] as const) {
      for (const cuts of [[1], [2, 5], [1, 2, 3]]) {
        let ints = x;
        for (const s of splitProgram(q.program, cuts, q.layout.visibility, order)) ints = evaluate(s.program, ints).outputs;
        expect(ints, `${order} ${cuts}`).toEqual(whole);
      }
    }
  });

  it("the 'streamed' order on a CNN (mnist-8) keeps the integer semantics and leaves bands alive, not layers", () => {
    const m = path.join(CONFORMANCE, 'models', 'mnist-8', 'model.onnx');
    const q = quantizeModel({ modelPath: m, inputRange: [0, 255], inputScale: 0, scale: 4, paramBits: 8 }, readModelFile(m), []);
    const x = [Array.from({ length: 784 }, (_, i) => BigInt((i * 37) % 256))];
    const n = coreSteps(q.program, 'streamed').length;
    const cuts = [n >> 2, n >> 1, (3 * n) >> 2];
    const segs = splitProgram(q.program, cuts, q.layout.visibility, 'streamed');
    let ints = x;
    for (const s of segs) ints = evaluate(s.program, ints).outputs;
    expect(ints).toEqual(evaluate(q.program, x).outputs);
    // the same cut positions in the chained order keep a whole pooled layer (1,568 values) and the image alive
    const chained = splitProgram(q.program, cuts, q.layout.visibility, 'chained');
    for (let i = 0; i < 3; i++) expect(segs[i]!.boundaryOut, `cut ${i + 1}`).toBeLessThan(chained[i]!.boundaryOut);
  });

  it('a receiving segment refuses a boundary forged to pack alike (v_j + 2^W, v_j+1 − 1): its range checks make the packing injective', async () => {
    const dir = path.join(dirA, 'seg1');
    const [compiled, program] = [readCompiled(dir), readProgram(dir)];
    expect(readFileSync(artifactPaths(dir).source, 'utf8').match(/signal input in\d+\[/g)).toHaveLength(1); // the boundary is one array
    const pk = compiled.layout.inputs[0]!;
    // the boundary of x1 or x2 (quantized) with a value above the packing's low end after the first one in its element
    const canForge = (b: bigint[][]) => b[0]!.findIndex((v, i) => i + 1 < Math.min(pk.perElement, pk.size) && b[0]![i + 1]! > BigInt(pk.lo));
    const boundary = [[2048n, -1024n, 3072n, -4096n], [-2048n, 1024n, 512n, 4096n]]
      .map((x) => evaluate(readProgram(path.join(dirA, 'seg0')), [x]).outputs)
      .find((b) => canForge(b) >= 0)!;
    const j = canForge(boundary);
    const forged = boundary.map((t) => [...t]);
    forged[0]![j] = forged[0]![j]! + (1n << BigInt(pk.bits));
    forged[0]![j + 1] = forged[0]![j + 1]! - 1n;
    const packed = (xs: bigint[]) => xs.slice(0, pk.perElement).reduceRight((acc, v) => (acc << BigInt(pk.bits)) + v - BigInt(pk.lo), 0n);
    expect(packed(forged[0]!)).toBe(packed(boundary[0]!)); // the same packed element, hence the same commitment
    const honest = prepareWitness(compiled, program, boundary).circuitInput;
    const wtns = (input: Record<string, bigint | bigint[]>) => calculateWtns({ wasmPath: artifactPaths(dir).wasm, input, calculators: new WitnessCalculators() });
    await wtns(honest);
    await expect(wtns({ ...honest, ...inputArraySignals(program, forged) })).rejects.toThrow(/Assert Failed/);
  });

  it('proves and verifies one inference in 3 linked segments with and without the artifacts', async () => {
    expect(good.segments).toHaveLength(3);
    expect(good.links).toHaveLength(2);
    expect(good.outputs![0]!.data).toHaveLength(3);
    expect(good.inputs![0]!.data).toEqual([0.5, -0.25, 0.75, -1]);
    for (const t of [trusted, undefined]) {
      const v = await verifySegmentedReceipt({ receipt: good, trusted: t });
      expect(v.ok, v.failed?.detail).toBe(true);
    }
    const conforms = segmentedReceiptSchemaValidator(); // the published JSON Schema (docs/segmented-receipt.schema.json)
    expect(conforms(good), JSON.stringify(conforms.errors)).toBe(true);
    expect(conforms({ ...good, links: [7] }) || conforms({ ...good, segments: [{ ...good.segments[0]!, proof: undefined }] })).toBe(false);
    expect(good.segments.map((s) => s.visibility)).toEqual([
      { input: 'public', output: 'hashed', params: 'fixed' },
      { input: 'hashed', output: 'hashed', params: 'fixed' },
      { input: 'hashed', output: 'public', params: 'fixed' },
    ]);
  });

  const rejects = async (r: SegmentedReceipt, check: string, pattern: RegExp, withArtifacts = true) => {
    const v = await verifySegmentedReceipt({ receipt: r, trusted: withArtifacts ? trusted : undefined });
    expect(v.ok).toBe(false);
    expect(v.failed!.name).toBe(check);
    expect(v.failed!.detail).toMatch(pattern);
  };

  it('rejects a forged boundary: a segment proven on other activations', async () => {
    const r = clone(good);
    r.segments[1] = other.segments[1]!;
    await rejects(r, 'links', /segment 1's output commitment .* segment 2's input commitment/);
    r.links[0] = other.links[0]!; // relinking breaks the other side
    await rejects(r, 'links', /segment 1's output commitment/);
  });

  it('rejects a forged boundary: the same activations under another salt', async () => {
    const r = clone(good);
    r.segments[2] = resalted.segments[2]!;
    await rejects(r, 'links', /segment 2's output commitment/);
  });

  it('rejects a boundary commitment edited in a segment (the proof no longer verifies)', async () => {
    const r = clone(good);
    const i = r.segments[1]!.publicSignals.indexOf(r.links[0]!);
    r.segments[1]!.publicSignals[i] = other.links[0]!;
    r.segments[1]!.commitments!.input = other.links[0]!;
    r.segments[0]!.publicSignals[r.segments[0]!.publicSignals.indexOf(r.links[0]!)] = other.links[0]!;
    r.segments[0]!.commitments!.output = other.links[0]!;
    r.links[0] = other.links[0]!;
    await rejects(r, 'segment-proof', /segment 1: proof/);
  });

  it('rejects segments swapped or reordered, also when the keys hash is recomputed', async () => {
    for (const order of [[1, 0, 2], [0, 2, 1], [2, 0, 1]]) {
      const r = clone(good);
      r.segments = order.map((i) => good.segments[i]!);
      await rejects(r, 'segment-keys', /not the hash of the segments' keys in this order/);
      r.segmentKeysHash = keysHashOf(r.segments.map((s) => s.vkHash));
      await rejects(r, 'segment-keys', /carries the key of compiled segment .* out of order/);
      const v = await verifySegmentedReceipt({ receipt: r }); // no artifacts: the chain itself breaks
      expect(v.ok).toBe(false);
      expect(['visibility', 'links']).toContain(v.failed!.name);
    }
  });

  it('rejects a duplicated segment', async () => {
    const r = clone(good);
    r.segments = [good.segments[0]!, good.segments[1]!, good.segments[1]!, good.segments[2]!];
    await rejects(r, 'segment-count', /compiled into 3 segments; the receipt has 4/);
    r.links = [good.links[0]!, good.links[1]!, good.links[1]!];
    r.segmentKeysHash = keysHashOf(r.segments.map((s) => s.vkHash));
    await rejects(r, 'segment-keys', /segment 3 repeats the key of segment 2/, false);
  });

  it("rejects a segment taken from another model's receipt", async () => {
    const r = clone(good);
    r.segments[2] = foreign.segments[2]!;
    r.segmentKeysHash = keysHashOf(r.segments.map((s) => s.vkHash));
    await rejects(r, 'segment-keys', /segment 3's key is not a key of this model's segments/);
    await rejects(r, 'model', /segment 3 belongs to model file/, false);
  });

  it('the CLI compiles, sets up, proves (--jobs) and verifies a segmented model; verify names a failed check', async () => {
    const model = path.join(work, 'tiny-mlp-1.onnx');
    const [est, c] = await Promise.all([zk(['estimate', model, '--segments', '3', '--json']), zk(['compile', model, '--segments', '3', '-o', dirA, '--json'])]); // compile: the artifacts of beforeAll, up to date
    expect(est.status, est.stderr).toBe(0);
    expect(c.status, c.stderr).toBe(0);
    const compiled = JSON.parse(c.stdout) as { segments: { constraints: number; nPublic: number }[] };
    expect((JSON.parse(est.stdout) as { segments: { constraints: number }[] }).segments.map((s) => s.constraints)).toEqual(compiled.segments.map((s) => s.constraints));
    expect((await zk(['setup', dirA])).status).toBe(0);
    const rec = path.join(work, 'cli-receipt.json');
    const [gas, p] = await Promise.all([zk(['estimate-gas', dirA, '--json']), zk(['prove', dirA, '--input', input(work, 'x3', [0.25, 0.5, -0.5, 0]), '--jobs', '2', '-o', rec])]);
    expect(gas.status, gas.stderr).toBe(0);
    expect((JSON.parse(gas.stdout) as { gas: { gas: number } }).gas.gas).toBe(predictSegmentedGas(compiled.segments.map((s) => s.nPublic)).gas);
    expect(p.status, p.stderr).toBe(0);
    const keysHash = (JSON.parse(readFileSync(rec, 'utf8')) as { segmentKeysHash: string }).segmentKeysHash;
    const [v, bad, own, byHash] = await Promise.all([
      zk(['verify', rec, '--dir', dirA, '--json']),
      zk(['verify', rec, '--dir', dirB, '--json']), // another model's artifacts
      zk(['verify', rec, '--json']), // no trusted source: the segments' keys are the receipt's own
      zk(['verify', rec, '--vk-hash', keysHash]),
    ]);
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).verified).toBe(true);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).failed).toBe('segment-keys');
    expect(own.status).toBe(4); // valid, but untrusted
    expect(JSON.parse(own.stdout)).toMatchObject({ verified: false, verdict: 'untrusted', trust: { trusted: false } });
    expect(byHash.status).toBe(0);
  }, 900_000); // nine CLI processes (three proving), independent ones at once: a minute on a loaded machine
});

describe('segments on chain (anvil)', () => {
  const ctx = useLocalChain();
  let address: string;
  const onChain = (r: SegmentedReceipt) => verifySegmentedOnChain({ receipt: r, chain: ctx.chain, address });

  it('one contract verifies all segment proofs and links in one call; estimate-gas predicts it', async () => {
    const built = await buildSegmentedContract({ dir: dirA });
    address = (await deployBytecode({ wallet: ctx.wallet, contract: built.contract, chain: ctx.chain })).address;
    const v = await verifySegmentedOnChain({ receipt: good, chain: ctx.chain, address, estimateGas: true });
    expect(v, v.reason).toMatchObject({ ok: true });
    const predicted = predictSegmentedGas(built.nPublic).gas;
    console.log(`tiny MLP in ${built.nPublic.length} segments (${built.nPublic.join(' + ')} public signals): verifySegments ${v.gas} gas (eth_call limit), predicted ${predicted}; contract ${built.contract.initBytes} bytes of init code`);
    expect(Math.abs(predicted - Number(v.gas!)) / Number(v.gas!)).toBeLessThan(0.05);
    expect(predicted).toBeGreaterThanOrEqual(Number(v.gas!) - 2_000); // worst-case calldata: not below the need
  });

  it('rejects a forged boundary, swapped, reordered, duplicated or foreign segments, naming the check', async () => {
    const forged = clone(good);
    forged.segments[1] = other.segments[1]!;
    expect(await onChain(forged)).toMatchObject({ ok: false, check: 'links', reason: 'BrokenLink(1)' });
    const salted = clone(good);
    salted.segments[2] = resalted.segments[2]!;
    expect(await onChain(salted)).toMatchObject({ ok: false, check: 'links', reason: 'BrokenLink(2)' });
    for (const order of [[1, 0, 2], [0, 2, 1]]) {
      const r = clone(good);
      r.segments = order.map((i) => good.segments[i]!);
      expect((await onChain(r)).check).toMatch(/^(links|segment-proof|segment-count)$/);
    }
    const dup = clone(good);
    dup.segments = [good.segments[0]!, good.segments[1]!, good.segments[1]!, good.segments[2]!];
    expect(await onChain(dup)).toMatchObject({ ok: false, check: 'segment-count' });
    const foreignSeg = clone(good);
    foreignSeg.segments[2] = foreign.segments[2]!;
    foreignSeg.segments[2]!.publicSignals[foreignSeg.segments[2]!.publicSignals.indexOf(foreign.links[1]!)] = good.links[1]!; // relinked
    expect(await onChain(foreignSeg)).toMatchObject({ ok: false, check: 'segment-proof', reason: 'SegmentProofInvalid(3)' });
    expect(await onChain(foreign)).toMatchObject({ ok: false, check: 'model' });
  });

  it('the registry registers the segmented contract and logs one InferenceVerified per accepted receipt', async () => {
    const registry = (await deployRegistry({ chain: ctx.chain, wallet: ctx.wallet })).address;
    const built = await buildSegmentedContract({ dir: dirA });
    const { verifier } = await registerInitCode({ chain: ctx.chain, wallet: ctx.wallet, registry, initCode: built.contract.bytecode });
    const { event } = await submitReceipt({ chain: ctx.chain, wallet: ctx.wallet, registry, verifier, receipt: good });
    expect(event.modelId).toBe(`0x${good.modelId}`);
    const forged = clone(good);
    forged.segments[1] = other.segments[1]!;
    await expect(submitReceipt({ chain: ctx.chain, wallet: ctx.wallet, registry, verifier, receipt: forged })).rejects.toThrow(/BrokenLink/);
    expect((await verifierFromSegmentKeys({ registry, receipt: good })).verifier).toBe(verifier); // `registry address r.json`: from the receipt's segment keys alone
    reg = { registry, verifier };
  });

  let reg: { registry: string; verifier: string };
  it('the CLI: deploy records the segmented contract, verify --rpc asks it, registry submit takes a segmented receipt', async () => {
    const zkChain = (args: string[]) => zk([...args, '--rpc', ctx.node.url, '--json']);
    const files = { good: path.join(work, 'chain-good.json'), forged: path.join(work, 'chain-forged.json') };
    writeFileSync(files.good, JSON.stringify(good));
    writeFileSync(files.forged, JSON.stringify({ ...clone(good), segments: [good.segments[0]!, other.segments[1]!, good.segments[2]!] }));
    const d = await zkChain(['deploy', dirA, '--key', ctx.node.keyFiles[0]!]);
    expect(d.status, d.stderr).toBe(0);
    const [v, bad, s] = await Promise.all([
      zkChain(['verify', files.good, '--dir', dirA]), // the contract from DIR/deployments.json
      zkChain(['verify', files.forged, '--address', JSON.parse(d.stdout).address]),
      zkChain(['registry', 'submit', files.good, '--registry', reg.registry, '--key', ctx.node.keyFiles[1]!]), // the one entry declaring its model and segment keys hash
    ]);
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verified: true, onChain: { ok: true, contract: JSON.parse(d.stdout).address } });
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ verified: false, failed: 'links', onChain: { ok: false, check: 'links', reason: 'BrokenLink(1)' } });
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).event).toMatchObject({ verifier: reg.verifier, modelId: `0x${good.modelId}` });
  }, 120_000);
});

describe('segmented receipts in the browser page (Chromium)', () => {
  let server: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    buildPage();
    server = await startWebServer(work);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
  });

  const shown = async (name: string, r: SegmentedReceipt) => {
    writeFileSync(path.join(work, `${name}.json`), JSON.stringify(r));
    const page = await browser.context.newPage();
    await page.goto(`${server.url}?receipt=/files/${name}.json&vkHash=${good.segmentKeysHash}`);
    const v = page.locator('#verdict[data-verdict]');
    await v.waitFor({ timeout: 60_000 });
    const out = { verdict: await v.getAttribute('data-verdict'), text: await v.innerText(), failed: await page.locator('#checks li.fail').first().getAttribute('data-check', { timeout: 1_000 }).catch(() => null) };
    await page.close();
    return out;
  };

  it('verifies a segmented receipt against the published segment keys hash; forged, reordered, duplicated and foreign segments fail naming the check', async () => {
    expect(await shown('seg-good', good)).toMatchObject({ verdict: 'valid', failed: null });
    const forged = clone(good);
    forged.segments[1] = other.segments[1]!;
    expect(await shown('seg-forged', forged)).toMatchObject({ verdict: 'invalid', failed: 'links' });
    const reordered = clone(good);
    reordered.segments = [good.segments[1]!, good.segments[0]!, good.segments[2]!];
    expect(await shown('seg-reordered', reordered)).toMatchObject({ verdict: 'invalid', failed: 'segment-keys' });
    const dup = clone(good);
    dup.segments = [good.segments[0]!, good.segments[1]!, good.segments[1]!, good.segments[2]!];
    expect(await shown('seg-duplicated', dup)).toMatchObject({ verdict: 'invalid', failed: 'segment-count' });
    const foreignSeg = clone(good);
    foreignSeg.segments[2] = foreign.segments[2]!;
    expect(await shown('seg-foreign', foreignSeg)).toMatchObject({ verdict: 'invalid', failed: 'segment-keys' });
  }, 300_000);
});
