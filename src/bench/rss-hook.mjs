// Preloaded into every Node process a benchmark step starts (through NODE_OPTIONS): at exit, record this
// process's peak resident memory in $ZKINFER_BENCH_RSS_DIR/<pid>.json, so the harness can read the peak of
// child processes too (the circom compiler runs in one), which process.resourceUsage() cannot see.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.ZKINFER_BENCH_RSS_DIR;
if (dir && isMainThread) {
  process.on('exit', () => {
    try {
      const maxRssKB = process.resourceUsage().maxRSS;
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, ppid: process.ppid, maxRssKB, argv: process.argv.slice(1, 3) }));
    } catch {
      // best effort: a missing record only loses a memory figure
    }
  });
}
