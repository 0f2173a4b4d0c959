/**
 * Segments: one quantized program cut into K programs that chain (DESIGN.md §7).
 *
 * The program is a list of steps. A cut at step c makes the values live across it — defined before c,
 * used at or after c (or a program output) — the boundary: a hashed output of the segment before the cut
 * and a hashed input of the segment after it, committed with the same packing and the same salt.
 *
 * Why equal commitments mean equal values (what the receiving segment checks, and why it is enough):
 * - The boundary is one circom input array in signal-id order (a convolution over it stays a pattern loop
 *   over one array), split into tensors packed apart. Each value gets the range check of the interval
 *   [lo, hi] the sending segment proves for it (its interval analysis: a rescale's or ReLU's output is
 *   bounded by the gadget's own bit decomposition, so a 15-bit activation is checked at 15 bits, not at
 *   the width of its accumulator); a tensor's packing covers the union of its values' checked ranges.
 * - Sender: every value v lies in [lo, hi] ⊂ [tlo, tlo + 2^W) of its tensor (W bits, tlo the packing's
 *   offset), proven by its own gadgets. Receiver: every v' is range-checked into a sub-range of the same
 *   interval. A packed element Σ_j 2^(W·j)·(v_j − tlo) of at most ⌊252/W⌋ values is then < 2^252 < p on
 *   both sides: no wrap-around modulo p, so equal elements are equal integers, whose base-2^W digits are
 *   unique: v' = v. Equal salted Poseidon chains over element lists of one length (fixed by the layouts,
 *   bound in both verification keys) mean equal elements (collision resistance).
 * - Without the receiver's range checks the packing is not injective (v'_0 + 2^W, v'_1 − 1 pack alike), and
 *   one value per element would cost a Poseidon share (~42 constraints) per value instead of W + 1.
 * - The receiving segment's own gadgets then rely on the tighter bounds [lo, hi] the sender proved: they
 *   carry over through v' = v.
 *
 * Parameter steps (private/hashed params) go into every segment that uses the tensor; the model's input
 * steps stay in the first segment. The first input and the last output keep the user's visibility.
 */
import type { Lin } from '../quantize/lin.js';
import { linSignal } from '../quantize/lin.js';
import type { InputSpec, OutputSpec, ParamSpec, Program, Step } from '../quantize/program.js';
import { bitLength, signedWidth } from '../quantize/program.js';
import { PACK_BITS, makeLayout } from '../quantize/layout.js';
import type { Layout, SignalGroup, Visibility } from '../quantize/layout.js';
import { countConstraints, poseidonCost, stepCost, stepLins } from '../estimate/constraints.js';
import { CompilerMemoryError, InputError } from '../errors.js';
import { DEFAULT_MEMORY_BUDGET_MB, MEMORY_FIT, MEMORY_LOWER, memoryFeatures, paramSignals, predictCircomMemoryMB, sourceMemoryFeatures, stepMemoryMB } from './memory.js';
import { generateCircom } from '../codegen/circom.js';

/** Packed elements per Poseidon call for boundary commitments (the widest, 16 inputs: fewest constraints per element). */
export const BOUNDARY_CHAIN_WIDTH = 15;

export interface Segment {
  /** Steps [from, to) of the program's core steps, in the order `order` (coreSteps). */
  from: number;
  to: number;
  program: Program;
  layout: Layout;
  /** Boundary values entering / leaving (0 for the model's own input / output). */
  boundaryIn: number;
  boundaryOut: number;
  constraints: number;
  /** circom2's predicted peak memory compiling it, MB (memory.ts): from its source once planned, a lower bound in a shallow split. */
  memoryMB: number;
  /** The step order the cut was made in (coreSteps). */
  order: StepOrder;
}

const defined = (s: Step): number[] => (s.kind === 'input' || s.kind === 'param' ? s.signals : 'outs' in s ? s.outs : [s.out]);

