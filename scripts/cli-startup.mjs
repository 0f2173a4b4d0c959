#!/usr/bin/env node
// CLI start-up time: median wall-clock seconds of `node bin/zkinfer.js <args>` over N runs (default 10).
// Usage: node scripts/cli-startup.mjs [runs] [path/to/zkinfer.js]     (prints one line per command)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 10);
const bin = process.argv[3] ?? fileURLToPath(new URL('../bin/zkinfer.js', import.meta.url));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// `node -e 0` first: what the machine's load makes of Node's own start-up.
for (const args of [null, ['--version'], ['--help']]) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args ? [bin, ...args] : ['-e', '0'], { encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (i === 0 && r.status !== 0) process.stderr.write(`zkinfer ${args?.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n')[0]}\n`);
  }
  console.log(`${args ? `zkinfer ${args.join(' ')}`.padEnd(17) : 'node -e 0'.padEnd(17)} median ${median(times).toFixed(3)} s  (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)}, ${runs} runs)`);
}
