/**
 * Calibration: how faithful a quantized program is on sample inputs (the fidelity report), and the automatic
 * choice of input scale, activation scale and parameter bits from those samples.
 *
 * The choice is a search over the integer program itself — the same evaluator whose outputs equal the witness —
 * so the bound analysis (which refuses any node whose bound would approach the field, ≈ 2^240 of 2^253.6)
 * rules candidates out, and the error is measured, not modelled:
 * - input scale: the smallest s ≤ 20 at which every sample quantizes within 2^−10 of its own largest |value|
 *   (0 for whole numbers: exact); lowered afterwards while the output target below still holds and the circuit
 *   gets cheaper;
 * - then activation scale S and parameter bits P on the grid S = 0 … 32, P = 20, 18, …, 6: the cheapest setting
 *   at which every sample's outputs are within 2^−7 (0.8 %) of that sample's scale of values (its largest
 *   |reference output|, at least 2^-4) and the argmax agrees wherever the reference's top-2 gap exceeds one output
 *   step; found whenever one exists (see chooseScales), and said so, with the best error, when none does.
 */
import type { Graph, Tensor } from '../ir/graph.js';
import { evaluate } from './program.js';
import type { Program } from './program.js';
import { quantizeGraph, runFloat } from './quantize.js';
import type { InputDecl, QuantizeSettings } from './quantize.js';
import { quantizeInput } from './input.js';
import { stepCost } from '../estimate/constraints.js';
import { OverflowError } from '../errors.js';

export interface Fidelity {
  samples: number;
  outputs: {
    name: string;
    maxAbsError: number;
    meanAbsError: number;
    argmaxAgreement: number;
    /** Largest error relative to its sample's largest |float output|. */
    maxRelError?: number;
    /** Largest error over the automatic choice's tolerance (≤ 1 meets it; see measureFidelity). */
    targetRatio?: number;
    /** Samples whose argmax differs from the reference's where its top-2 gap exceeds one output step. */
    argmaxMisses?: number;
  }[];
}

const argmax = (xs: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[b]!) b = i;
  return b;
};

/** Float outputs of the graph on samples (one flat array per input). */
export function floatOutputs(graph: Graph, samples: number[][][]): Tensor[][] {
  return samples.map((smp) => runFloat(graph, smp.map((x, i): Tensor => ({ shape: graph.inputs[i]!.shape, data: Float64Array.from(x) }))));
}

/** Relative output error the automatic choice aims for, against each output tensor's scale of values. */
export const AUTO_REL_ERROR = 2 ** -7;
/**
 * The scale of values an output tensor's error is judged against, per sample: its largest |reference value|,
 * but at least 2^-4 (absolute): a tensor that is essentially zero (relative error 1 at every scale) gets a
 * tolerance it can meet. Each sample is judged against its own magnitude, so inputs of different ranges
 * (mnist-8's 0..255 and [0, 1] pixels) are all served by one circuit.
 */
const FLOOR = 2 ** -4;

/**
 * Quantized vs float outputs on samples: the fidelity report. maxRelError is, over samples, the largest
 * error relative to that sample's largest |float output|; targetRatio the largest error over its tolerance
 * (AUTO_REL_ERROR times the scale of values, see FLOOR); argmaxMisses counts samples whose argmax differs
 * where the reference's top-2 gap exceeds one quantization step (elsewhere a tie is not a miss).
 */
export function measureFidelity(graph: Graph, program: Program, samples: number[][][], floats?: Tensor[][]): Fidelity {
  const outs = program.outputs.map((o) => ({ name: o.name, maxAbsError: 0, sum: 0, n: 0, agree: 0, maxRelError: 0, targetRatio: 0, argmaxMisses: 0 }));
  const used = samples.slice(0, 32);
  const ref = floats ?? floatOutputs(graph, used);
  used.forEach((smp, s) => {
    const ints = smp.map((x, i) => quantizeInput(x, { name: program.inputs[i]!.name, shape: program.inputs[i]!.shape, scale: program.inputs[i]!.scale, lo: program.inputs[i]!.lo, hi: program.inputs[i]!.hi }, 'calibration'));
    const r = evaluate(program, ints);
    program.outputs.forEach((o, k) => {
      const q = r.outputs[k]!.map((v) => Number(v) / 2 ** o.scale);
      const f = ref[s]![k]!.data;
      const big = maxAbs(f);
      let worst = 0;
      q.forEach((v, j) => {
        const e = Math.abs(v - f[j]!);
        worst = Math.max(worst, e);
        outs[k]!.sum += e;
        outs[k]!.n++;
      });
      const out = outs[k]!;
      out.maxAbsError = Math.max(out.maxAbsError, worst);
      out.maxRelError = Math.max(out.maxRelError, worst / Math.max(big, 1e-9));
      out.targetRatio = Math.max(out.targetRatio, worst / (AUTO_REL_ERROR * Math.max(big, FLOOR)));
      const same = argmax(q) === argmax(f);
      if (same) out.agree++;
      else if (q.length > 1 && top2Gap(f) > 2 ** -o.scale) out.argmaxMisses++;
    });
  });
  return {
    samples: used.length,
    outputs: outs.map((o) => ({ name: o.name, maxAbsError: o.maxAbsError, meanAbsError: o.n ? o.sum / o.n : 0, argmaxAgreement: used.length ? o.agree / used.length : 1, maxRelError: o.maxRelError, targetRatio: o.targetRatio, argmaxMisses: o.argmaxMisses })),
  };
}