/** For every signal: the core step defining it and the last core step (or nCore for outputs) using it. */
function liveness(p: Program, core: Step[]) {
  const defAt = new Int32Array(p.nSignals).fill(-1);
  const lastUse = new Int32Array(p.nSignals).fill(-1);
  const isParam = new Uint8Array(p.nSignals);
  for (const s of p.steps) if (s.kind === 'param') for (const id of s.signals) isParam[id] = 1;
  // the model's inputs count as defined before the first step (they may be live across any cut)
  for (const s of p.steps) if (s.kind === 'input') for (const id of s.signals) defAt[id] = 0;
  core.forEach((s, i) => {
    for (const id of defined(s)) defAt[id] = i;
    for (const e of stepLins(s)) for (const id of e.terms.keys()) lastUse[id] = Math.max(lastUse[id]!, i);
  });
  for (const o of p.outputs) for (const e of o.exprs) for (const id of e.terms.keys()) lastUse[id] = core.length;
  return { defAt, lastUse, isParam };
}

/** Signals live across a cut before core step c, in id order. */
function liveAt(lv: ReturnType<typeof liveness>, c: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < lv.defAt.length; id++) if (!lv.isParam[id] && lv.defAt[id]! >= 0 && lv.defAt[id]! < c && lv.lastUse[id]! >= c) out.push(id);
  return out;
}

/** The range check a boundary value gets: the width its proven interval [lo, hi] needs. */
function checkOf(p: Program, id: number): { signed: boolean; bits: number } {
  const lo = p.lo[id]!;
  const signed = lo < 0n;
  return { signed, bits: signed ? signedWidth(lo, p.hi[id]!) : Math.max(1, bitLength(p.hi[id]!)) };
}

/** A run of boundary values shorter than this joins the previous tensor's packing (one partial element less). */
const MIN_PACKED_RUN = 32;

/**
 * The boundary signals in id order (one circom array, so a convolution over them stays a pattern loop over
 * one array), as tensors packed apart, each made of runs checked at one width: a run is a maximal stretch
 * of one range check; a short run joins the tensor before it, whose packing then covers both ranges.
 */
function boundaryTensors(p: Program, ids: number[]): { lo: bigint; hi: bigint; runs: { signed: boolean; bits: number; ids: number[] }[] }[] {
  const runs: { signed: boolean; bits: number; ids: number[] }[] = [];
  for (const id of ids) {
    const c = checkOf(p, id);
    const last = runs[runs.length - 1];
    if (last && last.signed === c.signed && last.bits === c.bits) last.ids.push(id);
    else runs.push({ ...c, ids: [id] });
  }
  const tensors: { lo: bigint; hi: bigint; runs: typeof runs }[] = [];
  for (const r of runs) {
    const lo = r.signed ? -(1n << BigInt(r.bits)) : 0n;
    const hi = (1n << BigInt(r.bits)) - 1n;
    const t = tensors[tensors.length - 1];
    if (t && r.ids.length < MIN_PACKED_RUN) {
      t.runs.push(r);
      if (lo < t.lo) t.lo = lo;
      if (hi > t.hi) t.hi = hi;
    } else tensors.push({ lo, hi, runs: [r] });
  }
  return tensors;
}

const boundaryName = (cut: number, t: number): string => `boundary${cut}.${t}`;

/**
 * Orders of the program's core steps (neither input nor parameter) a cut can be made in, all valid (every
 * step after the steps it reads): the program's own; 'chained', a step whose operands all come from one
 * other step right after it (a pooling's max chain, then its rescale: a cut leaves at most one partial
 * result alive instead of a whole layer's); 'pulled', each step right after the steps it reads, pulled in
 * depth-first from the last steps (a layer of products of private weights, then its rescale: products do
 * not pile up across a cut); 'streamed', each step as soon as the last model input it depends on (through
 * any chain of steps) has arrived, the inputs taken in their order, the program's order among equals (valid:
 * a step depends on at least what its operands depend on). On an image that is a wavefront through the
 * layers — conv, pooling, the next conv, a few rows at a time — so a cut leaves a band of each layer alive,
 * not whole layers (mnist-8 in 4: 954–1,194 boundary values instead of 1,229–1,659).
 */
export type StepOrder = 'program' | 'chained' | 'pulled' | 'streamed';

