/**
 * Fits the per-machine cost model that `zkinfer estimate` predicts time and memory with: runs the benchmark
 * on the default set plus extra sizes (bench/models.ts), then fits each step's median seconds and peak memory
 * (divided by the slowdown at the load average of its runs: the machine is shared) and peak memory as a
 * non-negative linear function of circuit features (src/estimate/cost-model.ts), and writes
 * src/estimate/cost-model.json. Or refits from earlier results:
 *
 *   node --import tsx bench/fit-cost-model.ts [--runs 3] [--from bench/results/fit/bench.json ...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../src/bench/run.js';
import type { BenchReport } from '../src/bench/run.js';
import { writeBenchResults } from '../src/bench/report.js';
import { BENCH_STEPS, COST_MODEL_URL, fitLinear, slowdown } from '../src/estimate/cost-model.js';
import type { BenchStep, CostModel, Feature } from '../src/estimate/cost-model.js';
import { benchModels, fitModels, ROOT } from './models.js';

/** Which features may explain each step (at most two are used, chosen by the fit). */
const FEATURES_OF: Record<BenchStep, Feature[]> = {
  compile: ['constraints', 'terms'],
  setup: ['wires', 'domain', 'constraints'],
  witness: ['wires', 'terms'],
  prove: ['wires', 'domain'],
  verify: ['nPublic'],
};

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, from: { type: 'string', multiple: true } } });

let reports: BenchReport[];
let resultsFile: string;
if (values.from?.length) {
  reports = values.from.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchReport);
  resultsFile = values.from.map((f) => path.relative(ROOT, f)).join(', ');
} else {
  const work = path.join(os.tmpdir(), `zkinfer-fit-models-${process.pid}`);
  const report = await runBench({
    models: [...benchModels(work), ...fitModels(work)],
    runs: Number(values.runs),
    onProgress: (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  });
  const out = path.join(ROOT, 'bench', 'results', 'fit');
  writeBenchResults(report, out);
  reports = [report];
  resultsFile = path.relative(ROOT, path.join(out, 'bench.json'));
}

const measured = reports.flatMap((r) => r.models.filter((m) => m.status === 'ok' && m.measured && m.estimate).map((m) => ({ ...m, cpus: r.machine.cpus })));
/** A step's median seconds as on an idle machine (measured seconds / slowdown at the load of its runs). */
const idleSeconds = (m: (typeof measured)[number], s: BenchStep): number => m.measured!.steps[s].seconds / slowdown(m.measured!.steps[s].load1 ?? 0, m.cpus);
if (measured.length < 3) throw new Error(`only ${measured.length} models measured: too few to fit`);
const steps = Object.fromEntries(
  BENCH_STEPS.map((s) => {
    const pts = (y: (m: (typeof measured)[number]) => number) => measured.map((m) => ({ x: m.estimate!.features, y: y(m) }));
    return [s, { seconds: fitLinear(pts((m) => idleSeconds(m, s)), FEATURES_OF[s]), peakRssMB: fitLinear(pts((m) => m.measured!.steps[s].peakRssMB), FEATURES_OF[s]) }];
  }),
) as CostModel['steps'];
const first = reports[0]!;
const model: CostModel = {
  format: 'zkinfer.cost-model/1',
  fittedAt: first.finishedAt,
  machine: { cpus: first.machine.cpus, cpuModel: first.machine.cpuModel, memoryGB: first.machine.memoryGB, node: first.machine.node, loadavg1: [first.load.min, first.load.median, first.load.max] },
  source: { results: resultsFile, models: measured.map((m) => m.name) },
  steps,
  points: measured.map((m) => ({
    model: m.name,
    features: m.estimate!.features,
    seconds: Object.fromEntries(BENCH_STEPS.map((s) => [s, idleSeconds(m, s)])) as Record<BenchStep, number>,
    load1: Object.fromEntries(BENCH_STEPS.map((s) => [s, m.measured!.steps[s].load1])) as Record<BenchStep, number>,
    peakRssMB: Object.fromEntries(BENCH_STEPS.map((s) => [s, m.measured!.steps[s].peakRssMB])) as Record<BenchStep, number>,
  })),
};
writeFileSync(COST_MODEL_URL, `${JSON.stringify(model, null, 2)}\n`);
for (const s of BENCH_STEPS) {
  const f = steps[s];
  process.stderr.write(`${s.padEnd(8)} seconds = ${f.seconds.intercept.toFixed(3)} + ${JSON.stringify(f.seconds.coef)} (max rel. error ${(100 * f.seconds.maxRelError).toFixed(0)}%)\n`);
  process.stderr.write(`${''.padEnd(8)} MiB     = ${f.peakRssMB.intercept.toFixed(1)} + ${JSON.stringify(f.peakRssMB.coef)} (max rel. error ${(100 * f.peakRssMB.maxRelError).toFixed(0)}%)\n`);
}
process.stderr.write(`wrote ${path.relative(ROOT, new URL(COST_MODEL_URL).pathname)}\n`);
