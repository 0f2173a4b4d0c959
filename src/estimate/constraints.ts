/**
 * Exact constraint, wire and coefficient counts of the circuit a quantized program compiles to, without
 * running circom. Every program step instantiates one gadget of circuits/ whose cost is documented there;
 * this file is that documentation as code, plus what circom --O1 removes:
 *
 * - --O1 substitutes away an equality `x <== y` between two signals (or a signal and a constant), but keeps
 *   every other linear constraint. So a gadget input fed a linear combination costs one linear constraint
 *   and one wire (the input signal), unless the combination is a single signal with coefficient 1.
 * - Booleans `b·(b − 1) = 0` have 2 non-zero coefficients in A and 1 in B; linear constraints none.
 *
 * The counts are checked against the compiler on real models (src/estimate/estimate.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { Graph } from '../ir/graph.js';
import type { Lin } from '../quantize/lin.js';
import type { Program, Step } from '../quantize/program.js';
import type { Committed, Layout, TensorPacking } from '../quantize/layout.js';
import { circuitPower } from '../toolchain/setup/field.js';
import { optimizeGraph } from '../quantize/passes.js';

export interface GadgetCost {
  nonLinear: number;
  linear: number;
  /** Wires the gadget adds (its internal signals and output; not its inputs when they are substituted). */
  wires: number;
  /** Non-zero coefficients in the A and B matrices (what the proving key stores per coefficient). */
  nnzAB: number;
}

export interface ConstraintEstimate extends GadgetCost {
  total: number;
  /** Public signals (packed values and commitments). */
  nPublic: number;
  /** Smallest ptau power that fits the circuit (snarkjs: ⌊log2(constraints + public)⌋ + 1). */
  ptauPower: number;
  /** Constraints per ONNX op type, plus `input range checks`, `public outputs`, `Poseidon commitments`. */
  byOp: Record<string, { nonLinear: number; linear: number }>;
}

const ZERO: GadgetCost = { nonLinear: 0, linear: 0, wires: 0, nnzAB: 0 };
const add = (a: GadgetCost, b: GadgetCost): GadgetCost => ({
  nonLinear: a.nonLinear + b.nonLinear,
  linear: a.linear + b.linear,
  wires: a.wires + b.wires,
  nnzAB: a.nnzAB + b.nnzAB,
});

/** A linear combination that --O1 substitutes (a single signal with coefficient 1, or a constant). */
const substituted = (e: Lin): boolean => e.terms.size === 0 || (e.terms.size === 1 && e.c === 0n && [...e.terms.values()][0] === 1n);
/** Non-zero coefficients of a linear combination written into A or B. */
const nnz = (e: Lin): number => e.terms.size + (e.c !== 0n ? 1 : 0);

/** Feeding a linear combination into a gadget's input signal: one linear constraint and one wire, or nothing. */
export const feed = (e: Lin): GadgetCost => (substituted(e) ? ZERO : { nonLinear: 0, linear: 1, wires: 1, nnzAB: 0 });

/** ShiftedBits(n, c) (circuits/bits.circom): n booleans + the recomposition; for n = 1, c = 0 --O1 drops it. */
export function shiftedBits(n: number, c: bigint | number = 0): GadgetCost {
  if (n === 1 && BigInt(c) === 0n) return { nonLinear: 1, linear: 0, wires: 0, nnzAB: 3 };
  return { nonLinear: n, linear: 1, wires: n, nnzAB: 3 * n };
}

/** Rescale(m, k) / RescaleRelu(m, k) (circuits/rescale.circom), without feeding the input. */
export function rescaleGadget(m: number, k: number, relu: boolean): GadgetCost {
  const bits = shiftedBits(m + 1, 1n << BigInt(m));
  return relu
    ? add(bits, { nonLinear: 1, linear: 0, wires: 1, nnzAB: m - k + 1 }) // out = sign · Σ bits
    : add(bits, { nonLinear: 0, linear: 1, wires: 1, nnzAB: 0 }); // out = Σ bits − 2^(m−k)
}

/** Max2(m) (circuits/rescale.circom), without feeding a and b: a − b into the decomposition, sign · Σ bits. */
export function max2Gadget(m: number): GadgetCost {
  return add(shiftedBits(m + 1, 1n << BigInt(m)), { nonLinear: 1, linear: 1, wires: 2, nnzAB: m + 1 });
}

/**
 * DivFloor(nq, nr) (circuits/div.circom, from the ops work), without feeding num and den: r < 2^nr and
 * den − 1 − r < 2^nr (the latter fed a linear combination), −2^nq ≤ q < 2^nq, num = q·den + r.
 */
