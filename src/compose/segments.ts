/**
 * Segments: one quantized program cut into K programs that chain (DESIGN.md §7).
 *
 * The program is a list of steps. A cut at step c makes the values live across it — defined before c,
 * used at or after c (or a program output) — the boundary: a hashed output of the segment before the cut
 * and a hashed input of the segment after it, committed with the same packing and the same salt, so the
 * two Poseidon commitments are equal exactly when the values are. The segment after the cut range-checks
 * its boundary inputs to the packing's width, which makes the packing (hence the commitment) injective; the
 * tighter bounds the segment before the cut proves carry over through the equal commitments.
 *
 * Parameter steps (private/hashed params) go into every segment that uses the tensor; the model's input
 * steps stay in the first segment. The first input and the last output keep the user's visibility.
 */
import type { Lin } from '../quantize/lin.js';
import { linSignal } from '../quantize/lin.js';
import type { InputSpec, OutputSpec, ParamSpec, Program, Step } from '../quantize/program.js';
import { bitLength, signedWidth } from '../quantize/program.js';
import { makeLayout } from '../quantize/layout.js';
import type { Layout, SignalGroup, Visibility } from '../quantize/layout.js';
import { countConstraints, stepCost, stepLins } from '../estimate/constraints.js';
import { InputError } from '../errors.js';

/** Packed elements per Poseidon call for boundary commitments (circomlib's widest: fewest constraints per element). */
export const BOUNDARY_CHAIN_WIDTH = 15;
/** Default largest segment: circom2 (4 GiB of WebAssembly memory) compiled ~900k constraints here; with margin. */
export const DEFAULT_MAX_CONSTRAINTS = 600_000;

