#!/usr/bin/env node
// zkinfer CLI entry. An installed package runs the compiled dist/. In a clone, dist/ is used when
// `npm run build` made it after the last change under src/; otherwise the TypeScript sources run through
// tsx (a dev dependency), so a fresh clone needs no build step.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered here, before any module loads.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version}\n`);
  process.exit(0);
}

const stamp = new URL('dist/.build-stamp', root);
const src = new URL('src/', root);

/** Newest modification time under src/ (a clone only). */
function newestSource() {
  let newest = 0;
  for (const rel of readdirSync(src, { recursive: true, encoding: 'utf8' })) newest = Math.max(newest, statSync(new URL(rel, src)).mtimeMs);
  return newest;
}

const fromDist = existsSync(stamp) && (!existsSync(src) || statSync(stamp).mtimeMs >= newestSource());
if (fromDist) {
  await import('../dist/cli/main.js');
} else if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  process.stderr.write('error: zkinfer is not built (no dist/): run `npm run build`\n');
  process.exitCode = 3;
}