export function divFloorGadget(nq: number, nr: number): GadgetCost {
  const parts = [shiftedBits(nr), shiftedBits(nr), shiftedBits(nq + 1, 1n << BigInt(nq)), { nonLinear: 1, linear: 1, wires: 3, nnzAB: 2 }];
  return parts.reduce(add, ZERO);
}

/**
 * A program step. Step kinds added by later op work (`max` for pooling, `div` for division by a signal)
 * are listed here as soon as their gadget exists; an unknown kind is an error, never a silent zero.
 */
export type CostedStep =
  | Step
  | { kind: 'max'; out: number; a: Lin; b: Lin; m: number; node: string }
  | { kind: 'div'; out: number; num: Lin; den: Lin; nq: number; nr: number; node: string };

/** The linear combinations a step writes into the source. */
export function stepLins(step: CostedStep): Lin[] {
  switch (step.kind) {
    case 'input':
    case 'param':
      return [];
    case 'rescale':
      return [step.in];
    case 'div':
      return [step.num, step.den];
    case 'bits':
    case 'sqrt':
    case 'thermo':
      return [step.in];
    case 'select':
      return [step.s, step.a, step.b];
    default:
      return [step.a, step.b];
  }
}

/** The cost of one program step. */
export function stepCost(step: CostedStep): GadgetCost {
  switch (step.kind) {
    case 'param': {
      const one = shiftedBits(step.bits + 1, 1n << BigInt(step.bits));
      return { nonLinear: one.nonLinear * step.signals.length, linear: one.linear * step.signals.length, wires: one.wires * step.signals.length, nnzAB: one.nnzAB * step.signals.length };
    }
    case 'input': {
      const one = step.signed ? shiftedBits(step.bits + 1, 1n << BigInt(step.bits)) : shiftedBits(step.bits);
      return { nonLinear: one.nonLinear * step.signals.length, linear: one.linear * step.signals.length, wires: one.wires * step.signals.length, nnzAB: one.nnzAB * step.signals.length };
    }
    case 'mul':
      return { nonLinear: 1, linear: 0, wires: 1, nnzAB: nnz(step.a) + nnz(step.b) };
    case 'rescale':
      return add(feed(step.in), rescaleGadget(step.m, step.k, step.relu));
    case 'max':
      return add(add(feed(step.a), feed(step.b)), max2Gadget(step.m));
    case 'div':
      return add(add(feed(step.num), feed(step.den)), divFloorGadget(step.nq, step.nr));
    case 'bits':
      return add(feed(step.in), shiftedBits(step.outs.length));
    case 'select':
      // out = b + s·(a − b): one product
      return { nonLinear: 1, linear: 0, wires: 1, nnzAB: nnz(step.s) + nnz(step.a) + nnz(step.b) };
    case 'thermo':
      // Thermometer(k, n, T) (circuits/thermometer.circom): k + 1 bucket booleans, 2n booleans, 2 recompositions
      return add(feed(step.in), { nonLinear: step.outs.length + 1 + 2 * step.n, linear: 2, wires: step.outs.length + 2 * step.n, nnzAB: 3 * (step.outs.length + 1 + 2 * step.n) });
    case 'sqrt':
    {
      // SqrtFloor(n) (circuits/sqrt.circom): ⌈n/2⌉ + n + (n + 1) booleans and one product; 3 linear
      // recompositions and the two range checks' inputs (in − r², r² + 2r − in) fed linear combinations
      const booleans = Math.ceil(step.n / 2) + 2 * step.n + 1;
      return add(feed(step.in), { nonLinear: booleans + 1, linear: 5, wires: booleans + 4, nnzAB: 3 * booleans + 2 });
    }
    default:
      throw new Error(`estimate: no constraint cost for program step kind '${(step as { kind: string }).kind}' (add it to src/estimate/constraints.ts)`);
  }
}

interface PoseidonCosts {
  byInputs: Record<string, GadgetCost>;
}
let poseidon: PoseidonCosts | undefined;
/** The circuits' Poseidon(n) (PoseidonLinear, circuits/poseidon-linear.circom) under --O1, measured by bench/poseidon-costs.ts. */
export function poseidonCost(nInputs: number): GadgetCost {
  poseidon ??= JSON.parse(readFileSync(new URL('./poseidon-costs.json', import.meta.url), 'utf8')) as PoseidonCosts;
  const c = poseidon.byInputs[String(nInputs)];
  if (!c) throw new Error(`estimate: no measured cost for Poseidon(${nInputs})`);
  return c;
}

