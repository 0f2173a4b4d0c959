/**
 * The browser page in Debian's Chromium, served by `zkinfer web`: receipts verify (and fail, naming the check)
 * with src/verify/verify.ts running in a Web Worker; the digit demo proves in the page; screenshots go to
 * test-results/ and browser timings are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './helpers/conformance.js';
import { provePipeline, terminateCurve, tempDir } from './helpers/pipeline.js';
import { buildPage, launchChromium, startWebServer } from './helpers/browser.js';
import { deploySolidity, startAnvil } from './helpers/chain.js';
import { relabel, tinyReluModel } from './helpers/synthetic.js';
import { exportVerifier } from '../src/chain/verifier.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { readCompiled, readSetup } from '../src/setup.js';
import { artifactPaths, readJson } from '../src/artifacts/layout.js';
import type { Receipt } from '../src/receipt.js';
import { modelIdOf } from '../src/receipt.js';
import { createServer } from '../src/serve/server.js';
import { startWorker } from '../src/serve/worker.js';
import type { ProvingWorker } from '../src/serve/worker.js';
import { testRedis } from './helpers/serve.js';
import { Redis } from 'ioredis';
import { redisOptions } from '../src/serve/redis.js';
import { buildTinySegmented } from './helpers/tiny-mlp.js';
import { readManifest, readSegmentKeys } from '../src/compose/compile.js';
import type { SegmentedReceipt } from '../src/compose/receipt.js';

const SHOTS = path.join(ROOT, 'test-results');
let dir: string;
let receipt: Receipt;
let server: Awaited<ReturnType<typeof startWebServer>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const pageErrors: string[] = [];

const write = (name: string, r: unknown): string => {
  writeFileSync(path.join(dir, name), typeof r === 'string' ? r : JSON.stringify(r));
  return path.join(dir, name);
};

async function verdictOf(p: Page): Promise<{ verdict: string; text: string; verifyMs: number; totalMs: number }> {
  const v = p.locator('#verdict[data-verdict]');
  await v.waitFor({ timeout: 60_000 });
  return { verdict: (await v.getAttribute('data-verdict'))!, text: await v.innerText(), verifyMs: Number(await v.getAttribute('data-verify-ms')), totalMs: Number(await v.getAttribute('data-total-ms')) };
}

beforeAll(async () => {
  buildPage();
  dir = tempDir('zkinfer-web-');
  const r = await provePipeline({ modelPath: path.join(ROOT, 'models/mnist-mlp/model.onnx'), input: path.join(ROOT, 'models/mnist-mlp/input.json'), outDir: dir });
  expect(r.verified.ok).toBe(true);
  receipt = r.receipt;
  write('receipt.json', receipt);
  const tampered = structuredClone(receipt);
  tampered.outputs![0]!.integers[3] = String(BigInt(tampered.outputs![0]!.integers[3]!) + 1n); // a logit changed (its shown value too)
  tampered.outputs![0]!.data[3] = Number(BigInt(tampered.outputs![0]!.integers[3]!)) / 2 ** Number(tampered.outputs![0]!.scale);
  write('tampered.json', tampered);
  const forged = structuredClone(receipt);
  [forged.proof.pi_a, forged.proof.pi_c] = [forged.proof.pi_c, forged.proof.pi_a]; // a proof that fails the pairing
  write('forged.json', forged);
  const other = await provePipeline({ modelPath: tinyReluModel(dir, 'other', 5), input: write('other-input.json', { input: [[0.5, -0.25, 0.75, -1]] }), outDir: path.join(dir, 'other') });
  write('relabelled.json', relabel(other.receipt, receipt));
  server = await startWebServer(dir);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Absent optional files (compiled.json beside a receipt, …) are 404s that Chromium logs: not errors of the page.
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource.*404/.test(m.text()) && pageErrors.push(m.text()));
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
  await terminateCurve();
});

describe('zkinfer web in Chromium', () => {
  it('a valid receipt (?receipt=, key beside it) shows valid with its model, input image, score chart and dev warning', async () => {
    await page.goto(`${server.url}?receipt=/files/receipt.json`);
    const v = await verdictOf(page);
    expect(v.verdict, v.text).toBe('valid');
    console.log(`[browser timing] verify in Chromium (worker, verifyReceipt): ${v.verifyMs.toFixed(0)} ms; open → verdict incl. fetching receipt + key: ${v.totalMs.toFixed(0)} ms`);
    expect(v.verifyMs).toBeLessThan(2000);
    expect(await page.locator('#source').innerText()).toMatch(/checked against the artifacts this page's own server \(127\.0\.0\.1:\d+\) publishes beside it \(verification_key\.json, compiled\.json, setup\.json\)/);
    expect(await page.locator('#trust').getAttribute('data-trusted')).toBe('true');
    const facts = await page.locator('#facts').innerText();
    expect(facts).toMatch(/mnist_mlp \(model\.onnx\)/);
    expect(facts).toContain(receipt.model.fileSha256.slice(0, 16));
    expect(facts).toMatch(/input public · params fixed · output public/);
    expect(facts).toMatch(/signer\s+unsigned/);
    expect(await page.locator('#dev-warning').isVisible()).toBe(true);
    expect(await page.locator('canvas.tensor-image[data-tensor="pixels"]').isVisible()).toBe(true);
    expect(await page.locator('svg.bars[data-tensor="logits"] g.bar').count()).toBe(10);
    expect(await page.locator('.argmax').getAttribute('data-argmax')).toBe('7');
    expect(await page.locator('#checks li.ok').count()).toBe(8); // format, vk-hash, model-binding, artifacts, public-signals, outputs, inputs, proof
    await page.screenshot({ path: path.join(SHOTS, 'web-valid.png'), fullPage: true });
  });

  it('a tampered receipt shows invalid and names the failed check', async () => {
    await page.goto(`${server.url}?receipt=/files/tampered.json`);
    const v = await verdictOf(page);
    expect(v.verdict).toBe('invalid');
    expect(v.text).toMatch(/check 'outputs' failed: output 'logits'\[3\]/);
    expect(await page.locator('#checks li.fail').getAttribute('data-check')).toBe('outputs');
    await page.screenshot({ path: path.join(SHOTS, 'web-invalid.png'), fullPage: true });
  });

  it('a verification key published beside the receipt must be the receipt\'s own', async () => {
    // Another key beside the receipt (alone: no compiled.json or setup.json there).
    const other = path.join(dir, 'elsewhere');
    mkdirSync(other);
    const vk = structuredClone(receipt.verificationKey) as { IC: string[][] };
    vk.IC[0] = vk.IC[1]!;
    writeFileSync(path.join(other, 'verification_key.json'), JSON.stringify(vk));
    writeFileSync(path.join(other, 'receipt.json'), JSON.stringify(receipt));
    await page.goto(`${server.url}?receipt=/files/elsewhere/receipt.json`);
    const v = await verdictOf(page);
    expect(v.verdict).toBe('invalid');
    expect(v.text).toMatch(/check 'vk-hash' failed: the receipt's vkHash .* is not the hash of the artifacts' verification key/);
    expect(await page.locator('#source').innerText()).toMatch(/publishes beside it \(verification_key\.json\)\./);
    // The same key beside it: valid, checked against that key alone.
    writeFileSync(path.join(other, 'verification_key.json'), JSON.stringify(receipt.verificationKey));
    await page.reload();
    expect((await verdictOf(page)).verdict).toBe('valid');
    expect(await page.locator('#checks li').evaluateAll((li) => li.map((e) => e.getAttribute('data-check')))).toEqual(['format', 'vk-hash', 'model-binding', 'public-signals', 'outputs', 'inputs', 'proof']);
  });

  it('receipts opened from the file picker and by drag and drop use their embedded key; a forged proof fails the pairing', async () => {
    await page.goto(server.url);
    await page.locator('#file').setInputFiles(path.join(dir, 'forged.json'));
    let v = await verdictOf(page);
    expect(v.verdict).toBe('invalid');
    expect(v.text).toMatch(/check 'proof' failed: the Groth16 pairing check failed/);
    expect(await page.locator('#source').innerText()).toMatch(/forged\.json \(local file\), checked with its embedded verification key/);

    await page.locator('#file').setInputFiles(write('garbage.json', '{"format": "zkinfer.receipt/1", '));
    v = await verdictOf(page);
    expect(v.verdict).toBe('invalid');
    expect(v.text).toMatch(/check 'format' failed: not valid JSON/);

    const text = JSON.stringify(receipt);
    expect(await page.locator('#vk-hash').inputValue()).toBe('');
    await page.evaluate((body) => {
      const dt = new DataTransfer();
      dt.items.add(new File([body], 'dropped.json', { type: 'application/json' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.locator('#source', { hasText: 'dropped.json' }).waitFor();
    v = await verdictOf(page);
    expect(v.verdict).toBe('untrusted'); // valid for its own key, which nothing the page trusts vouches for
  });

  it('attack: a proof of another model with its key relabelled as the MNIST model is "not verified: unknown key", and refused by a trusted key hash', async () => {
    await page.goto(server.url);
    await page.locator('#file').setInputFiles(path.join(dir, 'relabelled.json'));
    let v = await verdictOf(page);
    expect(v.verdict).toBe('untrusted');
    expect(v.text).toMatch(/not verified: unknown key/i);
    expect(v.text).toMatch(/this does NOT show that the output came from the model named here/);
    expect(await page.locator('#trust').getAttribute('data-trusted')).toBe('false');
    expect(await page.locator('#facts').innerText()).toMatch(/mnist_mlp \(model\.onnx\) — names as the untrusted key states them/);
    expect(await page.locator('.unproven-note').innerText()).toMatch(/NOT shown to come from the model named here/);
    await page.screenshot({ path: path.join(SHOTS, 'web-untrusted.png'), fullPage: true });
    // The user enters the key hash the MNIST model's owner publishes: the relabelled key is not that key.
    await page.locator('#vk-hash').fill(receipt.vkHash);
    await page.locator('#trust-form button').click();
    await page.locator('#verdict[data-verdict="invalid"]').waitFor();
    v = await verdictOf(page);
    expect(v.text).toMatch(/check 'vk-hash' failed: the receipt's verification key hashes to [0-9a-f]+…, not to the key hash you trust/);
    // Opened from this page's own server, beside the MNIST artifacts: refused the same way.
    await page.goto(`${server.url}?receipt=/files/relabelled.json`);
    expect((await verdictOf(page)).text).toMatch(/check 'vk-hash' failed/);
    // The honest receipt from a local file, with ?vkHash= the published hash: valid, trusted by that hash.
    await page.goto(`${server.url}?vkHash=${receipt.vkHash}`);
    await page.locator('#file').setInputFiles(path.join(dir, 'receipt.json'));
    v = await verdictOf(page);
    expect(v.verdict).toBe('valid');
    expect(await page.locator('#trust').innerText()).toMatch(/trusted: the key hash you entered/);
  });

  it('the digit demo: draw a 1, prove in a worker with progress, verify in the page, download a receipt that Node verifies', async () => {
    await page.goto(server.url);
    await page.locator('#model-info', { hasText: `${readCompiled(dir).constraints.total.toLocaleString('en-US')} constraints` }).waitFor();
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + 140, pad.y + 40);
    await page.mouse.down();
    for (let y = 40; y <= 240; y += 10) await page.mouse.move(pad.x + 140 + (y - 40) / 20, pad.y + y);
    await page.mouse.up();
    // Watch the main thread while the worker proves: the page must keep painting frames.
    await page.evaluate(() => {
      const w = window as unknown as { maxGap: number };
      w.maxGap = 0;
      let last = performance.now();
      const tick = () => {
        const now = performance.now();
        w.maxGap = Math.max(w.maxGap, now - last);
        last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.locator('#prove-button').click();
    await page.locator('#prove-progress:not([hidden])').waitFor();
    const status = page.locator('#prove-status[data-prove-ms]');
    await status.waitFor({ timeout: 120_000 });
    const ms = (k: string) => status.getAttribute(`data-${k}-ms`).then(Number);
    console.log(`[browser timing] prove bundled MNIST MLP in Chromium: witness ${await ms('witness')} ms, Groth16 proof ${await ms('prove')} ms, click → verified receipt ${await ms('total')} ms (artifact download ${await ms('fetch')} ms)`);
    const maxGap = await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap);
    console.log(`[browser timing] longest main-thread frame gap while proving: ${maxGap.toFixed(0)} ms`);
    expect(maxGap).toBeLessThan(1000);
    const digit = await status.getAttribute('data-digit');
    expect(digit).toBe('1');
    const v = await verdictOf(page);
    expect(v.verdict).toBe('valid');
    expect(await page.locator('#source').innerText()).toMatch(/proved in this page from your drawing/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    const proved = JSON.parse(readFileSync((await download.path())!, 'utf8')) as Receipt;
    const trusted = { compiled: readCompiled(dir), setup: readSetup(dir, readCompiled(dir)), vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'vk') };
    const node = await verifyReceipt({ receipt: proved, trusted });
    expect(node.ok, node.failed?.detail).toBe(true);
    const logits = proved.outputs![0]!.data;
    expect(String(logits.indexOf(Math.max(...logits)))).toBe(digit);
    expect(proved.inputs![0]!.data.some((x) => x > 0)).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'web-proved.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('the on-chain check asks a deployed verifier (anvil) and shows its answer beside the local one', async () => {
    const anvil = await startAnvil();
    try {
      const sol = path.join(dir, 'Verifier.sol');
      await exportVerifier({ dir, outPath: sol });
      const address = await deploySolidity(anvil.rpcUrl, sol, 'Groth16Verifier');
      const askChain = async () => {
        await page.locator('#chain summary').click();
        await page.locator('#rpc').fill(anvil.rpcUrl);
        await page.locator('#address').fill(address);
        await page.locator('#chain-form button').click();
        const out = page.locator('#chain-result[data-onchain]');
        await out.waitFor({ timeout: 60_000 });
        return { answer: await out.getAttribute('data-onchain'), text: await out.innerText() };
      };
      await page.goto(`${server.url}?receipt=/files/receipt.json`);
      expect((await verdictOf(page)).verdict).toBe('valid');
      expect(await askChain()).toEqual({ answer: 'valid', text: 'on chain: valid · in this page: valid' });

      await page.goto(`${server.url}?receipt=/files/forged.json`);
      expect((await verdictOf(page)).verdict).toBe('invalid');
      expect(await askChain()).toEqual({ answer: 'invalid', text: 'on chain: invalid · in this page: invalid' });
    } finally {
      await anvil.stop();
    }
  });

  it('follows an inference of the proving service (?service=&inference=): queued, then proving, proved and verified in the page', async () => {
    const redis = await testRedis();
    const service = await createServer({ redis: redis.url, models: [dir], cors: '*' });
    let worker: ProvingWorker | undefined;
    try {
      const url = await service.listen({ port: 0 });
      const modelId = modelIdOf(readCompiled(dir).model);
      const res = await fetch(`${url}/v1/models/${modelId}/inferences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(path.join(ROOT, 'models/mnist-mlp/input.json'), 'utf8') });
      const { id } = (await res.json()) as { id: string };
      await page.goto(`${server.url}?service=${encodeURIComponent(url)}&inference=${id}`);
      await page.locator('#service[data-status="queued"]').waitFor(); // no worker yet
      worker = await startWorker({ redis: redis.url, server: url, cacheDir: tempDir('zkinfer-wcache-') });
      await page.locator('#service[data-status="verified"]').waitFor({ timeout: 120_000 });
      expect(await page.locator('#service-steps li.done').allInnerTexts()).toEqual(['queued', 'proving', 'proved', 'verified']);
      expect((await verdictOf(page)).verdict).toBe('valid');
      // trusted because this page's own server publishes the model's artifacts, not because the service attested its key
      expect(await page.locator('#source').innerText()).toMatch(/against the model's artifacts this page's own server publishes/);
      await page.screenshot({ path: path.join(SHOTS, 'web-service.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await worker?.close();
      await service.close();
      await redis.stop();
    }
  });

  it('follows a SEGMENTED inference: each segment queued → proving → proved, then every proof, link and the keys hash verified in the page; a compromised service or a wrong key hash shows invalid', async () => {
    const { dir: seg } = await buildTinySegmented(1, dir); // compiled once per test run (test/segments.test.ts too); served at /files/seg-1/
    const keysHash = readSegmentKeys(seg).keysHash;
    const redis = await testRedis();
    const service = await createServer({ redis: redis.url, models: [seg], cors: '*' });
    let worker: ProvingWorker | undefined;
    try {
      const url = await service.listen({ port: 0 });
      const res = await fetch(`${url}/v1/models/${modelIdOf(readManifest(seg).model)}/inferences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: [[0.5, -0.25, 0.75, -1]] }) });
      const { id } = (await res.json()) as { id: string };
      const follow = `${server.url}?service=${encodeURIComponent(url)}&inference=${id}&artifacts=/files/seg-1/`;
      await page.goto(follow);
      const segs = page.locator('#service-segments li');
      await page.locator('#service-segments li[data-status="queued"]').nth(2).waitFor(); // no worker yet: all 3 queued
      expect(await page.locator('#service').getAttribute('data-status')).toBe('queued');
      // every status each segment shows, in order
      await page.evaluate(() => {
        const seen: string[][] = [[], [], []];
        (window as unknown as { seen: string[][] }).seen = seen;
        const note = () => document.querySelectorAll('#service-segments li').forEach((li, i) => seen[i]!.at(-1) !== li.getAttribute('data-status') && seen[i]!.push(li.getAttribute('data-status')!));
        note();
        new MutationObserver(note).observe(document.getElementById('service-segments')!, { childList: true });
      });
      worker = await startWorker({ redis: redis.url, server: url, cacheDir: tempDir('zkinfer-wcache-') });
      await page.locator('#service[data-status="verified"]').waitFor({ timeout: 120_000 });
      const seen = await page.evaluate(() => (window as unknown as { seen: string[][] }).seen);
      for (const s of seen) expect(s[0]).toBe('queued'), expect(s.at(-1)).toBe('proved');
      expect(seen.flat(), JSON.stringify(seen)).toContain('proving'); // one worker, one segment at a time: at least one was shown proving
      expect(await segs.allInnerTexts()).toEqual([1, 2, 3].map((i) => expect.stringMatching(new RegExp(`^segment ${i}/3: proved by ${worker!.name.replace(/[.:]/g, '\\$&')} in \\d+\\.\\d\\d s`))));
      expect(await page.locator('#service-steps li.done').allInnerTexts()).toEqual(['queued', 'proving', 'proved', 'verified']);
      expect(await page.locator('#service-status').innerText()).toMatch(/^3 segments proved in \d+\.\d\d s in all; the segmented receipt verified in this page/);
      const v = await verdictOf(page);
      expect(v.verdict, v.text).toBe('valid');
      console.log(`[browser timing] segmented receipt (3 segments) verified in Chromium: ${v.verifyMs.toFixed(0)} ms`);
      expect(await page.locator('#segments').getAttribute('data-count')).toBe('3');
      expect(await page.locator(`#facts code[title="${keysHash}"]`).count()).toBe(1); // the compiled segment keys hash
      for (const c of ['segment-keys', 'links', 'segment-proof']) expect(await page.locator(`#checks li[data-check="${c}"]`).getAttribute('class'), c).toBe('ok');
      // trusted because this page's own server publishes the model's segments.keys.json, which is the attested keys hash
      expect(await page.locator('#source').innerText()).toMatch(/\(3 segments\), checked in this page against the segment keys hash of the model's artifacts this page's own server publishes/);
      await page.screenshot({ path: path.join(SHOTS, 'web-service-segments.png'), fullPage: true });

      // a key hash the user trusts that is not this model's: refused, naming the check
      await page.goto(`${follow}&vkHash=${'0'.repeat(64)}`);
      await page.locator('#service[data-status="invalid"]').waitFor();
      expect((await verdictOf(page)).text).toMatch(/check 'segment-keys' failed: the receipt's segment keys hash .* is not the one you trust/);
      expect(await page.locator('#service-status').innerText()).toMatch(/does NOT verify/);
      // a compromised service (its Redis edited): segment 2's proof no longer verifies
      const job = (await service.queue.getJob(id))!;
      const forged = structuredClone(job.returnvalue);
      const p2 = (forged.receipt as SegmentedReceipt).segments[1]!.proof;
      [p2.pi_a, p2.pi_c] = [p2.pi_c, p2.pi_a];
      const r = new Redis(redisOptions(redis.url));
      await r.hset(service.queue.toKey(id), 'returnvalue', JSON.stringify(forged));
      r.disconnect();
      await page.goto(follow);
      await page.locator('#service[data-status="invalid"]').waitFor({ timeout: 60_000 });
      expect((await verdictOf(page)).text).toMatch(/check 'segment-proof' failed: segment 2: proof: the Groth16 pairing check failed/);
      // a segment that cannot be proved (its key corrupt on the server; a worker with an empty cache): the page shows the failure
      const zkey = path.join(seg, 'seg1', 'circuit.zkey');
      const bad = readFileSync(zkey);
      bad[100]! ^= 0xff;
      writeFileSync(zkey, bad);
      await worker.close();
      worker = await startWorker({ redis: redis.url, server: url, cacheDir: tempDir('zkinfer-wcache-') });
      const failing = await fetch(`${url}/v1/models/${modelIdOf(readManifest(seg).model)}/inferences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: [[0.25, 0.5, -0.5, 0]] }) });
      const failingId = ((await failing.json()) as { id: string }).id;
      await page.goto(`${server.url}?service=${encodeURIComponent(url)}&inference=${failingId}`);
      await page.locator('#service[data-status="failed"]').waitFor({ timeout: 60_000 });
      expect(await page.locator('#service-status').innerText()).toMatch(/^failed: segment 2\/3: artifact circuit\.zkey: content hash [0-9a-f]+… is not the registered/);
      // segment 3 as the last event found it: queued or skipped, or being taken by the worker that then skips it
      expect(await segs.evaluateAll((li) => li.map((e) => e.getAttribute('data-status')))).toEqual(['proved', 'failed', expect.stringMatching(/^(queued|proving|skipped)$/)]);
      expect(await segs.nth(2).innerText()).toMatch(/^segment 3\/3: (queued|skipped): not proved, the inference had already failed$|^segment 3\/3: proving: no longer needed, the inference has failed$/);
      await page.screenshot({ path: path.join(SHOTS, 'web-service-segments-failed.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await worker?.close();
      await service.close();
      await redis.stop();
    }
  });

  it('serves the page at / and DIR at /files/ on 127.0.0.1, nothing outside them', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = (p: string, init?: RequestInit) => fetch(new URL(p, server.url), init);
    expect((await get('/')).headers.get('content-type')).toMatch(/text\/html/);
    expect((await get('/files/circuit_js/circuit.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect(((await (await get('/files/receipt.json')).json()) as Receipt).vkHash).toBe(receipt.vkHash);
    for (const p of ['/files/../package.json', '/files/%2e%2e/%2e%2e/etc/passwd', '/../package.json', '/files/nope.json']) expect((await get(p)).status, p).toBe(404);
    expect((await get('/files/receipt.json', { method: 'POST' })).status).toBe(405);
  });
});