export function coreSteps(p: Program, order: StepOrder = 'chained'): Step[] {
  const core = p.steps.filter((s) => s.kind !== 'param' && s.kind !== 'input');
  if (order === 'program') return core;
  const defBy = new Int32Array(p.nSignals).fill(-1);
  core.forEach((s, i) => defined(s).forEach((id) => (defBy[id] = i)));
  const deps = core.map((s) => {
    const d = new Set<number>();
    for (const e of stepLins(s)) for (const id of e.terms.keys()) if (defBy[id]! >= 0) d.add(defBy[id]!);
    return [...d];
  });
  const out: Step[] = [];
  if (order === 'streamed') {
    const inputAt = new Int32Array(p.nSignals).fill(-1);
    let n = 0;
    for (const x of p.inputs) for (const id of x.signals) inputAt[id] = n++;
    const last = new Int32Array(core.length);
    core.forEach((s, i) => {
      let m = -1;
      for (const e of stepLins(s)) for (const id of e.terms.keys()) if (inputAt[id]! > m) m = inputAt[id]!;
      for (const j of deps[i]!) if (last[j]! > m) m = last[j]!;
      last[i] = m;
    });
    return core.map((s, i) => [s, i] as const).sort((a, b) => last[a[1]]! - last[b[1]]! || a[1] - b[1]).map(([s]) => s);
  }
  if (order === 'pulled') {
    const consumed = new Uint8Array(core.length);
    for (const d of deps) for (const j of d) consumed[j] = 1;
    const done = new Uint8Array(core.length);
    const stack: [number, number][] = [];
    core.forEach((_, root) => {
      if (consumed[root] || done[root]) return;
      stack.push([root, 0]);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const next = deps[top[0]]![top[1]++];
        if (next === undefined) {
          stack.pop();
          if (!done[top[0]]) (done[top[0]] = 1), out.push(core[top[0]]!);
        } else if (!done[next]) stack.push([next, 0]);
      }
    });
    return out;
  }
  const follows: number[][] = core.map(() => []);
  const chained = new Uint8Array(core.length);
  deps.forEach((d, i) => {
    if (d.length !== 1) return;
    follows[d[0]!]!.push(i);
    chained[i] = 1;
  });
  const stack: number[] = [];
  core.forEach((_, root) => {
    if (chained[root]) return;
    stack.push(root);
    while (stack.length) {
      const i = stack.pop()!;
      out.push(core[i]!);
      for (let k = follows[i]!.length - 1; k >= 0; k--) stack.push(follows[i]![k]!);
    }
  });
  return out;
}

/**
 * Cut a program at the given core-step indices (ascending, each in 1..nCore−1) into segment programs and
 * their public-signal layouts.
 */
