/**
 * The full random-graph property run of issue 14 (test/helpers/proptest.ts): N seeded random graphs, each
 * compiled at default settings and with calibration, set up, proved and verified; prints every failure and a
 * summary by failure class with an example graph of each.
 *
 *   npm run proptest -- --seed 1 --count 500              # ≥ 500 graphs (about an hour on 2 cores)
 *   npm run proptest -- --seed 1 --only 17 --keep         # rebuild one graph, keep its directory
 *   npm run proptest -- --seed 1 --count 50 --modes calibrated --json results.json
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomGraph } from '../test/helpers/random-graphs.js';
import type { RandomGraph } from '../test/helpers/random-graphs.js';
import { FAILURES, runCase, workRoot } from '../test/helpers/proptest.js';
import type { CaseResult, Mode, Outcome } from '../test/helpers/proptest.js';
import { terminateCurve } from '../test/helpers/pipeline.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt('--seed') ?? 1);
const only = opt('--only');
const start = Number(opt('--start') ?? 0);
const count = Number(opt('--count') ?? 500);
const modes = (opt('--modes') ?? 'default,calibrated').split(',') as Mode[];
const keep = args.includes('--keep');
const jsonOut = opt('--json');
const indices = only !== undefined ? only.split(',').map(Number) : Array.from({ length: count }, (_, i) => start + i);

const root = workRoot(`s${seed}`);
const cacheDir = path.join(os.tmpdir(), 'zkinfer-test-cache');
const results: CaseResult[] = [];
const graphs = new Map<string, RandomGraph>();
const t0 = performance.now();
for (const i of indices) {
  const g = randomGraph(seed, i);
  graphs.set(g.id, g);
  for (const mode of modes) {
    const r = await runCase(g, mode, { workDir: path.join(root, `${g.id}-${mode}`), cacheDir, keep });
    results.push(r);
    const line = `${g.id} ${mode.padEnd(10)} ${r.outcome.padEnd(14)} ${r.seconds.toFixed(1)}s ${r.constraints ?? '-'} constraints`;
    if (FAILURES.includes(r.outcome) || only !== undefined) process.stderr.write(`${line}\n  graph: ${g.description}\n  ${r.detail}\n`);
    else process.stderr.write(`${line}\n`);
  }
}
await terminateCurve();

const classes = [...new Set(results.map((r) => r.outcome))] as Outcome[];
const minutes = (performance.now() - t0) / 60000;
const lines = [`proptest: seed ${seed}, ${indices.length} graphs × ${modes.join(' + ')} = ${results.length} cases in ${minutes.toFixed(1)} min`, ''];
lines.push(`${'class'.padEnd(16)}${modes.map((m) => m.padStart(12)).join('')}`);
for (const c of classes) lines.push(`${c.padEnd(16)}${modes.map((m) => String(results.filter((r) => r.outcome === c && r.mode === m).length).padStart(12)).join('')}`);
for (const c of classes.filter((x) => FAILURES.includes(x))) {
  const ex = results.filter((r) => r.outcome === c);
  lines.push('', `${c}: ${ex.length} (graphs ${[...new Set(ex.map((r) => r.id.replace(/^s\d+-i/, '')))].slice(0, 30).join(',')}${ex.length > 30 ? ',…' : ''})`);
  for (const r of ex.slice(0, 2)) lines.push(`  e.g. ${r.id} ${r.mode}: ${graphs.get(r.id)!.description}`, `       ${r.detail}`);
}
const failed = results.filter((r) => FAILURES.includes(r.outcome)).length;
lines.push('', failed ? `${failed} of ${results.length} cases failed` : `all ${results.length} cases pass (${results.filter((r) => r.outcome === 'unmet-declared').length} with calibration's target declared unmet at compile)`);
process.stdout.write(`${lines.join('\n')}\n`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ seed, indices: [indices[0], indices.at(-1)], modes, results }, null, 1));
process.exit(failed ? 1 : 0);
