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
 * - then for parameter bits P = 6, 8, …, 20 and activation scale S = 0, 1, …, 32: the smallest S at which every
 *   sample's outputs are within 2^−7 (0.8 %) of that sample's largest |reference output| and every argmax
 *   agrees; a P whose error stops improving with S is too coarse. Among the passing (S, P) the one with the
 *   fewest constraints wins. Each sample is judged against its own magnitude, so inputs of different ranges
 *   (mnist-8's 0..255 and [0, 1] pixels) are all served by one circuit.
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
  outputs: { name: string; maxAbsError: number; meanAbsError: number; argmaxAgreement: number; /** Largest error relative to its sample's largest |float output|. */ maxRelError?: number }[];
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

/**
 * Quantized vs float outputs on samples: the fidelity report. maxRelError is, over samples, the largest
 * error relative to that sample's largest |float output|.
 */
export function measureFidelity(graph: Graph, program: Program, samples: number[][][], floats?: Tensor[][]): Fidelity {
  const outs = program.outputs.map((o) => ({ name: o.name, maxAbsError: 0, sum: 0, n: 0, agree: 0, maxRelError: 0 }));
  const used = samples.slice(0, 32);
  const ref = floats ?? floatOutputs(graph, used);
  used.forEach((smp, s) => {
    const ints = smp.map((x, i) => quantizeInput(x, { name: program.inputs[i]!.name, shape: program.inputs[i]!.shape, scale: program.inputs[i]!.scale, lo: program.inputs[i]!.lo, hi: program.inputs[i]!.hi }, 'calibration'));
    const r = evaluate(program, ints);
    program.outputs.forEach((o, k) => {
      const q = r.outputs[k]!.map((v) => Number(v) / 2 ** o.scale);
      const f = ref[s]![k]!.data;
      let big = 0;
      let worst = 0;
      q.forEach((v, j) => {
        const e = Math.abs(v - f[j]!);
        worst = Math.max(worst, e);
        big = Math.max(big, Math.abs(f[j]!));
        outs[k]!.sum += e;
        outs[k]!.n++;
      });
      outs[k]!.maxAbsError = Math.max(outs[k]!.maxAbsError, worst);
      outs[k]!.maxRelError = Math.max(outs[k]!.maxRelError, worst / Math.max(big, 1e-9));
      if (argmax(q) === argmax(f)) outs[k]!.agree++;
    });
  });
  return {
    samples: used.length,
    outputs: outs.map((o) => ({ name: o.name, maxAbsError: o.maxAbsError, meanAbsError: o.n ? o.sum / o.n : 0, argmaxAgreement: used.length ? o.agree / used.length : 1, maxRelError: o.maxRelError })),
  };
}

/** Relative output error the automatic choice aims for (per sample, against its largest |output|). */
export const AUTO_REL_ERROR = 2 ** -7;
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
  /** Candidates quantized and evaluated. */
  tried: number;
}

const programCost = (p: Program): number => p.steps.reduce((a, s) => {
  const c = stepCost(s);
  return a + c.nonLinear + c.linear;
}, 0);

/**
 * Choose activation scale and parameter bits (and the input scales of inputs without a given one) from
 * calibration samples: the fewest constraints that meet AUTO_REL_ERROR and the reference argmax on every sample.
 * `decls` are the declared inputs (ranges from the samples); `inputScaleGiven` marks inputs whose scale is fixed.
 */
export function chooseScales(
  graph: Graph,
  samples: number[][][],
  decls: InputDecl[],
  opts: { inputScaleGiven: boolean[]; scale?: number; paramBits?: number; paramVisibility?: QuantizeSettings['paramVisibility'] },
): AutoChoice {
  const used = samples.slice(0, 32);
  const floats = floatOutputs(graph, used);
  let inputs = decls.map((d, i) => (opts.inputScaleGiven[i] ? d : { ...d, scale: autoInputScale(used, i) }));
  let tried = 0;
  const run = (scale: number, paramBits: number) => {
    tried++;
    let program: Program;
    try {
      program = quantizeGraph(graph, { scale, paramBits, inputs, paramVisibility: opts.paramVisibility });
    } catch (e) {
      if (e instanceof OverflowError) return undefined;
      throw e;
    }
    const fidelity = measureFidelity(graph, program, used, floats);
    const rel = Math.max(...fidelity.outputs.map((o) => o.maxRelError ?? 0));
    const ok = rel <= AUTO_REL_ERROR && fidelity.outputs.every((o) => o.argmaxAgreement === 1);
    return { scale, paramBits, inputs, program, fidelity, rel, ok, cost: programCost(program) };
  };
  type Cand = NonNullable<ReturnType<typeof run>>;
  const scales = opts.scale !== undefined ? [opts.scale] : Array.from({ length: 33 }, (_, s) => s);
  const bitsList = opts.paramBits !== undefined ? [opts.paramBits] : [6, 8, 10, 12, 14, 16, 18, 20];
  let best: Cand | undefined;
  let closest: Cand | undefined;
  let passes = 0;
  let start = 0;
  for (const paramBits of bitsList) {
    let prev = Infinity;
    let stalled = 0;
    for (const scale of scales.filter((s) => s >= start)) {
      const c = run(scale, paramBits);
      if (!c) break; // overflow: higher scales overflow too
      if (!closest || c.rel < closest.rel) closest = c;
      if (c.ok) {
        if (!best || c.cost < best.cost) best = c;
        break;
      }
      // the parameters' precision limits the error: more activation bits do not help
      stalled = c.rel > 0.9 * prev ? stalled + 1 : 0;
      prev = Math.min(prev, c.rel);
      if (stalled >= 2) {
        start = Math.max(0, scale - 4); // the next width needs about the same activation scale
        break;
      }
    }
    // the first passing parameter width is usually the cheapest: try one more, then stop
    if (best && ++passes >= 2) break;
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
  return {
    scale: pick.scale,
    paramBits: pick.paramBits,
    inputScales: pick.inputs.map((d) => d.scale),
    cost: pick.cost,
    fidelity: pick.fidelity,
    metTarget: Boolean(best),
    tried,
  };
}