export function splitProgram(p: Program, cuts: number[], visibility: Visibility, order: StepOrder = 'chained', core: Step[] = coreSteps(p, order), shallow = false): Segment[] {
  const inputSteps = p.steps.filter((s) => s.kind === 'input');
  const paramSteps = p.steps.filter((s): s is Extract<Step, { kind: 'param' }> => s.kind === 'param');
  const lv = liveness(p, core);
  const paramOf = new Map<number, number>();
  paramSteps.forEach((s, k) => s.signals.forEach((id) => paramOf.set(id, k)));
  const bounds = [0, ...cuts, core.length];
  for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new InputError(`segments: cut ${bounds[i]} is not after ${bounds[i - 1]} (the program has ${core.length} steps)`);
  const K = bounds.length - 1;
  const segs: Omit<Segment, 'layout' | 'constraints' | 'memoryMB' | 'order'>[] = [];
  for (let i = 0; i < K; i++) {
    const [a, b] = [bounds[i]!, bounds[i + 1]!];
    const last = i === K - 1;
    // a shallow segment keeps the whole program's signal ids and shares its steps (enough to count its
    // constraints: planning tries many cuts of programs of millions of terms); otherwise the signals the
    // segment touches are numbered in the whole program's order: a layer's values, some handed over and some
    // computed here, then sit at the same places relative to each other as in the whole program, so that a
    // convolution over them stays one pattern (codegen names boundary values in the internal array too)
    const seg = core.slice(a, b);
    const num = shallow ? undefined : segmentNumbering(p, lv, seg, i === 0 ? inputSteps : [], a, last ? undefined : b, paramSteps);
    const id = num ? (old: number): number => num.at[old]! : (old: number): number => old;
    const lin = num ? (e: Lin): Lin => ({ terms: new Map([...e.terms].map(([k, v]) => [id(k), v])), c: e.c }) : (e: Lin): Lin => e;
    const steps: Step[] = [];
    const inputs: InputSpec[] = [];
    const params: ParamSpec[] = [];
    let boundaryIn = 0;
    if (i === 0) {
      for (const s of inputSteps) {
        if (s.kind !== 'input') continue;
        const spec = p.inputs[s.input]!;
        const signals = spec.signals.map(id);
        inputs.push({ ...spec, signals });
        steps.push({ ...s, input: inputs.length - 1, signals });
      }
    } else {
      const ids = liveAt(lv, a);
      boundaryIn = ids.length;
      boundaryTensors(p, ids).forEach((b, t) => {
        inputs.push({ name: boundaryName(i, t), shape: [b.runs.reduce((n, r) => n + r.ids.length, 0)], scale: 0, lo: b.lo, hi: b.hi, signals: b.runs.flatMap((r) => r.ids.map(id)), internal: true, ...(t > 0 ? { joined: true } : {}) });
        for (const r of b.runs) steps.push({ kind: 'input', input: t, signals: r.ids.map(id), signed: r.signed, bits: r.bits });
      });
    }
    // parameter tensors the segment's steps use (whole tensors: their range checks and commitment)
    for (const k of usedParams(seg, last ? p.outputs : [], paramOf)) {
      const s = paramSteps[k]!;
      const spec = p.params[s.param]!;
      const signals = spec.signals.map(id);
      params.push({ ...spec, signals });
      steps.push({ ...s, param: params.length - 1, signals });
    }
    for (const s of seg) steps.push(num ? remapStep(s, id, lin) : s);
    let outputs: OutputSpec[];
    let boundaryOut = 0;
    if (last) outputs = p.outputs.map((o) => ({ ...o, exprs: o.exprs.map(lin) }));
    else {
      const ids = liveAt(lv, b);
      boundaryOut = ids.length;
      outputs = boundaryTensors(p, ids).map((b, t) => {
        const xs = b.runs.flatMap((r) => r.ids);
        return { name: boundaryName(i + 1, t), shape: [xs.length], scale: 0, exprs: xs.map((x) => linSignal(id(x))) };
      });
    }
    const program: Program = num ? { nSignals: num.n, lo: num.lo, hi: num.hi, steps, inputs, params, outputs } : { nSignals: p.nSignals, lo: p.lo, hi: p.hi, steps, inputs, params, outputs };
    segs.push({ from: a, to: b, boundaryIn, boundaryOut, program });
  }
  // layouts: boundary commitments are hashed on both sides, packed the way the receiving segment range-checks
  const layouts = segs.map((s, i) => makeLayout(s.program, { input: i === 0 ? visibility.input : 'hashed', output: i === K - 1 ? visibility.output : 'hashed', params: visibility.params }));
  const widen = (g: SignalGroup): SignalGroup => ({ ...g, ...(g.kind === 'commitment' ? { width: BOUNDARY_CHAIN_WIDTH } : {}) });
  for (let i = 0; i + 1 < K; i++) {
    layouts[i]!.outputs = layouts[i + 1]!.inputs.map((x) => ({ ...x }));
    layouts[i]!.signals = layouts[i]!.signals.map((g) => (g.kind === 'commitment' && g.of === 'output' ? widen(g) : g));
    layouts[i + 1]!.signals = layouts[i + 1]!.signals.map((g) => (g.kind === 'commitment' && g.of === 'input' ? widen(g) : g));
  }
  return segs.map((s, i) => {
    const c = countConstraints({ program: s.program, layout: layouts[i]! });
    return { ...s, order, layout: layouts[i]!, constraints: c.total, memoryMB: predictCircomMemoryMB(memoryFeatures(s.program, layouts[i]!, c)) };
  });
}

