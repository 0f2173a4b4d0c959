/**
 * zkinfer as the npm package a user installs: `npm pack` (prepack builds dist/ and the page) on a copy of
 * the repository, the tarball installed into an empty directory (from the npm cache when it can), then
 * (a) `npx zkinfer run` on the bundled model prints `verified`, from a directory that is not the package's;
 * (b) a plain .mjs imports `zkinfer` and `zkinfer/verify` and checks that receipt (and refuses a changed one);
 * (c) a consumer .ts type-checks against the shipped .d.ts with `tsc --strict`;
 * (d) a page bundled by Vite with `zkinfer/verify` verifies the receipt in Chromium (bundle size printed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWeb } from '../src/web/server.js';
import { CHROMIUM, launchChromium } from './helpers/browser.js';
import { ROOT } from './helpers/conformance.js';
import { tempDir } from './helpers/pipeline.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SKIP_IN_COPY = new Set(['node_modules', '.git', 'dist', '.zkinfer', '.zkinfer-serve', 'test-results', 'conformance', 'docs']);
const kB = (n: number): string => `${(n / 1024).toFixed(1)} kB`;

let work: string;
let consumer: string;
let pack: { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${x.stdout ?? ''}\n${x.stderr ?? x.message}`);
  }
}

beforeAll(() => {
  work = tempDir('zkinfer-package-');
  // Pack a copy, so that building dist/ and web/dist does not race the other tests using the checkout.
  const stage = path.join(work, 'stage');
  cpSync(ROOT, stage, { recursive: true, filter: (src) => !(path.dirname(src) === ROOT.replace(/\/$/, '') && SKIP_IN_COPY.has(path.basename(src))) && !src.includes(`${path.sep}web${path.sep}dist`) && !src.includes(`${path.sep}bench${path.sep}results`) });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  [pack] = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', work], stage));
  consumer = path.join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Dependencies from the npm cache when they are there (CI's `npm ci` filled it); install scripts are not
  // needed by zkinfer's dependencies (wasm and pure JS) and would try the network (node-gyp).
  const typesNode = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['@types/node']!;
  run(NPM, ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(work, pack.filename), `@types/node@${typesNode}`], consumer);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships dist, circuits, the bundled model, the built page and the licence; no sources or tests', () => {
    const files = pack.files.map((f) => f.path);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/zkinfer.js', 'dist/index.js', 'dist/index.d.ts', 'dist/verify/index.js', 'dist/verify/index.d.ts', 'dist/chain/index.js', 'dist/cli/main.js', 'dist/estimate/cost-model.json', 'dist/chain/ZkinferRegistry.sol', 'circuits/bits.circom', 'models/mnist-mlp/model.onnx', 'web/dist/index.html']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|scripts|bench)\//.test(f) || /\.test\.(js|ts)$/.test(f))).toEqual([]);
    expect(readFileSync(path.join(consumer, 'node_modules/zkinfer/LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    console.log(`npm pack: ${pack.filename} ${kB(pack.size)} packed, ${kB(pack.unpackedSize)} unpacked, ${pack.entryCount} files`);
  });

  it('(a) npx zkinfer run proves the bundled model from the user’s directory', () => {
    const model = 'node_modules/zkinfer/models/mnist-mlp/model.onnx';
    const r = spawnSync('npx', ['--offline', 'zkinfer', 'run', model, '--input', 'node_modules/zkinfer/models/mnist-mlp/input.json', '-o', 'receipt.json'], { cwd: consumer, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^verified\b/m);
    expect(existsSync(path.join(consumer, 'receipt.json'))).toBe(true);
    const v = spawnSync('npx', ['--offline', 'zkinfer', '--version'], { cwd: consumer, encoding: 'utf8' });
    expect(v.stdout.trim()).toBe(pack.filename.replace(/^zkinfer-(.*)\.tgz$/, '$1'));
  });

  it('(b) a plain .mjs imports zkinfer and zkinfer/verify and verifies that receipt', () => {
    writeFileSync(
      path.join(consumer, 'check.mjs'),
      `import { readFileSync } from 'node:fs';
import { verifyReceipt as verifyFull, compileModel } from 'zkinfer';
import { verifyReceipt, receiptHash } from 'zkinfer/verify';
const receipt = JSON.parse(readFileSync('receipt.json', 'utf8'));
const light = await verifyReceipt({ receipt });
const full = await verifyFull({ receipt });
const changed = structuredClone(receipt);
changed.outputs[0].data[0] += 1;
const bad = await verifyReceipt({ receipt: changed });
console.log(JSON.stringify({ light: light.ok, full: full.ok, changed: bad.ok, failed: bad.failed?.name, hash: receiptHash(receipt).length, compileModel: typeof compileModel }));
await globalThis.curve_bn128?.terminate();
`,
    );
    const out = JSON.parse(run(process.execPath, ['check.mjs'], consumer).trim().split('\n').pop()!);
    expect(out).toEqual({ light: true, full: true, changed: false, failed: 'outputs', hash: 64, compileModel: 'function' });
  });

  it('(c) a consumer .ts type-checks against the shipped .d.ts with tsc --strict', () => {
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], skipLibCheck: false }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      path.join(consumer, 'consumer.ts'),
      `import { compileModel, setupKeys, proveInference, verifyReceipt, ZkinferError } from 'zkinfer';
import type { CompiledInfo, VerifyResult as FullResult } from 'zkinfer';
import { verifyReceipt as verifyOnly, receiptHash } from 'zkinfer/verify';
import type { Receipt, VerifyResult } from 'zkinfer/verify';
import { estimateVerifyGas, connectChain } from 'zkinfer/chain';
import type { Chain, GasEstimate } from 'zkinfer/chain';

export async function pipeline(model: string, input: string): Promise<{ info: CompiledInfo; result: VerifyResult; gas: GasEstimate }> {
  const { info } = await compileModel({ modelPath: model, outDir: 'build' });
  await setupKeys({ dir: 'build' });
  const { receipt } = await proveInference({ dir: 'build', inputPath: input });
  const full: FullResult = await verifyReceipt({ receipt });
  const result = await verifyOnly({ receipt: receipt satisfies Receipt });
  if (!full.ok && result.failed) console.log(result.failed.name, receiptHash(receipt));
  return { info, result, gas: estimateVerifyGas(info.nPublic) };
}
export const chain = (rpc: string): Promise<Chain> => connectChain({ rpc });
export const isOurs = (e: unknown): boolean => e instanceof ZkinferError;
// The types are real, not any:
// @ts-expect-error nPublic is a number
export const wrong: string = estimateVerifyGas(1).total;
`,
    );
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], consumer);
  });

  it('(d) a Vite-bundled page with zkinfer/verify verifies the receipt in Chromium', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium, as .ci/run does`);
    const page = path.join(consumer, 'page');
    mkdirSync(page);
    writeFileSync(path.join(page, 'index.html'), '<!doctype html><meta charset="utf-8"><title>verify</title><pre id="out">…</pre><script type="module" src="./main.js"></script>\n');
    writeFileSync(
      path.join(page, 'main.js'),
      `import { verifyReceipt } from 'zkinfer/verify';
const out = document.getElementById('out');
try {
  const receipt = await (await fetch('/files/receipt.json')).json();
  const good = await verifyReceipt({ receipt });
  const changed = structuredClone(receipt);
  changed.outputs[0].data[0] += 1;
  const bad = await verifyReceipt({ receipt: changed });
  out.textContent = JSON.stringify({ good: good.ok, proof: good.checks.find((c) => c.name === 'proof')?.ok, changed: bad.ok });
} catch (e) {
  out.textContent = 'error: ' + (e && e.stack || e);
}
`,
    );
    const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
    run(process.execPath, [vite, 'build', page, '--outDir', path.join(page, 'dist'), '--emptyOutDir', '--logLevel', 'warn'], consumer);
    const assets = path.join(page, 'dist', 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    const size = (f: string) => ({ raw: statSync(path.join(assets, f)).size, gzip: gzipSync(readFileSync(path.join(assets, f))).length });
    const entry = js.find((f) => readFileSync(path.join(page, 'dist', 'index.html'), 'utf8').includes(f))!;
    const total = js.map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 });
    console.log(`zkinfer/verify page bundle: entry ${entry} ${kB(size(entry).raw)} (${kB(size(entry).gzip)} gzip); all ${js.length} chunks ${kB(total.raw)} (${kB(total.gzip)} gzip)`);

    const server = await serveWeb({ pageDir: path.join(page, 'dist'), filesDir: consumer });
    const browser = await launchChromium();
    try {
      const tab = await browser.context.newPage();
      await tab.goto(server.url);
      await tab.waitForFunction(() => document.getElementById('out')?.textContent !== '…', undefined, { timeout: 120_000 });
      const text = await tab.textContent('#out');
      expect(JSON.parse(text!.startsWith('{') ? text! : JSON.stringify({ text }))).toEqual({ good: true, proof: true, changed: false });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
