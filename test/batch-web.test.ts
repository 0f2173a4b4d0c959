/**
 * Batched receipts in the browser page (Debian's Chromium, `zkinfer web`): a batch of 3 verifies with the
 * page's verifier (src/verify/verify.ts in a Web Worker) and lists its inferences; a reordered, a dropped
 * and a swapped inference each fail, naming the 'batch' check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { terminateCurve } from './helpers/pipeline.js';
import { buildPage, launchChromium, startWebServer } from './helpers/browser.js';
import { proveBatch, tampered } from './helpers/batch.js';
import type { Receipt } from '../src/receipt.js';

let dir: string;
let receipt: Receipt;
let server: Awaited<ReturnType<typeof startWebServer>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  buildPage();
  ({ dir, receipt } = await proveBatch('public'));
  writeFileSync(path.join(dir, 'receipt.json'), JSON.stringify(receipt));
  tampered(receipt).forEach(([, r], i) => writeFileSync(path.join(dir, `tampered-${i}.json`), JSON.stringify(r)));
  server = await startWebServer(dir);
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
  await terminateCurve();
});

async function verdictOf(p: Page): Promise<{ verdict: string; text: string }> {
  const v = p.locator('#verdict[data-verdict]');
  await v.waitFor({ timeout: 60_000 });
  return { verdict: (await v.getAttribute('data-verdict'))!, text: await v.innerText() };
}

describe('batched receipts in Chromium', () => {
  it('a batch of 3 verifies against the artifacts beside it and lists its inferences', async () => {
    await page.goto(`${server.url}?receipt=/files/receipt.json`);
    const v = await verdictOf(page);
    expect(v.verdict, v.text).toBe('valid');
    expect(await page.locator('#checks li[data-check="batch"]').getAttribute('class')).toBe('ok');
    expect(await page.locator('#batch').getAttribute('data-size')).toBe('3');
    const items = await page.locator('#batch li').allInnerTexts();
    expect(items.map((t) => t.split(':')[0])).toEqual(['x#0 → y#0', 'x#1 → y#1', 'x#2 → y#2']);
  });

  it('reordered, dropped or swapped inferences fail, naming the batch check', async () => {
    for (const [i, [what]] of tampered(receipt).entries()) {
      await page.goto(`${server.url}?receipt=/files/tampered-${i}.json`);
      const v = await verdictOf(page);
      expect(v.verdict, what).toBe('invalid');
      expect(v.text, what).toMatch(/check 'batch' failed/);
      expect(await page.locator('#checks li.fail').getAttribute('data-check'), what).toBe('batch');
    }
  });
});