const maxAbs = (xs: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
};

/** Largest minus second largest value. */
const top2Gap = (xs: ArrayLike<number>): number => {
  let a = -Infinity;
  let b = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x > a) (b = a), (a = x);
    else if (x > b) b = x;
  }
  return a - b;
};

/** Relative input precision the automatic input scale aims for. */
const INPUT_REL_ERROR = 2 ** -10;

/** Smallest scale ≤ 20 at which every sample's values of input i quantize within 2^−10 of the sample's max |value|. */
export function autoInputScale(samples: number[][][], i: number): number {
  for (let s = 0; s < 20; s++) {
    const f = 2 ** s;
    const fine = samples.every((smp) => {
      const xs = smp[i]!;
      let big = 0;
      let err = 0;
      for (const x of xs) (big = Math.max(big, Math.abs(x))), (err = Math.max(err, Math.abs(Math.round(x * f) / f - x)));
      return err === 0 || err <= INPUT_REL_ERROR * big;
    });
    if (fine) return s;
  }
  return 20;
}

export interface AutoChoice {
  scale: number;
  paramBits: number;
  /** Input scales by input name (integer-typed inputs stay at 0). */
  inputScales: number[];
  /** Σ over the program's steps of their constraints (the circuit adds its public-signal packing). */
  cost: number;
  fidelity: Fidelity;
  /** Whether the chosen settings meet the target; if none did, the most accurate ones are chosen. */
  metTarget: boolean;
  /** The largest error over its tolerance of the choice (≤ 1 meets the error target), and its argmax misses. */
  targetRatio: number;
  argmaxMisses: number;
  /** One line on the choice: the target and, when it was not met, the best error found. */
  detail: string;
  /** Candidates quantized and evaluated. */
  tried: number;
}

const programCost = (p: Program): number => p.steps.reduce((a, s) => {
  const c = stepCost(s);
  return a + c.nonLinear + c.linear;
}, 0);

/** Parameter widths and activation scales the automatic choice searches. */
export const PARAM_BITS_GRID = [20, 18, 16, 14, 12, 10, 8, 6];
export const SCALE_GRID = Array.from({ length: 33 }, (_, s) => s);

/**
 * Choose activation scale and parameter bits (and the input scales of inputs without a given one) from
 * calibration samples: the fewest constraints that meet the error target (every output tensor within
 * AUTO_REL_ERROR of its scale of values, argmax kept where the reference's is clear; see measureFidelity).
 *
 * The search finds a setting that meets the target whenever one exists on the grid (PARAM_BITS_GRID × SCALE_GRID),
 * assuming only what holds of the integer program: at a fixed activation scale, fewer parameter bits are no
 * more accurate, and at fixed parameter bits more activation bits cost no fewer constraints. Parameter widths
 * go from the widest down; for each, activation scales go up from the first one that no wider width met,
 * until one meets the target (the cheapest of that width), a candidate costs as much as the best found, or
 * bounds overflow. Nothing stops on a flat error: at coarse scales everything rounds to zero.
 * `decls` are the declared inputs (ranges from the samples); `inputScaleGiven` marks inputs whose scale is fixed.
 */