/** Indices of the parameter tensors (param steps) the steps and output combinations read, ascending. */
function usedParams(seg: Step[], outputs: OutputSpec[], paramOf: Map<number, number>): number[] {
  const used = new Set<number>();
  for (const s of seg) for (const e of stepLins(s)) for (const k of e.terms.keys()) if (paramOf.has(k)) used.add(paramOf.get(k)!);
  for (const o of outputs) for (const e of o.exprs) for (const k of e.terms.keys()) if (paramOf.has(k)) used.add(paramOf.get(k)!);
  return [...used].sort((x, y) => x - y);
}

/**
 * A segment's signal numbering: every signal it touches (its model inputs, boundary in and out, the parameter
 * tensors it reads, its steps' operands and results, the last segment's outputs) numbered in the whole
 * program's order, with their bounds.
 */
function segmentNumbering(p: Program, lv: ReturnType<typeof liveness>, seg: Step[], inputSteps: Step[], from: number, to: number | undefined, paramSteps: Extract<Step, { kind: 'param' }>[]) {
  const mark = new Uint8Array(p.nSignals);
  const touch = (id: number): void => void (mark[id] = 1);
  for (const s of inputSteps) if (s.kind === 'input') p.inputs[s.input]!.signals.forEach(touch);
  if (from > 0) liveAt(lv, from).forEach(touch);
  const paramOf = new Map<number, number>();
  paramSteps.forEach((s, k) => s.signals.forEach((id) => paramOf.set(id, k)));
  for (const k of usedParams(seg, to === undefined ? p.outputs : [], paramOf)) paramSteps[k]!.signals.forEach(touch);
  for (const s of seg) {
    for (const e of stepLins(s)) for (const id of e.terms.keys()) touch(id);
    defined(s).forEach(touch);
  }
  if (to === undefined) for (const o of p.outputs) for (const e of o.exprs) for (const id of e.terms.keys()) touch(id);
  else liveAt(lv, to).forEach(touch);
  const at = new Int32Array(p.nSignals).fill(-1);
  const lo: bigint[] = [];
  const hi: bigint[] = [];
  for (let id = 0; id < p.nSignals; id++) if (mark[id]) (at[id] = lo.length), lo.push(p.lo[id]!), hi.push(p.hi[id]!);
  return { at, n: lo.length, lo, hi };
}

/**
 * A step over renumbered signals: its output signal(s) through `id`, every linear combination through
 * `lin` (whatever the step kind). Input and parameter steps are placed by the caller.
 */
export function remapStep(s: Step, id: (old: number) => number, lin: (e: Lin) => Lin): Step {
  if (s.kind === 'input' || s.kind === 'param') throw new Error('internal: input and parameter steps are placed by the caller');
  const t: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'out') t[k] = id(v as number);
    else if (k === 'outs') t[k] = (v as number[]).map(id);
    else if (typeof v === 'object' && v !== null && (v as Lin).terms instanceof Map) t[k] = lin(v as Lin);
    else t[k] = v;
  }
  return t as unknown as Step;
}

/**
 * Largest segment of an automatic cut unless --max-constraints says otherwise, besides the memory budget: the
 * prediction is fitted on circuits up to 3 GB, and a 519,673-constraint first segment of the Keras CNN predicted
 * at 2.5 GiB is where a 472k one of it ran out of circom2's 4 GiB (peak 4.05 GB). Segments of 237–293k compiled
 * for every model measured (Keras CNN 1.8–2.3 GB, mnist-8 private 3.2 GB).
 */
export const DEFAULT_MAX_CONSTRAINTS = 250_000;

export interface PlanOptions {
  /** A number of segments, or 'auto': the fewest segments each within maxConstraints and the memory budget. */
  segments: number | 'auto';
  /** Largest segment in constraints with 'auto' (default DEFAULT_MAX_CONSTRAINTS; the memory budget applies as well). */
  maxConstraints?: number;
  /**
   * Largest predicted circom2 memory of a segment with 'auto', MB (default $ZKINFER_SEGMENT_MEMORY_MB, else
   * DEFAULT_MEMORY_BUDGET_MB: 3 of circom2's 4 GiB).
   */
  memoryBudgetMB?: number;
}