/** Σ 2^(bits·j)·(e_j − lo) as codegen packs it: substituted only when it is one plain signal. */
function packedIsSubstituted(exprs: Lin[], p: TensorPacking, start: number, count: number): boolean {
  return count === 1 && BigInt(p.lo) === 0n && substituted(exprs[start]!) && exprs[start]!.terms.size === 1;
}

/** Public signals: packed values (`pub[i] <== Σ …`) and salted Poseidon chains (codegen/circom.ts). */
function publicCost(p: Program, L: Layout): { packed: GadgetCost; poseidon: GadgetCost } {
  const ids = (xs: number[]): Lin[] => xs.map((id) => ({ terms: new Map([[id, 1n]]), c: 0n }));
  const exprsOf = (of: Committed, t: number): Lin[] => (of === 'output' ? p.outputs[t]!.exprs : of === 'input' ? ids(p.inputs[t]!.signals) : ids(p.params[t]!.signals));
  const packsOf = (of: Committed): TensorPacking[] => (of === 'input' ? L.inputs : of === 'output' ? L.outputs : L.params);
  let packed = ZERO;
  let chains = ZERO;
  for (const g of L.signals) {
    if (g.kind === 'packed') {
      // pub[i] <== packed value: one linear constraint, or a substitution (the pub wire is counted apart)
      if (!packedIsSubstituted(exprsOf(g.of, g.tensor), packsOf(g.of)[g.tensor]!, g.start, g.count)) packed = add(packed, { ...ZERO, linear: 1 });
      else packed = add(packed, { ...ZERO, wires: -1 });
      continue;
    }
    if (g.kind === 'prover') {
      // pub[i] <== prover (substituted) and proverSq <== pub[i] * pub[i]: one product, one wire
      packed = add(packed, { ...ZERO, nonLinear: 1, nnzAB: 2 });
      continue;
    }
    const elems: boolean[] = [];
    packsOf(g.of).forEach((pk, t) => {
      for (let s0 = 0; s0 < pk.size; s0 += pk.perElement) elems.push(packedIsSubstituted(exprsOf(g.of, t), pk, s0, Math.min(pk.perElement, pk.size - s0)));
    });
    const chunks = Math.max(1, Math.ceil(elems.length / g.width));
    for (let c = 0; c < chunks; c++) {
      const part = elems.slice(c * g.width, (c + 1) * g.width);
      chains = add(chains, add(poseidonCost(part.length + 1), { ...ZERO, wires: 1 })); // + its output wire
      for (const sub of part) if (!sub) chains = add(chains, { ...ZERO, linear: 1, wires: 1 });
    }
    chains = add(chains, { ...ZERO, wires: -1 }); // pub[i] <== last output: the same wire
  }
  return { packed, poseidon: chains };
}

/**
 * Constraint counts of a program's circuit, in total and per op type.
 * @example const e = countConstraints({ program, layout, graph }); e.total // 8131 for the bundled MLP
 */
export function countConstraints(params: { program: Program; layout: Layout; graph?: Graph }): ConstraintEstimate {
  const { program: p, layout: L } = params;
  // nodes as lowered: the graph passes fuse some (a fused GELU is one Gelu node)
  const opOf = new Map((params.graph ? optimizeGraph(params.graph).nodes : []).map((n) => [n.name, n.op]));
  const byOp: ConstraintEstimate['byOp'] = {};
  let sum = ZERO;
  const book = (key: string, c: GadgetCost): void => {
    const o = (byOp[key] ??= { nonLinear: 0, linear: 0 });
    o.nonLinear += c.nonLinear;
    o.linear += c.linear;
    sum = add(sum, c);
  };
  for (const s of p.steps) book(s.kind === 'input' ? 'input range checks' : s.kind === 'param' ? 'parameter range checks' : opOf.get(s.node) ?? s.node, stepCost(s));
  const pub = publicCost(p, L);
  if (pub.packed.linear) book('public outputs', pub.packed);
  else sum = add(sum, pub.packed);
  if (pub.poseidon.nonLinear) book('Poseidon commitments', pub.poseidon);
  const nPublic = L.signals.length;
  const salts = L.signals.filter((g) => g.kind === 'commitment').length;
  const inputs = p.inputs.reduce((a, i) => a + i.signals.length, 0);
  const total = sum.nonLinear + sum.linear;
  return {
    ...sum,
    wires: sum.wires + 1 + nPublic + inputs + salts,
    nnzAB: sum.nnzAB,
    total,
    nPublic,
    ptauPower: circuitPower(total, nPublic),
    byOp,
  };
}
