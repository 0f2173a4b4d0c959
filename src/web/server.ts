/**
 * A small static server for the browser page: the built page at `/`, an artifact directory at `/files/`,
 * on the loopback interface only. GET and HEAD; nothing outside the two roots is ever served.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactError, InputError } from '../errors.js';

/** Where `npm run build:web` puts the page (shipped in the npm package). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
/** The page's Vite config: present in a clone of the repository, not in the npm package. */
const VITE_CONFIG = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

/**
 * Build the page into web/dist when it is missing and this is a clone (what `npm run build:web` does), so
 * that `zkinfer web` works on a fresh clone. Progress goes to `onProgress`. Returns whether it built.
 * @example await buildPageIfMissing((m) => console.error(m));
 */
export async function buildPageIfMissing(onProgress: (message: string) => void = () => {}): Promise<boolean> {
  if (existsSync(path.join(WEB_DIST, 'index.html')) || !existsSync(VITE_CONFIG)) return false;
  let vite: string;
  try {
    vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    throw new ArtifactError(`${WEB_DIST}: the page is not built, and Vite is not installed`, { hint: 'run `npm ci` (Vite is a dev dependency), then `npm run build:web`' });
  }
  onProgress('web: the page is not built yet: building it with Vite (first use in a clone, a few seconds)');
  const t0 = performance.now();
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', VITE_CONFIG], { cwd: path.dirname(path.dirname(VITE_CONFIG)), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => output.push(b));
    child.stderr.on('data', (b: Buffer) => output.push(b));
    const tick = setInterval(() => onProgress(`web: building… ${((performance.now() - t0) / 1000).toFixed(0)} s`), 5000);
    child.on('error', reject);
    child.on('close', (c) => {
      clearInterval(tick);
      resolve(c);
    });
  });
  if (code !== 0) throw new ArtifactError(`building the page failed (vite build exited ${code}):\n${Buffer.concat(output).toString('utf8').trim().split('\n').slice(-12).join('\n')}`, { hint: 'run `npm run build:web` to see the whole output' });
  onProgress(`web: page built into ${path.relative(process.cwd(), WEB_DIST) || WEB_DIST} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.sol': 'text/plain; charset=utf-8',
  '.circom': 'text/plain; charset=utf-8',
};

export interface ServeWebParams {
  /** The built page (default: web/dist of this package). */
  pageDir?: string;
  /** Served at /files/ (e.g. an artifact directory with a receipt in it). */
  filesDir?: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The file under `root` that a URL path names, or undefined when it escapes root or does not exist. */
function resolveUnder(root: string, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
  const inside = path.relative(root, file);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  if (!existsSync(file)) return undefined;
  const st = statSync(file);
  if (st.isDirectory()) return existsSync(path.join(file, 'index.html')) ? path.join(file, 'index.html') : undefined;
  return st.isFile() ? file : undefined;
}

function send(req: IncomingMessage, res: ServerResponse, file: string | undefined, cache: string): void {
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const size = statSync(file).size;
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

/**
 * Serve the page and a directory of files until close() is called.
 * @example const s = await serveWeb({ filesDir: 'build/mnist', port: 8080 }); console.log(`${s.url}?receipt=/files/receipt.json`);
 */
export async function serveWeb(params: ServeWebParams = {}): Promise<WebServer> {
  const pageDir = path.resolve(params.pageDir ?? WEB_DIST);
  if (!existsSync(path.join(pageDir, 'index.html'))) {
    throw new ArtifactError(`${path.join(pageDir, 'index.html')}: the page is not built`, { hint: 'in a clone run `npm run build:web`; an installed package ships the page (reinstall it)' });
  }
  const filesDir = params.filesDir === undefined ? undefined : path.resolve(params.filesDir);
  if (filesDir && !(existsSync(filesDir) && statSync(filesDir).isDirectory())) throw new InputError(`--dir ${params.filesDir}: not a directory`);
  const host = params.host ?? '127.0.0.1';

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname.startsWith('/files/')) send(req, res, filesDir && resolveUnder(filesDir, pathname.slice('/files/'.length)), 'no-store');
    else send(req, res, resolveUnder(pageDir, pathname), 'no-cache');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new InputError(`port ${params.port} on ${host} is in use`, { hint: 'choose another with --port, or --port 0 for any free one' }) : e),
    );
    server.listen(params.port ?? 0, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
