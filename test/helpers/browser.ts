/** Debian's Chromium through playwright-core (no browser downloads), and the `zkinfer web` server as a user runs it. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { ROOT } from './conformance.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Build web/ into web/dist with Vite (what `npm run build:web` does). */
export function buildPage(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(ROOT, 'web', 'vite.config.ts')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Headless Chromium with a fresh profile and no background traffic; close() also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'zkinfer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1000, height: 900 },
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** `zkinfer web --port 0 --dir DIR --json` in a child process; resolves with its URL once it listens. */
export async function startWebServer(dir: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<number | null> }> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'zkinfer.js'), 'web', '--port', '0', '--dir', dir, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        /* not the whole document yet */
      }
    });
    proc.once('exit', (code) => reject(new Error(`zkinfer web exited (${code}) before listening:\n${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    url,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
