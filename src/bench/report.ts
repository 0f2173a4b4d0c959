/**
 * The benchmark report: targets judged against the measured figures, predicted vs measured, where prove
 * time goes, memory growth; written as JSON, Markdown and SVG charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_STEPS, slowdown } from '../estimate/cost-model.js';
import type { BenchStep } from '../estimate/cost-model.js';
import type { BenchReport, ModelResult } from './run.js';
import { logLogChart, stackedBars } from './svg.js';

export const GAS_TARGET = 225_000;
/** A step's memory passes when (peak − worker baseline) grows at most like constraints^1.1. */
export const MEMORY_EXPONENT_LIMIT = 1.1;
/** Models at least this large decide the memory exponent (below it the baseline dominates). */
const MEMORY_MIN_CONSTRAINTS = 2_000;
export const ESTIMATE_TOLERANCE = 0.2;

export interface TargetResult {
  target: string;
  measured: string;
  limit: string;
  result: 'pass' | 'FAIL' | 'not measured';
  note?: string;
}

const ok = (m: ModelResult): m is ModelResult & { measured: NonNullable<ModelResult['measured']> } => m.status === 'ok' && !!m.measured;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const sec = (s: number): string => (Number.isFinite(s) ? (s < 10 ? s.toFixed(2) : s.toFixed(1)) : '–');
const mib = (b: number): string => (b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 2 : 1);
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)}%`;

/** What a step's memory grows with: the compiler walks the source's linear-combination terms. */
const SIZE_OF: Record<string, { label: string; of: (m: ModelResult) => number }> = {
  compile: { label: 'source terms', of: (m) => m.estimate!.features.terms },
};
const sizeOf = (step: string) => SIZE_OF[step] ?? { label: 'constraints', of: (m: ModelResult) => m.measured!.constraints.total };

export interface MemoryExponent {
  /** A family of one architecture at several sizes, or 'all models'. */
  family: string;
  step: string;
  size: string;
  exponent: number;
  points: number;
  mibPer1k: number;
}

/** Exponent e of (peak − baseline) ≈ c·size^e over some models, least squares in log-log. */
function exponentOf(r: BenchReport, models: ModelResult[], step: BenchStep, family: string): MemoryExponent {
  const size = sizeOf(step);
  const pts = models.filter(ok).map((m) => ({ n: size.of(m), y: m.measured.steps[step].peakRssMB - r.baselineRssMB })).filter((p) => p.n >= MEMORY_MIN_CONSTRAINTS && p.y > 1);
  const lx = pts.map((p) => Math.log(p.n));
  const ly = pts.map((p) => Math.log(p.y));
  const mx = lx.reduce((a, b) => a + b, 0) / Math.max(1, pts.length);
  const my = ly.reduce((a, b) => a + b, 0) / Math.max(1, pts.length);
  const sxx = lx.reduce((a, x) => a + (x - mx) ** 2, 0);
  const exponent = pts.length >= 2 && sxx > 0 ? lx.reduce((a, x, i) => a + (x - mx) * (ly[i]! - my), 0) / sxx : NaN;
  const big = [...pts].sort((a, b) => a.n - b.n);
  const mibPer1k = big.length >= 2 ? ((big.at(-1)!.y - big[0]!.y) / (big.at(-1)!.n - big[0]!.n)) * 1000 : NaN;
  return { family, step, size: size.label, exponent, points: pts.length, mibPer1k };
}

/**
 * Memory growth per step: within each family of one architecture at ≥ 3 sizes (what the target is judged
 * on: across architectures, shape differences mix with size), and over all models for reference.
 */
export function memoryExponents(r: BenchReport): MemoryExponent[] {
  const families = new Map<string, ModelResult[]>();
  for (const m of r.models.filter(ok)) if (m.family) families.set(m.family, [...(families.get(m.family) ?? []), m]);
  const groups = [...[...families].filter(([, ms]) => ms.length >= 3), ['all models', r.models] as [string, ModelResult[]]];
  return groups.flatMap(([family, ms]) => BENCH_STEPS.map((s) => exponentOf(r, ms, s, family)));
}

export function evaluateTargets(r: BenchReport): TargetResult[] {
  const out: TargetResult[] = [];
  const byName = new Map(r.models.map((m) => [m.name, m]));
  const missing = (m: ModelResult | undefined): string => (m ? `${m.status}${m.reason ? `: ${m.reason}` : ''}` : 'not in this run');
  for (const m of r.models) {
    const t = m.target;
    if (!t) continue;
    if (t.constraints !== undefined) {
      out.push(ok(m)
        ? { target: `${m.name} constraints`, measured: int(m.measured.constraints.total), limit: `≤ ${int(t.constraints)}`, result: m.measured.constraints.total <= t.constraints ? 'pass' : 'FAIL', note: t.reference ? `circomlib-ml: ${int(t.reference)} (${(t.reference / m.measured.constraints.total).toFixed(1)}× more)` : undefined }
        : { target: `${m.name} constraints`, measured: '–', limit: `≤ ${int(t.constraints)}`, result: 'not measured', note: missing(m) });
    }
    if (t.proveSeconds !== undefined) {
      const p = ok(m) ? m.measured.split.witness + m.measured.split.prove : NaN;
      out.push(ok(m)
        ? { target: `${m.name} prove (witness + Groth16, medians)`, measured: `${sec(p)} s`, limit: `≤ ${t.proveSeconds} s`, result: p <= t.proveSeconds ? 'pass' : 'FAIL', note: `witness ${sec(m.measured.split.witness)} s + Groth16 ${sec(m.measured.split.prove)} s` }
        : { target: `${m.name} prove (witness + Groth16, medians)`, measured: '–', limit: `≤ ${t.proveSeconds} s`, result: 'not measured', note: missing(m) });
    }
    if (t.setupSeconds !== undefined) {
      const s = ok(m) ? m.measured.ptau.seconds + m.measured.steps.setup.seconds : NaN;
      out.push(ok(m)
        ? { target: `${m.name} dev setup (ptau + proving key)`, measured: `${sec(s)} s`, limit: `≤ ${t.setupSeconds} s`, result: s <= t.setupSeconds ? 'pass' : 'FAIL', note: `ptau 2^${m.measured.ptau.power} ${sec(m.measured.ptau.seconds)} s + key ${sec(m.measured.steps.setup.seconds)} s` }
        : { target: `${m.name} dev setup (ptau + proving key)`, measured: '–', limit: `≤ ${t.setupSeconds} s`, result: 'not measured', note: missing(m) });
    }
  }
  for (const m of r.models.filter((x) => x.group === 'bench' && x.hashedInputGas && x.hashedInputGas.outputs <= 10)) {
    const g = m.hashedInputGas!;
    out.push({ target: `${m.name} verify gas, hashed input`, measured: `${int(g.gas)} (predicted, ${g.nPublic} public signals)`, limit: `≤ ${int(GAS_TARGET)}`, result: g.gas <= GAS_TARGET ? 'pass' : 'FAIL', note: `${g.outputs} outputs, --output-scale ${g.outputScale}` });
  }
  const exps = memoryExponents(r);
  const judged = exps.some((e) => e.family !== 'all models') ? exps.filter((e) => e.family !== 'all models') : exps;
  for (const e of judged) {
    const what = `${e.step} memory growth (${e.family})`;
    out.push(Number.isFinite(e.exponent)
      ? { target: what, measured: `∝ ${e.size}^${e.exponent.toFixed(2)} (${e.points} models ≥ ${int(MEMORY_MIN_CONSTRAINTS)} ${e.size})`, limit: `exponent ≤ ${MEMORY_EXPONENT_LIMIT}`, result: e.exponent <= MEMORY_EXPONENT_LIMIT ? 'pass' : 'FAIL', note: `≈ ${e.mibPer1k.toFixed(2)} MiB per 1k ${e.size}` }
      : { target: what, measured: '–', limit: `exponent ≤ ${MEMORY_EXPONENT_LIMIT}`, result: 'not measured', note: 'fewer than 2 models large enough' });
  }
  const cmp = comparisons(r);
  if (cmp.length) {
    const ok = (c: Comparison) => Math.abs(c.error) <= ESTIMATE_TOLERANCE;
    const judged = cmp.filter((c) => c.judged);
    const other = cmp.filter((c) => !c.judged);
    out.push({
      target: 'estimate vs measured: constraints, key and ptau sizes, peak memory of every step, prove time (witness + Groth16)',
      measured: `${judged.filter(ok).length}/${judged.length} within ±20%`,
      limit: '±20%',
      result: judged.every(ok) ? 'pass' : 'FAIL',
      note: `see "Predicted vs measured"; the seconds of each step alone, shown but not judged: ${other.filter(ok).length}/${other.length} within ±20%`,
    });
  }
  return out;
}

export interface Comparison {
  model: string;
  quantity: string;
  predicted: number;
  measured: number;
  error: number;
  /**
   * Judged by the ±20% target: what `zkinfer estimate` promises before compiling (constraints, proving-key
   * and ptau sizes, peak memory, prove time = witness + Groth16). Each step's seconds alone are shown, not judged.
   */
  judged: boolean;
}

/** The seconds the estimate target judges: the time to prove (witness generation + the Groth16 prover). */
const PROVE_TOTAL = 'witness + Groth16 s';

/** Every predicted figure next to the measured one, for models that ran. */
export function comparisons(r: BenchReport): Comparison[] {
  const out: Comparison[] = [];
  for (const m of r.models.filter(ok)) {
    const e = m.estimate!;
    const add = (quantity: string, predicted: number, measured: number) =>
      out.push({ model: m.name, quantity, predicted, measured, error: measured ? (predicted - measured) / measured : 0, judged: !quantity.endsWith(' s') || quantity === PROVE_TOTAL });
    add('constraints', e.constraints.total, m.measured.constraints.total);
    add('proving key bytes', e.sizes.provingKeyBytes, m.measured.zkeyBytes);
    add('ptau bytes', e.sizes.ptauBytes, m.measured.ptau.bytes);
    if (!e.predicted) continue;
    // predicted at the CPU other processes took during its runs, from the idle-machine prediction
    const at = (s: BenchStep) => e.predicted![s].secondsIdle * slowdown(s, m.measured.steps[s].othersCores ?? 0, r.machine.cpus);
    for (const s of BENCH_STEPS) {
      add(`${s} s`, at(s), m.measured.steps[s].seconds);
      add(`${s} peak MiB`, e.predicted[s].peakRssMB, m.measured.steps[s].peakRssMB);
    }
    add(PROVE_TOTAL, at('witness') + at('prove'), m.measured.steps.witness.seconds + m.measured.steps.prove.seconds);
  }
  return out;
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The range of the other processes' CPU (cores) over every step of these models, e.g. `0.00–0.05`. */
function othersRange(models: { measured: { steps: Record<BenchStep, { othersCores?: number }> } }[]): string {
  const xs = models.flatMap((m) => BENCH_STEPS.map((s) => m.measured.steps[s].othersCores)).filter((x): x is number => x !== undefined);
  return xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : 'unknown (not measured)';
}

export function renderMarkdown(r: BenchReport, charts: string[]): string {
  const models = r.models.filter(ok);
  const L = r.load;
  const o: string[] = [];
  o.push('# zkinfer benchmark', '');
  o.push(`${r.startedAt} → ${r.finishedAt}. ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGB} GB, Node ${r.machine.node}, ${r.machine.platform}.`);
  o.push(`**Load** (1-min average, the bench's own processes included): ${L.start[0]!.toFixed(1)} at start, ${L.end[0]!.toFixed(1)} at the end, ${L.min.toFixed(1)}–${L.max.toFixed(1)} (median ${L.median.toFixed(1)}) at step starts, on ${r.machine.cpus} cores. **Other processes** used ${othersRange(models)} cores' worth of CPU during the steps (median of each step's runs; /proc/stat less the step's own).`);
  o.push(`Medians of ${r.runs} runs per step, each run in its own process. Peak memory = peak RSS of the step's process + its largest child (the circom compiler); a worker that does nothing peaks at ${r.baselineRssMB.toFixed(0)} MiB. Prove = the Groth16 prover (snarkjs) on a precomputed witness; witness = circom's witness wasm, timed apart.`, '');

  o.push('## Results', '');
  o.push(table(['model', 'constraints (non-linear + linear)', 'ptau', 'compile s', 'setup s', 'witness s', 'prove s', 'verify s', 'proving key MiB', 'ptau MiB', 'proof bytes', 'verify gas (pred.)', 'max abs error vs float'],
    models.map((m) => {
      const x = m.measured;
      const s = x.steps;
      return [m.name, `${int(x.constraints.total)} (${int(x.constraints.nonLinear)} + ${int(x.constraints.linear)})`, `2^${x.ptauPower}`, sec(s.compile.seconds), sec(s.setup.seconds), sec(s.witness.seconds), sec(s.prove.seconds), sec(s.verify.seconds), mib(x.zkeyBytes), mib(x.ptau.bytes), `${x.proofBytes.raw} (JSON ${x.proofBytes.json})`, int(m.estimate!.verifyGas.gas), x.maxAbsError.toExponential(2)];
    })), '');
  o.push(table(['model', ...BENCH_STEPS.map((s) => `${s} peak MiB`), 'dev ptau s', 'other processes at prove runs (cores)'], models.map((m) => [m.name, ...BENCH_STEPS.map((s) => m.measured.steps[s].peakRssMB.toFixed(0)), sec(m.measured.ptau.seconds), (m.measured.steps.prove.othersCores ?? NaN).toFixed(2)])), '');
  const other = r.models.filter((m) => !ok(m));
  if (other.length) o.push(...other.map((m) => `- **${m.name}**: ${m.status}: ${m.reason}`), '');

  o.push('## Targets', '');
  o.push(table(['target', 'measured', 'limit', 'result', 'note'], evaluateTargets(r).map((t) => [t.target, t.measured, t.limit, t.result === 'pass' ? 'pass' : `**${t.result}**`, t.note ?? ''])), '');

  o.push('## Predicted vs measured', '', '`zkinfer estimate` runs the quantizer only; times and memory come from the cost model fitted on this machine (src/estimate/cost-model.json, bench/fit-cost-model.ts). Seconds are predicted for an idle machine and multiplied by max(1, (threads + others) / cores), with the CPU (in cores) other processes used during the runs (measured from /proc/stat around each step; the bench itself does not count).', '');
  o.push(table(['model', 'quantity', 'predicted', 'measured', 'error'], comparisons(r).map((c) => [c.model, c.judged ? c.quantity : `${c.quantity} (not judged)`, c.quantity.endsWith(' s') ? sec(c.predicted) : c.quantity.includes('MiB') ? c.predicted.toFixed(0) : int(c.predicted), c.quantity.endsWith(' s') ? sec(c.measured) : c.quantity.includes('MiB') ? c.measured.toFixed(0) : int(c.measured), Math.abs(c.error) <= ESTIMATE_TOLERANCE ? pct(c.error) : `**${pct(c.error)}**`])), '');

  o.push('## Where prove time goes', '');
  o.push(table(['model', 'constraints', 'witness s', 'Groth16 s', 'witness share', 'witness µs/constraint', 'Groth16 µs/constraint'], models.map((m) => {
    const x = m.measured;
    return [m.name, int(x.constraints.total), sec(x.split.witness), sec(x.split.prove), `${(100 * x.split.witnessShare).toFixed(0)}%`, ((1e6 * x.split.witness) / x.constraints.total).toFixed(1), ((1e6 * x.split.prove) / x.constraints.total).toFixed(1)];
  })), '');

  const phaseNames = [...new Set(models.flatMap((m) => Object.keys(m.measured.proverPhases ?? {})))];
  if (phaseNames.length) {
    o.push('Inside the Groth16 prover (one profiled run per model, snarkjs phases, share of its time):', '');
    o.push(table(['model', 'Groth16 s', ...phaseNames], models.map((m) => {
      const ph = m.measured.proverPhases ?? {};
      const total = Object.values(ph).reduce((a, b) => a + b, 0);
      return [m.name, sec(total), ...phaseNames.map((n) => (ph[n] !== undefined && total > 0 ? `${((100 * ph[n]!) / total).toFixed(0)}%` : '–'))];
    })), '');
  }

  o.push('## Repeated proving (one process, proving key and witness wasm loaded once)', '');
  o.push(table(['model', 'proofs', 'load s', 'total s', 'proofs/min', 'Groth16 s per proof (batch median)', 'Groth16 s (fresh process)', 'witness s per proof (batch median)'], models.map((m) => {
    const p = m.measured.proveMany;
    return [m.name, String(p.proofs), sec(p.load), sec(p.seconds), p.proofsPerMinute.toFixed(1), sec(p.medianProve), sec(m.measured.steps.prove.seconds), sec(p.medianWitness)];
  })), '');

  if (r.optimizations) {
    const O = r.optimizations;
    o.push(`## circom --O1 vs --O2 (${O.model}, runs interleaved)`, '');
    o.push(table(['', 'constraints (non-linear + linear)', 'wires', 'compile s', 'dev key s', 'proving key MiB', 'witness s', 'Groth16 s'], O.variants.map((v) => [`--${v.optimize}`, `${int(v.constraints.total)} (${int(v.constraints.nonLinear)} + ${int(v.constraints.linear)})`, int(v.constraints.wires), sec(v.compile.seconds), sec(v.setup.seconds), mib(v.zkeyBytes), sec(v.witness), sec(v.groth16.seconds)])), '');
    o.push(`Faster to prove: **--${O.fasterToProve}**.`, '');
  }

  o.push('## Memory growth', '', `Exponent e of (peak − ${r.baselineRssMB.toFixed(0)} MiB baseline) ≈ c · size^e, least squares in log-log over models of size ≥ ${int(MEMORY_MIN_CONSTRAINTS)}, within each family of one architecture at several sizes (the target) and over all models; size is the constraint count, except for compile: circom's memory follows the terms of the linear combinations in the source (compile-memory-vs-terms.svg), not the constraints. Curves: memory-vs-constraints.svg.`, '');
  o.push(table(['models', 'step', 'size', 'exponent', 'points', 'MiB per 1k of size'], memoryExponents(r).map((e) => [e.family, e.step, e.size, Number.isFinite(e.exponent) ? e.exponent.toFixed(2) : '–', String(e.points), Number.isFinite(e.mibPer1k) ? e.mibPer1k.toFixed(2) : '–'])), '');
  o.push('## Charts', '', ...charts.map((c) => `- [${c}](${c})`), '');
  return o.join('\n');
}

