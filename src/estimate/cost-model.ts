/**
 * The per-machine cost model: seconds and peak memory of each pipeline step as a linear function of
 * circuit features, fitted to benchmark measurements (bench/fit-cost-model.ts writes cost-model.json beside
 * this file). Non-negative least squares over subsets of the features: a step's cost never decreases when
 * a circuit grows, and a small data set cannot buy a good fit with cancelling coefficients.
 */
import { existsSync, readFileSync } from 'node:fs';

/** What a circuit is measured by: all known before compiling (src/estimate). */
export interface CircuitFeatures {
  constraints: number;
  wires: number;
  /** 2^ptauPower: the FFT and H-query size. */
  domain: number;
  /** Terms of all linear combinations, as evaluated (≈ the non-zeros of the constraint matrices). */
  terms: number;
  nPublic: number;
  /**
   * Bytes of the generated circom source: what circom parses and writes witness code for. A convolution's
   * terms are written once per weight pattern, a dense layer's once per weight, so two circuits of equal
   * terms can differ 10× here (mnist-8: 560k terms in 1.4 MB; 784→256→256→10: 270k terms in 3.9 MB).
   * Absent from cost models fitted before it was measured.
   */
  sourceBytes?: number;
}
export type Feature = keyof CircuitFeatures;
export const FEATURES: Feature[] = ['constraints', 'wires', 'domain', 'terms', 'nPublic', 'sourceBytes'];

export const BENCH_STEPS = ['compile', 'setup', 'witness', 'prove', 'verify'] as const;
export type BenchStep = (typeof BENCH_STEPS)[number];

/** Threads a step keeps busy on an idle machine: circom and the witness wasm run on one, snarkjs on all cores. */
export const stepThreads = (step: BenchStep, cpus: number): number => (step === 'compile' || step === 'witness' ? 1 : cpus);

/**
 * How much slower a step runs while other processes use `others` cores' worth of CPU: the step's T threads
 * and the others share C cores, each runnable thread getting about C / (T + others) of a core once
 * T + others > C. Seconds are fitted as seconds / slowdown (an idle machine) and predicted as idle
 * seconds × slowdown. `others` is measured around each bench step (src/bench/contention.ts) and, before a
 * run, read from the load average (nothing of ours is running then).
 */
export const slowdown = (step: BenchStep, others: number, cpus: number): number => {
  const c = Math.max(1, cpus);
  return Math.max(1, (Math.min(stepThreads(step, c), c) + Math.max(0, others)) / c);
};

export interface LinearFit {
  intercept: number;
  coef: Partial<Record<Feature, number>>;
  /** Each term is coef · feature^exponent; the exponent is 1 where absent (sublinear costs, e.g. circom's memory). */
  exponent?: Partial<Record<Feature, number>>;
  /** Points fitted and the worst relative error on them. */
  n: number;
  maxRelError: number;
}

export interface CostModel {
  format: 'zkinfer.cost-model/1';
  fittedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; loadavg1: number[] };
  /** Which bench results file and models it was fitted on. */
  source: { results: string; models: string[] };
  /** Seconds are for an idle machine (see slowdown). */
  steps: Record<BenchStep, { seconds: LinearFit; peakRssMB: LinearFit }>;
  /**
   * The measurements fitted (medians; seconds already divided by the slowdown at the other processes' CPU
   * use measured during their runs, `othersCores`; 0 where the results predate that measurement), to inspect or redo the fit.
   */
  points: { model: string; only?: BenchStep[]; features: CircuitFeatures; seconds: Record<BenchStep, number>; peakRssMB: Record<BenchStep, number>; othersCores: Record<BenchStep, number> }[];
}

export const predict = (f: LinearFit, x: CircuitFeatures): number =>
  f.intercept + Object.entries(f.coef).reduce((s, [k, c]) => s + (c ?? 0) * (x[k as Feature] ?? 0) ** (f.exponent?.[k as Feature] ?? 1), 0);

/** A fit as a readable formula, e.g. `0.59 + 1.3e-5·constraints + 9.3e-5·terms^0.75`. */
export const formula = (f: LinearFit): string =>
  [f.intercept.toPrecision(3), ...Object.entries(f.coef).map(([k, c]) => `${(c ?? 0).toPrecision(3)}·${k}${(f.exponent?.[k as Feature] ?? 1) === 1 ? '' : `^${f.exponent![k as Feature]}`}`)].join(' + ');