export interface Segment {
  /** Steps [from, to) of the program's non-parameter steps. */
  from: number;
  to: number;
  program: Program;
  layout: Layout;
  /** Boundary values entering / leaving (0 for the model's own input / output). */
  boundaryIn: number;
  boundaryOut: number;
  constraints: number;
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

/** Boundary signals grouped by the range check they get (signed?, bits): one tensor per group, in first-seen order. */
function boundaryGroups(p: Program, ids: number[]): { signed: boolean; bits: number; ids: number[] }[] {
  const groups = new Map<string, { signed: boolean; bits: number; ids: number[] }>();
  for (const id of ids) {
    const lo = p.lo[id]!;
    const hi = p.hi[id]!;
    const signed = lo < 0n;
    const bits = signed ? signedWidth(lo, hi) : Math.max(1, bitLength(hi));
    const key = `${signed}:${bits}`;
    if (!groups.has(key)) groups.set(key, { signed, bits, ids: [] });
    groups.get(key)!.ids.push(id);
  }
  return [...groups.values()];
}

const boundaryName = (cut: number, g: number): string => `boundary${cut}.${g}`;

/**
 * Cut a program at the given core-step indices (ascending, each in 1..nCore−1) into segment programs and
 * their public-signal layouts.
 */
export function splitProgram(p: Program, cuts: number[], visibility: Visibility): Segment[] {
  const core = p.steps.filter((s) => s.kind !== 'param' && s.kind !== 'input');
  const inputSteps = p.steps.filter((s) => s.kind === 'input');
  const paramSteps = p.steps.filter((s): s is Extract<Step, { kind: 'param' }> => s.kind === 'param');
  const lv = liveness(p, core);
  const paramOf = new Map<number, number>();
  paramSteps.forEach((s, k) => s.signals.forEach((id) => paramOf.set(id, k)));
  const bounds = [0, ...cuts, core.length];
  for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new InputError(`segments: cut ${bounds[i]} is not after ${bounds[i - 1]} (the program has ${core.length} steps)`);
  const K = bounds.length - 1;
  const segs: Omit<Segment, 'layout' | 'constraints'>[] = [];
  for (let i = 0; i < K; i++) {
    const [a, b] = [bounds[i]!, bounds[i + 1]!];
    const last = i === K - 1;
    const map = new Map<number, number>();
    const lo: bigint[] = [];
    const hi: bigint[] = [];
    const id = (old: number): number => {
      let n = map.get(old);
      if (n === undefined) {
        n = lo.length;
        map.set(old, n);
        lo.push(p.lo[old]!);
        hi.push(p.hi[old]!);
      }
      return n;
    };
    const lin = (e: Lin): Lin => ({ terms: new Map([...e.terms].map(([k, v]) => [id(k), v])), c: e.c });
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
      boundaryGroups(p, ids).forEach((g, t) => {
        const signals = g.ids.map(id);
        const elo = g.signed ? -(1n << BigInt(g.bits)) : 0n;
        const ehi = (1n << BigInt(g.bits)) - 1n;
        inputs.push({ name: boundaryName(i, t), shape: [signals.length], scale: 0, lo: elo, hi: ehi, signals });
        steps.push({ kind: 'input', input: t, signals, signed: g.signed, bits: g.bits });
      });
    }
    // parameter tensors the segment's steps use (whole tensors: their range checks and commitment)
    const seg = core.slice(a, b);
    const usedParams = new Set<number>();
    for (const s of seg) for (const e of stepLins(s)) for (const k of e.terms.keys()) if (paramOf.has(k)) usedParams.add(paramOf.get(k)!);
    if (last) for (const o of p.outputs) for (const e of o.exprs) for (const k of e.terms.keys()) if (paramOf.has(k)) usedParams.add(paramOf.get(k)!);
    for (const k of [...usedParams].sort((x, y) => x - y)) {
      const s = paramSteps[k]!;
      const spec = p.params[s.param]!;
      const signals = spec.signals.map(id);
      params.push({ ...spec, signals });
      steps.push({ ...s, param: params.length - 1, signals });
    }
    for (const s of seg) steps.push(remapStep(s, id, lin));
    let outputs: OutputSpec[];
    let boundaryOut = 0;
    if (last) outputs = p.outputs.map((o) => ({ ...o, exprs: o.exprs.map(lin) }));
    else {
      const ids = liveAt(lv, b);
      boundaryOut = ids.length;
      outputs = boundaryGroups(p, ids).map((g, t) => ({ name: boundaryName(i + 1, t), shape: [g.ids.length], scale: 0, exprs: g.ids.map((x) => linSignal(id(x))) }));
    }
    segs.push({ from: a, to: b, boundaryIn, boundaryOut, program: { nSignals: lo.length, lo, hi, steps, inputs, params, outputs } });
  }
  // layouts: boundary commitments are hashed on both sides, packed the way the receiving segment range-checks
  const layouts = segs.map((s, i) => makeLayout(s.program, { input: i === 0 ? visibility.input : 'hashed', output: i === K - 1 ? visibility.output : 'hashed', params: visibility.params }));
  const widen = (g: SignalGroup): SignalGroup => ({ ...g, ...(g.kind === 'commitment' ? { width: BOUNDARY_CHAIN_WIDTH } : {}) });
  for (let i = 0; i + 1 < K; i++) {
    layouts[i]!.outputs = layouts[i + 1]!.inputs.map((x) => ({ ...x }));
    layouts[i]!.signals = layouts[i]!.signals.map((g) => (g.kind === 'commitment' && g.of === 'output' ? widen(g) : g));
    layouts[i + 1]!.signals = layouts[i + 1]!.signals.map((g) => (g.kind === 'commitment' && g.of === 'input' ? widen(g) : g));
  }
  return segs.map((s, i) => ({ ...s, layout: layouts[i]!, constraints: countConstraints({ program: s.program, layout: layouts[i]! }).total }));
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

export interface PlanOptions {
  /** A number of segments, or 'auto': the fewest segments each within maxConstraints. */
  segments: number | 'auto';
  /** Largest segment in constraints (default DEFAULT_MAX_CONSTRAINTS). */
  maxConstraints?: number;
}

/** Rough constraints a boundary value adds (range check, share of two Poseidon chains): ranks cut positions. */
const BOUNDARY_VALUE_COST = 40;

/**
 * Cut positions for k segments: each cut near an equal share of the steps' constraints, at the position in
 * a window around it where the boundary (values live across the cut) is cheapest, a layer's end typically.
 */
function balancedCuts(p: Program, k: number, overhead: number[] = new Array<number>(k).fill(0)): { cuts: number[]; stepCosts: (from: number, to: number) => number } {
  const core = p.steps.filter((s) => s.kind !== 'param' && s.kind !== 'input');
  const prefix = new Float64Array(core.length + 1);
  core.forEach((s, i) => {
    const c = stepCost(s);
    prefix[i + 1] = prefix[i]! + c.nonLinear + c.linear;
  });
  const lv = liveness(p, core);
  // live count at every cut position: +1 after the defining step, −1 after the last use
  const delta = new Int32Array(core.length + 2);
  for (let id = 0; id < p.nSignals; id++) {
    if (lv.isParam[id] || lv.defAt[id]! < 0 || lv.lastUse[id]! <= lv.defAt[id]!) continue;
    delta[lv.defAt[id]! + 1]!++;
    delta[lv.lastUse[id]! + 1]!--;
  }
  const live = new Int32Array(core.length + 1);
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
      const score = off + BOUNDARY_VALUE_COST * live[c]!;
      if (score < bestScore) (bestScore = score), (best = c);
    }
    if (best < 0) throw new InputError(`segments: the program's ${core.length} steps cannot be cut into ${k} segments`, { hint: 'ask for fewer segments' });
    cuts.push(best);
    prev = best;
  }
  return { cuts, stepCosts: (from, to) => prefix[to]! - prefix[from]! };
}