/** Write bench.json, bench.md and the SVG charts into `outDir`; returns the files written. */
export function writeBenchResults(r: BenchReport, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: Record<string, string> = {};
  const models = r.models.filter(ok);
  const pts = (f: (m: (typeof models)[number]) => number) => models.map((m) => ({ x: m.measured.constraints.total, y: f(m), label: m.name }));
  files['prove-vs-constraints.svg'] = logLogChart({
    title: 'Proving time vs constraints',
    xLabel: 'constraints',
    yLabel: 'seconds (median)',
    series: [
      { name: 'Groth16 prove', points: pts((m) => m.measured.steps.prove.seconds) },
      { name: 'witness', points: pts((m) => m.measured.split.witness) },
      { name: 'setup (dev key)', points: pts((m) => m.measured.steps.setup.seconds) },
      ...(models.some((m) => m.estimate?.predicted) ? [{ name: 'predicted prove', dashed: true, points: models.filter((m) => m.estimate?.predicted).map((m) => ({ x: m.measured.constraints.total, y: m.estimate!.predicted!.prove.seconds })) }] : []),
    ],
  });
  const ns = models.map((m) => m.measured.constraints.total).filter((n) => n >= MEMORY_MIN_CONSTRAINTS);
  const lo = Math.min(...ns);
  const maxProve = Math.max(...models.filter((m) => m.measured.constraints.total === lo).map((m) => m.measured.steps.prove.peakRssMB - r.baselineRssMB), 1);
  files['memory-vs-constraints.svg'] = logLogChart({
    title: `Peak memory above the ${r.baselineRssMB.toFixed(0)} MiB worker baseline`,
    xLabel: 'constraints',
    yLabel: 'MiB',
    series: [
      ...BENCH_STEPS.map((s) => ({ name: s, points: pts((m) => m.measured.steps[s].peakRssMB - r.baselineRssMB) })),
      ...(ns.length ? [{ name: 'linear (slope 1)', dashed: true, points: [lo, Math.max(...ns)].map((n) => ({ x: n, y: (maxProve * n) / lo })) }] : []),
    ],
  });
  files['compile-memory-vs-terms.svg'] = logLogChart({
    title: 'Compile peak memory (worker + circom) vs source terms',
    xLabel: 'terms of the linear combinations in the circom source',
    yLabel: 'MiB',
    series: [{ name: 'compile', points: models.map((m) => ({ x: m.estimate!.features.terms, y: m.measured.steps.compile.peakRssMB, label: m.name })) }],
  });
  for (const m of r.models.filter((x) => x.group === 'bench' && x.estimate)) {
    const by = Object.entries(m.estimate!.constraints.byOp).sort((a, b) => b[1].nonLinear + b[1].linear - (a[1].nonLinear + a[1].linear));
    files[`constraints-by-op-${m.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}.svg`] = stackedBars({ title: `${m.name}: constraints per op type (${int(m.estimate!.constraints.total)})`, parts: ['non-linear', 'linear'], bars: by.map(([k, v]) => ({ label: k, values: [v.nonLinear, v.linear] })) });
  }
  const charts = Object.keys(files);
  files['bench.md'] = renderMarkdown(r, charts);
  files['bench.json'] = `${JSON.stringify({ ...r, targets: evaluateTargets(r) }, null, 2)}\n`;
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(outDir, f), text);
  return Object.keys(files).map((f) => path.join(outDir, f));
}
