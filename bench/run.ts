/**
 * `npm run bench`: the project's benchmark set (bench/models.ts) through src/bench/run.ts, results in
 * bench/results/ (bench.json, bench.md, SVG charts). Takes several minutes; progress on stderr.
 *
 *   node --import tsx bench/run.ts [--runs 3] [--proofs 5] [--only name,name] [--no-scaling] [--out DIR]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../src/bench/run.js';
import { writeBenchResults } from '../src/bench/report.js';
import { benchModels, MODELS_DIR, referenceModels, ROOT } from './models.js';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    proofs: { type: 'string', default: '5' },
    only: { type: 'string' },
    'no-scaling': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'results') },
  },
});

for (const [name, bytes] of Object.entries(referenceModels())) {
  const f = path.join(MODELS_DIR, `${name}.onnx`);
  if (!existsSync(f)) writeFileSync(f, bytes);
}
const work = path.join(os.tmpdir(), `zkinfer-bench-models-${process.pid}`);
const only = values.only?.split(',');
const models = benchModels(work, { scaling: !values['no-scaling'] }).filter((m) => !only || only.includes(m.name));
const report = await runBench({
  models,
  runs: Number(values.runs),
  manyProofs: Number(values.proofs),
  compareOptimizations: models.find((m) => m.name.startsWith('mnist-mlp'))?.name,
  onProgress: (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`),
});
for (const f of writeBenchResults(report, values.out!)) process.stderr.write(`wrote ${path.relative(ROOT, f)}\n`);
rmSync(work, { recursive: true, force: true });
