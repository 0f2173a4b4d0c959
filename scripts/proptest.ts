/**
 * The full random-graph property run of issue 14 (test/helpers/proptest.ts): N seeded random graphs, each
 * compiled at default settings and with calibration, set up, proved and verified; prints every failure and a
 * summary by failure class with an example graph of each. Exit 1 if any case failed.
 *
 *   npm run proptest -- --seed 1 --count 500 --jobs 2    # ≥ 500 graphs in 2 processes
 *   npm run proptest -- --seed 1 --only 17 --keep        # rebuild one graph, keep its directory (printed)
 *   npm run proptest -- --seed 14 --count 24 --small     # the npm test subset
 *   options: --start I, --modes default,calibrated, --json FILE (every result)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomGraph } from '../test/helpers/random-graphs.js';
import { FAILURES, runGraph, workRoot } from '../test/helpers/proptest.js';
import type { CaseResult, Mode, Outcome } from '../test/helpers/proptest.js';
import { terminateCurve } from '../test/helpers/pipeline.js';

type Row = CaseResult & { description: string };

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt('--seed') ?? 1);
const only = opt('--only');
const start = Number(opt('--start') ?? 0);
const count = Number(opt('--count') ?? 500);
const jobs = Math.max(1, Number(opt('--jobs') ?? 1));
const modes = (opt('--modes') ?? 'default,calibrated').split(',') as Mode[];
const small = args.includes('--small');
const keep = args.includes('--keep');
const child = args.includes('--child');
const jsonOut = opt('--json');
const indices = only !== undefined ? only.split(',').map(Number) : Array.from({ length: count }, (_, i) => start + i);

const log = (r: Row): void => {
  const stages = Object.entries(r.stages).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  const line = `${r.id} ${r.mode.padEnd(10)} ${r.outcome.padEnd(16)} ${r.seconds.toFixed(1)}s ${r.constraints ?? '-'} constraints (${stages})`;
  const verbose = FAILURES.includes(r.outcome) || only !== undefined;
  process.stderr.write(verbose ? `${line}\n  graph: ${r.description}\n  ${r.detail}\n` : `${line}\n`);
};

/** Runs `idx` in this process; each result goes to `emit`. */
async function runHere(idx: number[], emit: (r: Row) => void): Promise<void> {
  const root = workRoot(`s${seed}`);
  const cacheDir = path.join(os.tmpdir(), 'zkinfer-test-cache');
  if (keep) process.stderr.write(`artifacts kept in ${root}\n`);
  for (const i of idx) {
    const g = randomGraph(seed, i, { small });
    await runGraph(g, { root, cacheDir, keep, modes, onResult: (r) => emit({ ...r, description: g.description }) });
  }
  await terminateCurve();
}

const children: ReturnType<typeof spawn>[] = [];
/** Runs `idx` in `jobs` child processes (graph i in child i mod jobs), collecting their JSON lines. */
async function runChildren(idx: number[], emit: (r: Row) => void): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const passOn = ['--seed', String(seed), '--modes', modes.join(','), ...(small ? ['--small'] : []), ...(keep ? ['--keep'] : [])];
  await Promise.all(
    Array.from({ length: jobs }, (_, k) => {
      const mine = idx.filter((_, j) => j % jobs === k);
      if (!mine.length) return Promise.resolve();
      const p = spawn(process.execPath, ['--import', 'tsx', self, ...passOn, '--only', mine.join(','), '--child'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(p);
      createInterface({ input: p.stdout! }).on('line', (l) => l.startsWith('{') && emit(JSON.parse(l) as Row));
      return new Promise<void>((resolve, reject) => p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`proptest child ${k} exited with ${code}`)))));
    }),
  );
}

if (child) {
  await runHere(indices, (r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  process.exit(0);
}

const results: Row[] = [];
const t0 = performance.now();
const collect = (r: Row): void => {
  results.push(r);
  log(r);
};

/** Prints the summary by failure class (and writes --json); the exit code: 1 if any case failed. */
function summarize(interrupted: boolean): number {
  const classes = [...new Set(results.map((r) => r.outcome))] as Outcome[];
  const graphsRun = new Set(results.map((r) => r.id)).size;
  const minutes = (performance.now() - t0) / 60000;
  const lines = [`proptest: seed ${seed}${small ? ' (small)' : ''}, ${graphsRun} graphs × ${modes.join(' + ')} = ${results.length} cases in ${minutes.toFixed(1)} min${interrupted ? ` (INTERRUPTED: ${indices.length} graphs asked)` : ''}`, ''];
  lines.push(`${'class'.padEnd(18)}${modes.map((m) => m.padStart(12)).join('')}`);
  for (const c of classes) lines.push(`${c.padEnd(18)}${modes.map((m) => String(results.filter((r) => r.outcome === c && r.mode === m).length).padStart(12)).join('')}`);
  for (const c of classes.filter((x) => FAILURES.includes(x))) {
    const ex = results.filter((r) => r.outcome === c).sort((a, b) => Number(a.id.split('-i')[1]) - Number(b.id.split('-i')[1]));
    const ids = [...new Set(ex.map((r) => r.id.split('-i')[1]))];
    lines.push('', `${c}: ${ex.length} (graphs ${ids.slice(0, 40).join(',')}${ids.length > 40 ? ',…' : ''})`);
    for (const r of ex.slice(0, 2)) lines.push(`  e.g. ${r.id} ${r.mode}: ${r.description}`, `       ${r.detail}`);
  }
  const failed = results.filter((r) => FAILURES.includes(r.outcome)).length;
  const unmet = results.filter((r) => r.outcome === 'unmet-declared').length;
  lines.push('', failed ? `${failed} of ${results.length} cases failed` : `${interrupted ? 'so far ' : ''}all ${results.length} cases pass (${unmet} with calibration's target declared unmet at compile, the defaults no better)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ seed, small, indices: [indices[0], indices.at(-1)], modes, interrupted, results }, null, 1));
  return failed ? 1 : 0;
}

// Ctrl-C / kill: the summary of what has run so far (children die with the process group)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGTERM');
    process.exit(summarize(true) || 130);
  });
}
await (jobs > 1 ? runChildren(indices, collect) : runHere(indices, collect));
process.exit(summarize(false));