/** The memory budget of an automatic cut: the option, $ZKINFER_SEGMENT_MEMORY_MB, or DEFAULT_MEMORY_BUDGET_MB. */
export const memoryBudget = (opts: Pick<PlanOptions, 'memoryBudgetMB'> = {}): number => opts.memoryBudgetMB ?? (Number(process.env.ZKINFER_SEGMENT_MEMORY_MB) || DEFAULT_MEMORY_BUDGET_MB);

/**
 * What a cut balances: each step's share (additive), a segment's total of it beyond the steps' (its
 * boundaries and parameters show there), and what a constraint of boundary costs in its unit.
 */
interface Measure {
  step: (s: Step) => number;
  seg: (s: Segment) => number;
  perConstraint: number;
}
const BY_CONSTRAINTS: Measure = { step: (s) => stepCost(s).nonLinear + stepCost(s).linear, seg: (s) => s.constraints, perConstraint: 1 };
function byMemory(p: Program): Measure {
  const isParam = paramSignals(p);
  return { step: (s) => stepMemoryMB(s, isParam), seg: (s) => s.memoryMB - MEMORY_LOWER.intercept, perConstraint: (MEMORY_LOWER.constraints ?? 0) + (MEMORY_LOWER.wires ?? 0) + 2 * (MEMORY_LOWER.terms ?? 0) }; // a boundary bit's constraint: about 2 terms
}

/**
 * Constraints per packed element absorbed by a boundary chain: a share of one PoseidonLinear call of
 * BOUNDARY_CHAIN_WIDTH elements (≈ 41 under --O1; circomlib's Poseidon took ≈ 140) and the element's own linear
 * constraint (`h.inputs[k] <== Σ …`).
 */
let poseidonPerElement: number | undefined;
const boundaryHashPerElement = (): number => {
  const c = poseidonCost(BOUNDARY_CHAIN_WIDTH + 1);
  poseidonPerElement ??= (c.nonLinear + c.linear) / BOUNDARY_CHAIN_WIDTH + 1;
  return poseidonPerElement;
};

/**
 * Constraints a boundary value adds: its range check in the receiving segment (width + 1) and its share of a
 * packed element (width / 252 of one) hashed on both sides. Ranks cut positions.
 */
function boundaryValueCost(p: Program, id: number): number {
  const c = checkOf(p, id);
  const w = c.bits + (c.signed ? 1 : 0);
  return w + 1 + (2 * boundaryHashPerElement() * w) / PACK_BITS;
}

/**
 * Cut positions for k segments: each cut near an equal share of the steps' constraints, at the position in
 * a window around it where the boundary (values live across the cut) is cheapest, a layer's end typically.
 */
function balancedCuts(p: Program, core: Step[], k: number, overhead: number[] = new Array<number>(k).fill(0), measure: Measure = BY_CONSTRAINTS): { cuts: number[]; stepCosts: (from: number, to: number) => number } {
  const prefix = new Float64Array(core.length + 1);
  core.forEach((s, i) => (prefix[i + 1] = prefix[i]! + measure.step(s)));
  const lv = liveness(p, core);
  // boundary cost at every cut position: a value counts from after its defining step to its last use
  const delta = new Float64Array(core.length + 2);
  for (let id = 0; id < p.nSignals; id++) {
    if (lv.isParam[id] || lv.defAt[id]! < 0 || lv.lastUse[id]! <= lv.defAt[id]!) continue;
    const c = boundaryValueCost(p, id) * measure.perConstraint;
    delta[lv.defAt[id]! + 1] += c;
    delta[lv.lastUse[id]! + 1] -= c;
  }
  const live = new Float64Array(core.length + 1);
  for (let c = 1; c <= core.length; c++) live[c] = live[c - 1]! + delta[c]!;
  const total = prefix[core.length]!;
  // each segment's steps get an equal share of everything, less what its boundaries cost it
  const share = (total + overhead.reduce((a, b) => a + b, 0)) / k;
  const cuts: number[] = [];
  let prev = 0;
  let target = 0;
  for (let j = 1; j < k; j++) {
    target += share - overhead[j - 1]!;
    const slack = total / (4 * k);
    let best = -1;
    let bestScore = Infinity;
    for (let c = prev + 1; c < core.length - (k - j) + 1; c++) {
      const off = Math.abs(prefix[c]! - target);
      if (off > slack && best >= 0) {
        if (prefix[c]! > target) break;
        continue;
      }
      const score = off + live[c]!;
      if (score < bestScore) (bestScore = score), (best = c);
    }
    if (best < 0) throw new InputError(`segments: the program's ${core.length} steps cannot be cut into ${k} segments`, { hint: 'ask for fewer segments' });
    cuts.push(best);
    prev = best;
  }
  return { cuts, stepCosts: (from, to) => prefix[to]! - prefix[from]! };
}

