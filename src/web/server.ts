/**
 * A small static server for the browser page: the built page at `/`, an artifact directory at `/files/`,
 * on the loopback interface only. GET and HEAD; nothing outside the two roots is ever served.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactError, InputError } from '../errors.js';

/** Where `npm run build:web` puts the page. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

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
    throw new ArtifactError(`${path.join(pageDir, 'index.html')}: the page is not built`, { hint: 'run `npm run build:web`' });
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