/** K segments, cut again twice with the boundary costs the previous cut revealed; the best-balanced kept. */
function balancedSegments(p: Program, k: number, visibility: Visibility): Segment[] {
  let best: Segment[] | undefined;
  let overhead: number[] | undefined;
  for (let round = 0; round < (k > 1 ? 3 : 1); round++) {
    const { cuts, stepCosts } = balancedCuts(p, k, overhead);
    const segs = splitProgram(p, cuts, visibility);
    const max = Math.max(...segs.map((s) => s.constraints));
    if (!best || max < Math.max(...best.map((s) => s.constraints))) best = segs;
    overhead = segs.map((s) => s.constraints - stepCosts(s.from, s.to));
  }
  return best!;
}

/**
 * Plan the cut: K balanced segments, or with 'auto' the fewest whose largest stays within maxConstraints.
 * @example const segs = planSegments(program, visibility, { segments: 'auto', maxConstraints: 500_000 });
 */
export function planSegments(p: Program, visibility: Visibility, opts: PlanOptions): Segment[] {
  const nCore = p.steps.filter((s) => s.kind !== 'param' && s.kind !== 'input').length;
  if (opts.segments !== 'auto') {
    if (!Number.isInteger(opts.segments) || opts.segments < 1) throw new InputError(`--segments ${opts.segments}: expected a positive integer or 'auto'`);
    if (opts.segments > nCore) throw new InputError(`--segments ${opts.segments}: the program has only ${nCore} steps to cut`, { hint: 'ask for fewer segments' });
    return balancedSegments(p, opts.segments, visibility);
  }
  const max = opts.maxConstraints ?? DEFAULT_MAX_CONSTRAINTS;
  for (let k = 1; k <= Math.min(nCore, 64); k++) {
    const segs = balancedSegments(p, k, visibility);
    if (segs.every((s) => s.constraints <= max)) return segs;
  }
  throw new InputError(`segments: no cut into at most 64 segments keeps every segment within ${max} constraints`, { hint: 'raise --max-constraints, or give --segments K' });
}
