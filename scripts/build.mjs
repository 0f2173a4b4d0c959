#!/usr/bin/env node
// `npm run build`: src/ → dist/ (JavaScript, .d.ts, source maps with the sources inlined) with tsc, plus
// the files the code reads at run time (cost model, Solidity sources, the bench's RSS hook).
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const t0 = performance.now();
rmSync(dist, { recursive: true, force: true });
process.stderr.write('build: tsc -p tsconfig.build.json → dist/\n');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
let assets = 0;
for (const rel of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
  if (!/\.(json|sol|mjs)$/.test(rel)) continue;
  cpSync(path.join(src, rel), path.join(dist, rel));
  assets++;
}
process.stderr.write(`build: dist/ ready (${assets} asset files copied) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
// bin/zkinfer.js runs dist/ in a clone only while this stamp is newer than every file under src/.
writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
