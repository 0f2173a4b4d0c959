/**
 * circom2's peak memory compiling one program's circuit, predicted before compiling. circom2 is circom built
 * as 32-bit WebAssembly: its heap cannot pass 4 GiB. Constraints alone predict it badly (mnist-8, 211k
 * constraints: 1.4 GB; an MLP 784→256→256→10, 26k: 1.9 GB): the compiler's memory follows the source it
 * parses and turns into witness code (a dense layer's weights written term by term, a convolution's as
 * pattern loops over constant arrays) and the terms it evaluates. Fitted on circuits
 * measured by scripts/circom-memory.ts (docs/scaling.md, "circom2's memory"), scaled to cover every one.
 *
 * Two predictions: `predictCircomMemoryMB` from the generated source's size (what the planner checks a cut
 * with), and `stepMemoryMB`, a lower bound per program step without the source (what it balances and starts
 * its search with: starting too low costs a try, starting too high would cut more segments than needed).
 */
import type { Layout } from '../quantize/layout.js';
import type { Program, Step } from '../quantize/program.js';
import { countConstraints, stepCost, stepLins } from '../estimate/constraints.js';
import type { ConstraintEstimate } from '../estimate/constraints.js';

/** The budget an automatic cut keeps each segment's predicted compiler memory within: 3 of circom2's 4 GiB (the predictor's error and the machine's other tenants are the margin). */
export const DEFAULT_MEMORY_BUDGET_MB = 3072;

/** What predicts a circuit's compiler memory; all counted from the program but the source's size. */
export interface MemoryFeatures {
  constraints: number;
  wires: number;
  /** Terms of the linear combinations the steps read (each a coefficient times a signal). */
  terms: number;
  /** Of those, terms whose signal is a parameter (private/hashed weights: a signal, not a constant, in circom). */
  paramTerms: number;
  /** Gadget instances: the program's steps other than inputs and parameters. */
  gadgets: number;
  /** Bytes of the generated circom source (generateCircom); absent: the lower bound without it. */
  sourceBytes?: number;
  /**
   * Elements of the source's constant arrays (`var P0c[784] = [...]`: a pattern's coefficients and offsets,
   * codegen/pattern.ts): ≈ 3 KB of compiler memory each, where a byte of other source costs ≈ 0.3 KB.
   */
  arrayElements?: number;
}

/** The features of the generated source (sourceBytes, arrayElements). */
export function sourceMemoryFeatures(source: string): Required<Pick<MemoryFeatures, 'sourceBytes' | 'arrayElements'>> {
  let arrayElements = 0;
  for (const m of source.matchAll(/var \w+\[(\d+)\] = \[/g)) arrayElements += Number(m[1]);
  return { sourceBytes: Buffer.byteLength(source), arrayElements };
}

type Fit = { intercept: number } & Partial<Record<keyof MemoryFeatures, number>>;

/**
 * MB = intercept + Σ coef · feature: the least-squares fit (relative error) of `scripts/circom-memory.ts fit`,
 * scaled to cover every circuit measured (docs/scaling.md, *circom2's memory*).
 */
export const MEMORY_FIT: Fit = { intercept: 467, terms: 0.000536, sourceBytes: 0.000315, arrayElements: 0.0027 };
/** The fit without its source terms and unscaled: below every circuit measured (the planner starts from it). */
export const MEMORY_LOWER: Fit = { intercept: 415, terms: 0.000477 };

const apply = (fit: Fit, f: MemoryFeatures): number => Object.entries(fit).reduce((s, [k, c]) => s + (k === 'intercept' ? c! : c! * (f[k as keyof MemoryFeatures] ?? 0)), 0);

/**
 * The features of a program's circuit (a segment's, shallow or not: only its own steps are read).
 * @example const f = memoryFeatures(seg.program, seg.layout); predictCircomMemoryMB({ ...f, sourceBytes })
 */
export function memoryFeatures(p: Program, layout: Layout, counted?: ConstraintEstimate): MemoryFeatures {
  const isParam = paramSignals(p);
  let terms = 0;
  let paramTerms = 0;
  let gadgets = 0;
  for (const s of p.steps) {
    if (s.kind === 'input' || s.kind === 'param') continue;
    gadgets++;
    const t = stepTerms(s, isParam);
    terms += t.terms;
    paramTerms += t.paramTerms;
  }
  for (const o of p.outputs) for (const e of o.exprs) terms += e.terms.size;
  const c = counted ?? countConstraints({ program: p, layout });
  return { constraints: c.total, wires: c.wires, terms, paramTerms, gadgets };
}

/** The ids of a program's parameter signals. */
export function paramSignals(p: Program): Set<number> {
  const isParam = new Set<number>();
  for (const s of p.steps) if (s.kind === 'param') for (const id of s.signals) isParam.add(id);
  return isParam;
}

function stepTerms(s: Step, isParam: Set<number>): { terms: number; paramTerms: number } {
  let terms = 0;
  let paramTerms = 0;
  for (const e of stepLins(s)) {
    terms += e.terms.size;
    if (isParam.size) for (const id of e.terms.keys()) if (isParam.has(id)) paramTerms++;
  }
  return { terms, paramTerms };
}

/** Predicted peak memory (MB) of circom2 compiling the circuit: from its source's size, or without it the lower bound. */
export const predictCircomMemoryMB = (f: MemoryFeatures): number => (f.sourceBytes === undefined ? apply(MEMORY_LOWER, f) : apply(MEMORY_FIT, f));

/** A core step's share of the lower bound (without its intercept): what the planner balances. */
export function stepMemoryMB(s: Step, isParam: Set<number>): number {
  const c = stepCost(s);
  return apply({ ...MEMORY_LOWER, intercept: 0 }, { constraints: c.nonLinear + c.linear, wires: c.wires, ...stepTerms(s, isParam), gadgets: 1 });
}