/** The exponents tried for each feature: a cost grows at most linearly with a feature, and at least as its square root. */
export const FIT_EXPONENTS = [0.5, 0.625, 0.75, 0.875, 1];

/** Solve the normal equations (small, dense) by Gaussian elimination; undefined when singular. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) < 1e-12) return undefined;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}

/**
 * Fit y ≈ intercept + Σ coef·x^e over the subsets of `features` (at most `maxFeatures` at a time, 2 unless
 * told) and the exponents FIT_EXPONENTS, keeping only fits with non-negative coefficients, minimising the
 * squared *relative* error (small and large circuits count alike).
 * @example fitLinear([{ x, y: 1.2 }, …], ['wires', 'domain'])
 */
export function fitLinear(points: { x: CircuitFeatures; y: number }[], features: Feature[], exponents: number[] = FIT_EXPONENTS, maxFeatures = 2): LinearFit {
  const subsets: [Feature, number][][] = [[]];
  const grow = (from: number, chosen: [Feature, number][]) => {
    for (let i = from; i < features.length; i++) {
      for (const e of exponents) {
        const next: [Feature, number][] = [...chosen, [features[i]!, e]];
        subsets.push(next);
        if (next.length < maxFeatures) grow(i + 1, next);
      }
    }
  };
  grow(0, []);
  subsets.sort((a, b) => a.length - b.length); // fewer features first: an equal fit keeps the simpler one
  let best: LinearFit | undefined;
  let bestErr = Infinity;
  for (const terms of subsets) {
    const fs = terms.map(([f]) => f);
    if (points.length < fs.length + 1) continue;
    const xOf = (p: { x: CircuitFeatures }, k: number): number => (p.x[fs[k]!] ?? 0) ** terms[k]![1];
    // weighted least squares, weight 1/y²: relative residuals; features scaled to ~1 for conditioning
    const scale = fs.map((_, k) => Math.max(1, ...points.map((p) => xOf(p, k))));
    const rows = points.map((p) => [1, ...fs.map((_, k) => xOf(p, k) / scale[k]!)]);
    const w = points.map((p) => 1 / Math.max(1e-9, p.y) ** 2);
    const d = fs.length + 1;
    const A = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => rows.reduce((s, r, n) => s + w[n]! * r[i]! * r[j]!, 0)));
    const b = Array.from({ length: d }, (_, i) => rows.reduce((s, r, n) => s + w[n]! * r[i]! * points[n]!.y, 0));
    const sol = solve(A, b);
    if (!sol || sol.some((v) => !Number.isFinite(v)) || sol.slice(1).some((v) => v < 0) || sol[0]! < 0) continue;
    const powers = terms.filter(([, e]) => e !== 1);
    const fit: LinearFit = { intercept: sol[0]!, coef: Object.fromEntries(fs.map((f, k) => [f, sol[k + 1]! / scale[k]!])), ...(powers.length ? { exponent: Object.fromEntries(powers) } : {}), n: points.length, maxRelError: 0 };
    const rel = points.map((p) => Math.abs(predict(fit, p.x) - p.y) / Math.max(1e-9, p.y));
    fit.maxRelError = Math.max(0, ...rel);
    const err = rel.reduce((s, r) => s + r * r, 0);
    if (err < bestErr - 1e-12) (best = fit), (bestErr = err);
  }
  if (!best) {
    const mean = points.reduce((s, p) => s + p.y, 0) / Math.max(1, points.length);
    return { intercept: mean, coef: {}, n: points.length, maxRelError: NaN };
  }
  return best;
}

export const COST_MODEL_URL = new URL('./cost-model.json', import.meta.url);

/** The committed cost model of this machine (or one given by path), undefined when there is none. */
export function loadCostModel(file?: string): CostModel | undefined {
  const where = file ?? COST_MODEL_URL;
  if (!existsSync(where)) return undefined;
  return JSON.parse(readFileSync(where, 'utf8')) as CostModel;
}