/**
 * K segments, cut again twice with the boundary costs the previous cut revealed, in each step order
 * (coreSteps); the best-balanced kept. The tries are shallow splits (constraint counts, no copies of the
 * program): the caller splits the chosen cut for real (`deepen`).
 */
function balancedSegments(p: Program, k: number, visibility: Visibility, measure: Measure = BY_CONSTRAINTS): Segment[] {
  let best: Segment[] | undefined;
  const largest = (segs: Segment[]): number => Math.max(...segs.map(measure.seg));
  // ('program' is never better than 'chained' or 'streamed' on the models measured: not tried, planning time)
  for (const order of k > 1 ? (['chained', 'pulled', 'streamed'] as const) : (['chained'] as const)) {
    const core = coreSteps(p, order);
    let overhead: number[] | undefined;
    for (let round = 0; round < (k > 1 ? 3 : 1); round++) {
      const { cuts, stepCosts } = balancedCuts(p, core, k, overhead, measure);
      const segs = splitProgram(p, cuts, visibility, order, core, true);
      if (!best || largest(segs) < largest(best)) best = segs;
      overhead = segs.map((s) => measure.seg(s) - stepCosts(s.from, s.to));
    }
  }
  return best!;
}

/** The segment programs of a shallow split (same cuts, same order, same constraints), their compiler memory predicted from their source. */
function deepen(p: Program, segs: Segment[], visibility: Visibility): Segment[] {
  return splitProgram(p, segs.slice(1).map((s) => s.from), visibility, segs[0]!.order).map((s) => {
    const source = sourceMemoryFeatures(generateCircom(s.program, { layout: s.layout }));
    return { ...s, memoryMB: predictCircomMemoryMB({ ...memoryFeatures(s.program, s.layout), ...source }) };
  });
}

/** A step whose segment alone passes the memory budget (predicted): no cut between steps makes it fit. */
function stepTooBig(s: Step, mb: number, budget: number): CompilerMemoryError {
  const node = (s as { node?: string }).node ?? s.kind;
  return new CompilerMemoryError(`segments: node '${node}' alone (one ${s.kind} step) needs ≈ ${Math.round(mb)} MB of circom2's memory (predicted), over the budget of ${budget} MB: no cut between steps makes it fit`, {
    hint: `make '${node}' smaller (fewer inputs per output), or use --param-visibility fixed (a private parameter is a signal in every term that reads it)`,
  });
}

/**
 * Plan the cut: K balanced segments, or with 'auto' the fewest whose every segment stays within maxConstraints
 * (when given) and whose predicted circom2 memory stays within the budget (memoryBudget), balanced on
 * whichever of the two binds.
 * @example const segs = planSegments(program, visibility, { segments: 'auto', maxConstraints: 500_000 });
 */