export function chooseScales(
  graph: Graph,
  samples: number[][][],
  decls: InputDecl[],
  opts: { inputScaleGiven: boolean[]; scale?: number; paramBits?: number; paramVisibility?: QuantizeSettings['paramVisibility']; outputScale?: number },
): AutoChoice {
  const used = samples.slice(0, 32);
  const floats = floatOutputs(graph, used);
  let inputs = decls.map((d, i) => (opts.inputScaleGiven[i] ? d : { ...d, scale: autoInputScale(used, i) }));
  let tried = 0;
  const run = (scale: number, paramBits: number) => {
    tried++;
    let program: Program;
    try {
      program = quantizeGraph(graph, { scale, paramBits, inputs, paramVisibility: opts.paramVisibility, outputScale: opts.outputScale });
    } catch (e) {
      if (e instanceof OverflowError) return undefined;
      throw e;
    }
    const fidelity = measureFidelity(graph, program, used, floats);
    const ratio = Math.max(...fidelity.outputs.map((o) => o.targetRatio ?? 0));
    const misses = fidelity.outputs.reduce((a, o) => a + (o.argmaxMisses ?? 0), 0);
    return { scale, paramBits, inputs, program, fidelity, ratio, misses, ok: ratio <= 1 && misses === 0, cost: programCost(program) };
  };
  type Cand = NonNullable<ReturnType<typeof run>>;
  // most accurate first: fewer argmax misses, then the smaller error, then fewer constraints
  const better = (a: Cand, b: Cand | undefined) => !b || a.misses < b.misses || (a.misses === b.misses && (a.ratio < b.ratio || (a.ratio === b.ratio && a.cost < b.cost)));
  const scales = opts.scale !== undefined ? [opts.scale] : SCALE_GRID;
  const bitsList = opts.paramBits !== undefined ? [opts.paramBits] : PARAM_BITS_GRID;
  let best: Cand | undefined;
  let closest: Cand | undefined;
  let from = 0; // activation scales below this failed the target at a wider parameter width
  for (const paramBits of bitsList) {
    let failedUpTo = from;
    for (const scale of scales.filter((x) => x >= from)) {
      const c = run(scale, paramBits);
      if (!c) break; // overflow: higher scales overflow too
      if (better(c, closest)) closest = c;
      if (c.ok) {
        if (!best || c.cost < best.cost) best = c;
        break; // higher scales cost more
      }
      if (best && c.cost >= best.cost) break;
      failedUpTo = scale + 1;
    }
    from = Math.max(from, failedUpTo);
    if (opts.scale === undefined && from > scales[scales.length - 1]!) break; // no scale meets it with more bits: none with fewer
  }
  // coarser inputs narrow every bound downstream: lower the chosen input scales while the target still holds
  const free = decls.map((_, i) => !opts.inputScaleGiven[i] && inputs[i]!.scale > 0);
  while (best && free.some(Boolean)) {
    const keep = inputs;
    inputs = inputs.map((d, i) => (free[i] ? { ...d, scale: d.scale - 1 } : d));
    const c = run(best.scale, best.paramBits);
    if (!c?.ok || c.cost >= best.cost) {
      inputs = keep;
      break;
    }
    best = c;
    inputs.forEach((d, i) => (free[i] = free[i]! && d.scale > 0));
  }
  const pick = best ?? closest;
  if (!pick) throw new OverflowError(`${graph.name}: no activation scale keeps every bound below the field with the calibration ranges`, { hint: 'narrow the input range (--input-range) or give --scale' });
  const target = `every output within 2^-7 of its scale of values${pick.fidelity.outputs.some((o) => o.argmaxMisses !== undefined) ? ', argmax kept where the reference top-2 gap exceeds one output step' : ''}, on ${used.length} sample(s)`;
  const worst = pick.fidelity.outputs.reduce((a, o) => ((o.targetRatio ?? 0) > (a.targetRatio ?? 0) ? o : a));
  const detail = best
    ? `target met: ${target}`
    : `target not met (${target}); best found: activations 2^${pick.scale}, params ${pick.paramBits} bits, error ${worst.maxAbsError.toPrecision(3)} on '${worst.name}' = ${pick.ratio.toPrecision(3)}× the tolerance${pick.misses ? `, argmax differs on ${pick.misses} sample(s)` : ''}; ${tried} settings tried`;
  return {
    scale: pick.scale,
    paramBits: pick.paramBits,
    inputScales: pick.inputs.map((d) => d.scale),
    cost: pick.cost,
    fidelity: pick.fidelity,
    metTarget: Boolean(best),
    targetRatio: pick.ratio,
    argmaxMisses: pick.misses,
    detail,
    tried,
  };
}
