/**
 * The compiler's own identity, for the compile and setup caches: a hash of the sources that decide a circuit and
 * its keys (model import, the graph IR, the ops, quantization, code generation, composition, commitments, the
 * toolchain wrappers, compile / setup / receipt themselves), read from the running modules — src/*.ts in a
 * clone, dist/*.js in the installed package. The version string alone is not enough: it stays 0.1.0 while the
 * code generator changes, and stale artifacts and keys were once reused after such a change.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './hash.js';

/** Source directories and top-level modules (without extension) whose code shapes circuits and keys. */
const DIRS = ['import', 'ir', 'ops', 'quantize', 'codegen', 'compose', 'commit', 'toolchain'];
const FILES = ['compile', 'check-circuit', 'setup', 'receipt'];

const isCode = (f: string): boolean => (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts')) || f.endsWith('.js');

function listCode(root: string, rel: string, out: string[]): void {
  const abs = path.join(root, rel);
  if (!existsSync(abs)) return;
  for (const f of readdirSync(abs).sort()) {
    const r = path.join(rel, f);
    if (statSync(path.join(root, r)).isDirectory()) listCode(root, r, out);
    else if (isCode(f)) out.push(r);
  }
}

/** sha256 over the (path, content) of the compiler's sources under `root` (src/ or dist/). */
export function compilerSourcesHash(root: string): string {
  const files: string[] = [];
  for (const d of DIRS) listCode(root, d, files);
  for (const f of FILES) for (const ext of ['.ts', '.js']) if (existsSync(path.join(root, f + ext))) files.push(f + ext);
  return sha256(...files.flatMap((f) => {
    const bytes = readFileSync(path.join(root, f));
    return [`${f.split(path.sep).join('/')}\n${bytes.length}\n`, bytes];
  }));
}

/**
 * The root of the compiler's sources: src/ beside a dist/ built from it (a clone, where the CLI may run either:
 * both give one token), else the running modules (dist/ of an installed package, or src/).
 */
const running = fileURLToPath(new URL('..', import.meta.url));
const beside = path.join(running, '..', 'src');
export const MODULES_ROOT = path.basename(path.resolve(running)) === 'dist' && existsSync(beside) ? beside : running;

let cached: string | undefined;
/** compilerSourcesHash of the running modules, computed once per process. */
export function runningSourcesHash(): string {
  cached ??= compilerSourcesHash(MODULES_ROOT);
  return cached;
}