export function planSegments(p: Program, visibility: Visibility, opts: PlanOptions): Segment[] {
  const core = coreSteps(p);
  const nCore = core.length;
  if (opts.segments !== 'auto') {
    if (!Number.isInteger(opts.segments) || opts.segments < 1) throw new InputError(`--segments ${opts.segments}: expected a positive integer or 'auto'`);
    if (opts.segments > nCore) throw new InputError(`--segments ${opts.segments}: the program has only ${nCore} steps to cut`, { hint: 'ask for fewer segments' });
    return deepen(p, balancedSegments(p, opts.segments, visibility), visibility);
  }
  const max = opts.maxConstraints ?? DEFAULT_MAX_CONSTRAINTS;
  const budget = memoryBudget(opts);
  const memory = byMemory(p);
  // a step whose lower bound alone passes the budget cannot be cut small enough
  const room = budget - MEMORY_LOWER.intercept;
  const worst = core.reduce((w, s) => (memory.step(s) > memory.step(w) ? s : w), core[0]!);
  if (memory.step(worst) > room) throw stepTooBig(worst, MEMORY_LOWER.intercept + memory.step(worst), budget);
  // fewer than (the steps' constraints) / max or (the steps' memory, a lower bound) / budget segments cannot
  // fit: start there (each try splits the whole program three times, minutes for a model of millions of terms
  // such as the Keras MNIST CNN); a cut whose shallow split fits is checked on its segments' source
  const needC = core.reduce((a, s) => a + BY_CONSTRAINTS.step(s), 0) / max;
  const needM = core.reduce((a, s) => a + memory.step(s), 0) / room;
  // what each step weighs once a checked cut has shown it: its lower bound plus a share, by its terms, of what
  // its segment's prediction from the source adds to the lower bound (a dense layer's rows are constant arrays,
  // one coefficient and one offset per term, that the lower bound does not see; a convolution's are few)
  const extra = new Map<Step, number>();
  const ownSteps = (seg: Segment): Step[] => seg.program.steps.filter((x) => x.kind !== 'input' && x.kind !== 'param');
  const termsOf = (x: Step): number => stepLins(x).reduce((a, e) => a + e.terms.size, 0);
  const learned: Measure = {
    step: (x) => memory.step(x) + (extra.get(x) ?? 0),
    seg: (seg) => ownSteps(seg).reduce((a, x) => a + (extra.get(x) ?? 0), seg.memoryMB - MEMORY_LOWER.intercept),
    perConstraint: memory.perConstraint,
  };
  let measure = needM > needC ? learned : BY_CONSTRAINTS;
  let retried = false;
  for (let k = Math.max(1, Math.ceil(Math.max(needC, needM))); k <= Math.min(nCore, 64); ) {
    const segs = balancedSegments(p, k, visibility, measure);
    if (!segs.every((x) => x.constraints <= max && x.memoryMB <= budget)) {
      (k += 1), (retried = false);
      continue;
    }
    const deep = deepen(p, segs, visibility);
    if (deep.every((x) => x.memoryMB <= budget)) return deep;
    const alone = deep.find((x) => x.memoryMB > budget && x.to - x.from === 1);
    if (alone) throw stepTooBig(coreSteps(p, alone.order)[alone.from]!, alone.memoryMB, budget);
    // learn the steps' weights from this cut (shallow segments share the program's step objects), then try the
    // fewest segments the whole predicted memory beyond the fixed parts needs, or this many once more, reweighted
    deep.forEach((d, i) => {
      const own = ownSteps(segs[i]!);
      const terms = own.reduce((a, x) => a + termsOf(x), 0);
      const excess = Math.max(0, d.memoryMB - MEMORY_FIT.intercept - (segs[i]!.memoryMB - MEMORY_LOWER.intercept));
      for (const x of own) extra.set(x, terms > 0 ? (excess * termsOf(x)) / terms : excess / own.length);
    });
    measure = learned;
    const need = Math.ceil(deep.reduce((a, d) => a + d.memoryMB - MEMORY_FIT.intercept, 0) / (budget - MEMORY_FIT.intercept));
    if (need > k) (k = need), (retried = false);
    else if (!retried) retried = true;
    else (k += 1), (retried = false);
  }
  const within = `${Number.isFinite(max) ? `${max} constraints and ` : ''}${budget} MB of predicted circom2 memory`;
  throw new InputError(`segments: no cut into at most 64 segments keeps every segment within ${within}`, { hint: Number.isFinite(max) ? 'raise --max-constraints, or give --segments K' : 'give --segments K' });
}
