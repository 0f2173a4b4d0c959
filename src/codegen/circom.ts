/**
 * Quantized program → circom source (a string; no file system). Linear combinations are written inline,
 * so linear layers cost no constraints; every non-linear step instantiates one gadget from circuits/.
 */
import type { Lin } from '../quantize/lin.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Program, Step } from '../quantize/program.js';
import type { Committed, Layout, TensorPacking } from '../quantize/layout.js';
import { PATTERN_MIN_TERMS, patternEmitter } from './pattern.js';

export interface CodegenOptions {
  /** What each public signal is (packed values or commitments); see quantize/layout.ts. */
  layout: Layout;
  /** A comment line naming the model (goes into the source, hence into the circuit hash). */
  title?: string;
  /**
   * Circom names fixed by the caller for some program signals (e.g. `inf[3].out0[2]`, a sub-component's
   * output): they are neither declared nor assigned here.
   */
  names?: readonly (string | undefined)[];
  /** Templates placed before `Model` (with their includes), and lines after its declarations (their instances). */
  templates?: { includes: string[]; text: string[]; instances: string[] };
}

/** Names of the outputs of a program emitted as a sub-template (see generateTemplate). */
export const outputSignalName = (t: number): string => `out${t}`;

/** Names of the circom signals for program inputs/outputs, in public-signal order helpers. */
export const inputSignalName = (i: number): string => `in${i}`;
export const PUBLIC_SIGNAL = 'pub';
/** The private input carrying the prover's address (copied to its public signal). */
export const PROVER_SIGNAL = 'prover';
export const saltName = (of: Committed): string => (of === 'input' ? 'salt_in' : of === 'output' ? 'salt_out' : 'salt_params');
export const paramSignalName = (i: number): string => `param${i}`;

/** Σ_j 2^(bits·j)·(e_j − lo): one packed field element as a linear combination (zero constraints). */
function packLin(exprs: Lin[], p: TensorPacking, start: number, count: number): Lin {
  const acc = linConst(0n);
  const lo = BigInt(p.lo);
  for (let j = 0; j < count; j++) {
    const k = 1n << BigInt(p.bits * j);
    linAddScaled(acc, exprs[start + j]!, k);
    acc.c -= lo * k;
  }
  return acc;
}

/** Longest combination written inline as a flat chain; longer ones become balanced sums (see `flat`). */
const CHUNK = 64;
/** Vars holding long operands: the operands of one step each get their own. */
type OperandVar = 'lc' | 'lc2' | 'lc3';

/**
 * circom writes each template's witness code as one wasm function, and V8 refuses a function over 7.65 MB
 * (V8_MAX_FUNCTION_BYTES): the Keras MNIST CNN's first segment (conv1's 21,632 gadget instances and a third of
 * conv2's in one main template) made a 13 MB function, the transformer 7.27 MB. So when a program's steps
 * would write more than templateBytes() of witness code (estimated: STEP_BYTES per gadget instance,
 * TERM_BYTES per term written inline, LOOP_BYTES per pattern loop), they go into templates of their own
 * (`Model_Part<k>`), consecutive runs of steps of at most that size each: a layer, part of one, or a dense
 * layer's rows a few at a time. A part reads the signals defined before it (its inputs `x`, wired from main)
 * and writes every signal it defines into its outputs `y` (wired into main's `s`), so main still names every
 * program signal as before (`s[k]`) and later parts and the public signals read them there. Inside, each
 * step is written exactly as main would, over `x` and `y` numbered in program order (a convolution stays one
 * pattern loop). Constraints are the same: the wiring is equalities of two signals (`part.x[j] <== s[k]`,
 * `s[k] <== part.y[j]`), which --O1 substitutes away; a part that reads a whole layer costs one such equality
 * per value (the Keras CNN's conv2 parts read all 21,632 of conv1's outputs), hence parts of 4 MB.
 */
export const TEMPLATE_BYTES = 4_000_000;
const STEP_BYTES = 450;
const TERM_BYTES = 65;
const LOOP_BYTES = 600;

/** The budget of witness code per template: TEMPLATE_BYTES, or $ZKINFER_TEMPLATE_BYTES (tests force small models into parts). */
export function templateBytes(): number {
  const v = Number(process.env['ZKINFER_TEMPLATE_BYTES']);
  return Number.isFinite(v) && v > 0 ? v : TEMPLATE_BYTES;
}

/** The linear combinations a step reads (whatever its kind). */
const linsOf = (st: Step): Lin[] => Object.values(st).filter((v): v is Lin => typeof v === 'object' && v !== null && (v as Lin).terms instanceof Map);
/** The signals a core step defines. */
const definedBy = (st: Step): number[] => ('outs' in st ? st.outs : 'out' in st ? [st.out] : []);
const isCore = (st: Step): boolean => st.kind !== 'input' && st.kind !== 'param';

interface Part {
  name: string;
  /** Step indices (consecutive core steps). */
  steps: number[];
  /** Program signals the part touches, in program order. */
  local: number[];
  /** Does a long combination read both inputs and the part's own values? Then all live in one array `s`. */
  mixed: boolean;
  /** Program signals the part reads that are defined before it (its inputs `x`) and those it defines (its outputs `y`), each in program order. */
  imports: number[];
  exports: number[];
}

/** The program's core steps cut into parts of at most `budget` estimated bytes of witness code, or [] when all fit in one template. */
function partsOf(p: Program, keyOf: (e: Lin) => string | undefined, budget: number, prefix: string): Part[] {
  // a pattern loop's constant arrays are written once per template (about TERM_BYTES per term), each use is a loop
  let seen = new Set<string>();
  const cost = (st: Step): number => {
    let c = STEP_BYTES + 100 * (definedBy(st).length - 1);
    for (const e of linsOf(st)) {
      const key = keyOf(e);
      c += key === undefined ? TERM_BYTES * e.terms.size : LOOP_BYTES + (seen.has(key) ? 0 : TERM_BYTES * e.terms.size);
    }
    return c;
  };
  const see = (st: Step): void => linsOf(st).forEach((e) => void seen.add(keyOf(e) ?? ''));
  const runs: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  p.steps.forEach((st, i) => {
    if (!isCore(st)) return;
    let c = cost(st);
    if (cur.length && bytes + c > budget) {
      runs.push(cur);
      (cur = []), (bytes = 0), (seen = new Set());
      c = cost(st);
    }
    cur.push(i);
    bytes += c;
    see(st);
  });
  if (cur.length) runs.push(cur);
  if (runs.length <= 1) return [];
  return runs.map((steps, k) => {
    const defs = new Set<number>();
    const touched = new Set<number>();
    for (const i of steps) {
      const st = p.steps[i]!;
      for (const e of linsOf(st)) for (const id of e.terms.keys()) touched.add(id);
      for (const id of definedBy(st)) (defs.add(id), touched.add(id));
    }
    const local = [...touched].sort((a, b) => a - b);
    // a long combination over both inputs and the part's own values would be no pattern loop over x or y
    const mixed = steps.some((i) => linsOf(p.steps[i]!).some((e) => e.terms.size >= PATTERN_MIN_TERMS && [...e.terms.keys()].some((id) => defs.has(id)) && [...e.terms.keys()].some((id) => !defs.has(id))));
    return { name: `${prefix}_Part${k}`, steps, local, mixed, imports: local.filter((id) => !defs.has(id)), exports: local.filter((id) => defs.has(id)) };
  });
}

const INDEXED = /^(.*)\[(\d+)\]$/;

/**
 * `dst(j) <== src(j)` for j < n, as loops over runs where both sides step through one array by one.
 * @example wires(out, 3, (j) => `p.x[${j}]`, (j) => `s[${j + 5}]`) // for (var i = 0; i < 3; i++) { p.x[0 + i] <== s[5 + i]; }
 */
function wires(out: string[], n: number, dst: (j: number) => string, src: (j: number) => string): void {
  const at = (r: string): [string, number] => {
    const m = INDEXED.exec(r);
    if (!m) throw new Error(`internal: ${r} is not an array element`);
    return [m[1]!, Number(m[2])];
  };
  for (let j = 0; j < n; ) {
    const [da, di] = at(dst(j));
    const [sa, si] = at(src(j));
    let k = 1;
    for (; j + k < n; k++) {
      const [da2, di2] = at(dst(j + k));
      const [sa2, si2] = at(src(j + k));
      if (da2 !== da || sa2 !== sa || di2 !== di + k || si2 !== si + k) break;
    }
    out.push(k === 1 ? `    ${dst(j)} <== ${src(j)};` : `    for (var i = 0; i < ${k}; i++) { ${da}[${di} + i] <== ${sa}[${si} + i]; }`);
    j += k;
  }
}

/** Where each program input lives: its circom input array and its offset there (joined inputs share one). */
export function inputArrays(p: Pick<Program, 'inputs'>): { array: number; offset: number }[] {
  const at: { array: number; offset: number }[] = [];
  p.inputs.forEach((inp, t) => {
    const prev = at[t - 1];
    at.push(prev && inp.joined ? { array: prev.array, offset: prev.offset + p.inputs[t - 1]!.signals.length } : { array: prev ? prev.array + 1 : 0, offset: 0 });
  });
  return at;
}

/**
 * The circuit's input arrays from the program inputs' integers (joined inputs concatenated).
 * @example Object.assign(circuitInput, inputArraySignals(program, ints))
 */
export function inputArraySignals(p: Pick<Program, 'inputs'>, inputs: readonly (readonly bigint[])[]): Record<string, bigint[]> {
  const out: Record<string, bigint[]> = {};
  inputArrays(p).forEach(({ array }, t) => (out[inputSignalName(array)] ??= []).push(...inputs[t]!));
  return out;
}

/** The circom name (in the main template) of every program signal: `in0[3]`, `param1[0]`, `s[12]`. */
export function signalNames(p: Program, fixed?: readonly (string | undefined)[]): string[] {
  const ref = new Array<string>(p.nSignals);
  fixed?.forEach((r, id) => r !== undefined && (ref[id] = r));
  const arrays = inputArrays(p);
  p.inputs.forEach((inp, t) => inp.internal || inp.signals.forEach((id, j) => (ref[id] = `${inputSignalName(arrays[t]!.array)}[${arrays[t]!.offset + j}]`)));
  p.params.forEach((prm, t) => prm.signals.forEach((id, j) => (ref[id] = `${paramSignalName(t)}[${j}]`)));
  let nInternal = 0;
  for (let id = 0; id < p.nSignals; id++) if (ref[id] === undefined) ref[id] = `s[${nInternal++}]`;
  return ref;
}

/**
 * The circom source of a quantized program: a `main` component with its inputs, constants and gadgets.
 * @example writeFileSync('model.circom', generateCircom(program, { layout }));
 */
export function generateCircom(p: Program, opts: CodegenOptions): string {
  return emit(p, opts).join('\n');
}

/**
 * The program as `template <name>()` (inputs `in<t>`, parameters `param<t>` and outputs `out<t>` as its
 * signals) with the templates it uses: a batch instantiates it K times (compose/batch-circom.ts), so the
 * model's constants and witness code are written once. Input range checks are inside; parameter range
 * checks are not (shared parameters are checked once, by the caller).
 */
export function generateTemplate(p: Program, name: string): { includes: string[]; text: string[] } {
  const lines = emit(p, { layout: { version: 1, visibility: { input: 'private', output: 'public', params: 'fixed' }, inputs: [], outputs: [], params: [], signals: [] } }, name);
  const first = lines.findIndex((l) => l.startsWith('template '));
  return { includes: lines.filter((l) => l.startsWith('include ')), text: lines.slice(first) };
}

/** What writes linear combinations for one template: over its names `ref`, with its pattern loops and vars. */
interface Writer {
  ref: readonly string[];
  /** `e` as an expression; a long one is first computed into the var `v` (see `flat`). */
  lin(e: Lin, body: string[], v?: OperandVar): string;
  /** Vars the template must declare. */
  vars: Set<string>;
  keyOf(e: Lin): string | undefined;
}

/** A writer for the template whose steps are `steps` (and, for main, the output combinations `more`): see patternEmitter. */
function writer(ref: readonly string[], steps?: readonly Step[], more: readonly Lin[] = []): Writer {
  const terms = (e: Lin): string[] => {
    const parts: string[] = [];
    for (const [id, c] of e.terms) {
      const r = ref[id]!;
      const sign = c < 0n ? '-' : '+';
      const a = c < 0n ? -c : c;
      parts.push(`${sign} ${a === 1n ? r : `${a}*${r}`}`);
    }
    if (e.c !== 0n || parts.length === 0) parts.push(`${e.c < 0n ? '-' : '+'} ${e.c < 0n ? -e.c : e.c}`);
    return parts;
  };
  const join = (parts: string[]): string => {
    const s = parts.join(' ');
    return s.startsWith('+ ') ? s.slice(2) : s;
  };
  /**
   * A linear combination as an expression. Long ones are written into a var (`lc`) as one balanced sum
   * ((a + b) + (c + d)): circom's expression evaluator recurses once per operand of a flat chain and
   * overflows its stack near 1,000 terms, and it copies the whole left operand on every `+`, so a flat
   * chain (or `lc +=` lines) costs O(n²) term copies where the tree costs O(n log n). On mlp-128x2
   * (119k weights) the compiler's front end took 10.6 s with 64-term `lc +=` lines, 6.2 s with trees;
   * the r1cs is byte-identical.
   */
  const patterns = patternEmitter(ref, steps ? [...steps.flatMap(linsOf), ...more] : undefined);
  const tree = (xs: string[], lo: number, hi: number): string => {
    if (hi - lo === 1) return xs[lo]!;
    const mid = (lo + hi) >> 1;
    return `(${tree(xs, lo, mid)} + ${tree(xs, mid, hi)})`;
  };
  const flat = (parts: string[], body: string[], v: string): string => {
    if (parts.length <= CHUNK) return join(parts);
    const signed = parts.map((t) => (t.startsWith('+ ') ? t.slice(2) : `-${t.slice(2)}`));
    body.push(`    ${v} = ${tree(signed, 0, signed.length)};`);
    return v;
  };
  /**
   * Operands of one step must use distinct vars: `(lc) * (lc)` after writing a into lc and then b into lc is b·b.
   */
  const vars = new Set<string>();
  return {
    ref,
    vars,
    keyOf: patterns.keyOf,
    lin(e, body, v = 'lc') {
      const r = patterns.emit(e, v, body) ? v : flat(terms(e), body, v);
      if (r === v) vars.add(v);
      return r;
    },
  };
}

/** One core step (neither input nor parameter) as statements of the template `w` writes for; `nb` numbers its components. */
function emitStep(step: Step, out: string[], w: Writer, nb: { n: number }): void {
  const { ref } = w;
  switch (step.kind) {
    case 'input':
    case 'param':
      throw new Error('internal: input and parameter steps are main\'s');
    case 'mul': {
      const a = w.lin(step.a, out, 'lc');
      const b = w.lin(step.b, out, 'lc2');
      out.push(`    ${ref[step.out]} <== (${a}) * (${b});`);
      break;
    }
    case 'rescale': {
      const g = step.relu ? `RescaleRelu(${step.m}, ${step.k})` : `Rescale(${step.m}, ${step.k})`;
      out.push(`    ${ref[step.out]} <== ${g}(${w.lin(step.in, out)});`);
      break;
    }
    case 'div': {
      const n = w.lin(step.num, out, 'lc');
      const d = w.lin(step.den, out, 'lc2');
      out.push(`    ${ref[step.out]} <== DivFloor(${step.nq}, ${step.nr})(${n}, ${d});`);
      break;
    }
    case 'bits': {
      const e = w.lin(step.in, out);
      const c = `bits${nb.n++}`;
      out.push(`    component ${c} = Bits(${step.outs.length}); ${c}.in <== ${e};`);
      step.outs.forEach((id, i) => out.push(`    ${ref[id]} <== ${c}.out[${i}];`));
      break;
    }
    case 'select': {
      const a = w.lin(step.a, out, 'lc');
      const b = w.lin(step.b, out, 'lc2');
      const sel = w.lin(step.s, out, 'lc3');
      out.push(`    ${ref[step.out]} <== (${sel}) * ((${a}) - (${b})) + (${b});`);
      break;
    }
    case 'thermo': {
      const e = w.lin(step.in, out);
      const c = `th${nb.n++}`;
      out.push(`    var ${c}t[${step.t.length}] = [${step.t.join(', ')}];`, `    component ${c} = Thermometer(${step.t.length}, ${step.n}, ${c}t); ${c}.in <== ${e};`);
      step.outs.forEach((id, i) => out.push(`    ${ref[id]} <== ${c}.c[${i}];`));
      break;
    }
    case 'sqrt': {
      out.push(`    ${ref[step.out]} <== SqrtFloor(${step.n})(${w.lin(step.in, out)});`);
      break;
    }
    case 'max': {
      const a = w.lin(step.a, out, 'lc');
      const b = w.lin(step.b, out, 'lc2');
      out.push(`    ${ref[step.out]} <== Max2(${step.m})(${a}, ${b});`);
      break;
    }
  }
}

/** `var` declarations of a template's vars, placed after its `var lc;` line. */
function declareVars(out: string[], vars: Set<string>): void {
  vars.delete('lc');
  out.splice(out.indexOf('    var lc;') + 1, 0, ...[...vars].sort().map((v) => `    var ${v};`));
}

/** A part's template (see TEMPLATE_BYTES): inputs x (signals defined before it), outputs y (those it defines). */
function partTemplate(p: Program, part: Part, nb: { n: number }): string[] {
  // the steps read the part's inputs and write its outputs in place (a conv layer's part may read the whole
  // previous layer, 21,632 values in the Keras CNN: copies of them ran circom2 out of memory), unless a long
  // combination reads both (a layer computed in bands, its next layer's windows over both): then every value
  // the part touches lives in one array `s`, numbered in program order, so such a window stays a pattern loop
  const ref: string[] = [];
  const at = new Map(part.local.map((id, k) => [id, k]));
  if (part.mixed) part.local.forEach((id, k) => (ref[id] = `s[${k}]`));
  else {
    part.imports.forEach((id, j) => (ref[id] = `x[${j}]`));
    part.exports.forEach((id, k) => (ref[id] = `y[${k}]`));
  }
  const w = writer(ref, part.steps.map((i) => p.steps[i]!));
  const out = [`template ${part.name}() {`];
  if (part.imports.length) out.push(`    signal input x[${part.imports.length}];`);
  out.push(`    signal output y[${part.exports.length}];`);
  if (part.mixed) {
    out.push(`    signal s[${part.local.length}];`);
    wires(out, part.imports.length, (j) => `s[${at.get(part.imports[j]!)}]`, (j) => `x[${j}]`);
  }
  out.push('    var lc;');
  for (const i of part.steps) emitStep(p.steps[i]!, out, w, nb);
  if (part.mixed) wires(out, part.exports.length, (j) => `y[${j}]`, (j) => `s[${at.get(part.exports[j]!)}]`);
  declareVars(out, w.vars);
  out.push('}', '');
  return out;
}

function emit(p: Program, opts: CodegenOptions, sub?: string): string[] {
  const ref = signalNames(p, opts.names);
  const nInternal = ref.filter((r) => r.startsWith('s[')).length;
  const nb = { n: 0 };

  // parts: templates of their own when the steps' witness code would pass one template's budget
  const parts = partsOf(p, patternEmitter(ref).keyOf, templateBytes(), sub ?? 'Model');
  const partAt = new Map<number, Part>();
  const inPart = new Set<number>();
  for (const part of parts) for (const i of part.steps) inPart.add(i);
  const w = writer(ref, p.steps.filter((st, i) => isCore(st) && !inPart.has(i)), p.outputs.flatMap((o) => o.exprs));
  const templates: string[] = [];
  for (const part of parts) {
    partAt.set(part.steps[0]!, part);
    templates.push(...partTemplate(p, part, nb));
  }

  const L = opts.layout;
  const out: string[] = [];
  out.push('pragma circom 2.1.0;');
  if (opts.title) out.push(`// ${opts.title.replace(/[\r\n]/g, ' ')}`);
  out.push('// Generated by zkinfer. Gadgets: circuits/ (every value constrained; see DESIGN.md §2).');
  out.push('include "range.circom";', 'include "rescale.circom";', 'include "div.circom";');
  if (p.steps.some((st) => st.kind === 'sqrt')) out.push('include "sqrt.circom";');
  if (p.steps.some((st) => st.kind === 'thermo')) out.push('include "thermometer.circom";');
  if (L.signals.some((g) => g.kind === 'commitment')) out.push('include "poseidon-linear.circom";');
  for (const inc of opts.templates?.includes ?? []) if (!out.includes(inc)) out.push(inc);
  out.push('');
  // one line at a time: spreading a program's hundreds of thousands of lines overflows the call stack
  for (const l of opts.templates?.text ?? []) out.push(l);
  for (const l of templates) out.push(l);
  out.push(`template ${sub ?? 'Model'}() {`);
  const arrays = inputArrays(p);
  p.inputs.forEach((inp, t) => {
    if (inp.joined) return;
    const parts = p.inputs.filter((_, u) => arrays[u]!.array === arrays[t]!.array);
    const n = parts.reduce((a, x) => a + x.signals.length, 0);
    out.push(`    signal input ${inputSignalName(arrays[t]!.array)}[${n}]; // ${parts.map((x) => `${x.name} [${x.shape}]`).join(', ')} scale 2^${inp.scale}`);
  });
  p.params.forEach((prm, t) => out.push(`    signal input ${paramSignalName(t)}[${prm.signals.length}]; // parameter ${prm.name} [${prm.shape}] scale 2^${prm.scale} (private)`));
  for (const of of ['input', 'output', 'params'] as const) if (L.signals.some((g) => g.kind === 'commitment' && g.of === of)) out.push(`    signal input ${saltName(of)}; // commitment salt`);
  if (L.signals.some((g) => g.kind === 'prover')) out.push(`    signal input ${PROVER_SIGNAL}; // the prover's address: public (below), bound by one constraint`);
  if (sub) p.outputs.forEach((o, t) => out.push(`    signal output ${outputSignalName(t)}[${o.exprs.length}]; // ${o.name} [${o.shape}] scale 2^${o.scale}`));
  else out.push(`    signal output ${PUBLIC_SIGNAL}[${L.signals.length}]; // public signals: ${L.signals.map((g) => (g.kind === 'packed' ? `${g.of}${g.tensor}[${g.start}..${g.start + g.count})` : g.kind === 'prover' ? 'prover' : `${g.of} commitment`)).join(', ')}`);
  if (nInternal > 0) out.push(`    signal s[${nInternal}];`);
  // inputs named in s (segment boundaries): s[k] <== in[j], substituted away by --O1 (no constraint)
  p.inputs.forEach((inp, t) => {
    if (!inp.internal) return;
    const arr = inputSignalName(arrays[t]!.array);
    const at = inp.signals.map((id) => Number(INDEXED.exec(ref[id]!)![2]));
    for (let j = 0; j < at.length; ) {
      let n = 1;
      while (j + n < at.length && at[j + n] === at[j]! + n) n++;
      out.push(`    for (var i = 0; i < ${n}; i++) { s[${at[j]} + i] <== ${arr}[${arrays[t]!.offset + j} + i]; }`);
      j += n;
    }
  });
  out.push('    var lc;');
  out.push(...(opts.templates?.instances ?? []));
  let rc = 0;
  for (const [si, step] of p.steps.entries()) {
    const part = partAt.get(si);
    if (part) {
      const c = part.name.toLowerCase();
      out.push(`    component ${c} = ${part.name}();`);
      wires(out, part.imports.length, (j) => `${c}.x[${j}]`, (j) => ref[part.imports[j]!]!);
      wires(out, part.exports.length, (j) => ref[part.exports[j]!]!, (j) => `${c}.y[${j}]`);
    }
    if (inPart.has(si)) continue;
    switch (step.kind) {
      case 'input': {
        // the whole input, or a contiguous slice of it (a segment boundary checks each run at its own width)
        const t = inputSignalName(arrays[step.input]!.array);
        const all = p.inputs[step.input]!.signals;
        const at = all.indexOf(step.signals[0]!);
        if (at < 0 || step.signals.some((id, j) => all[at + j] !== id)) throw new Error(`internal: the range check of ${t} is not a contiguous slice of it`);
        const off = arrays[step.input]!.offset + at;
        const whole = off === 0 && step.signals.length === all.length && !p.inputs[step.input + 1]?.joined;
        const g = step.signed ? `SignedRangeCheck(${step.bits})` : `RangeCheck(${step.bits})`;
        out.push(`    // range check of input ${t}${whole ? '' : `[${off}..${off + step.signals.length})`}: ${step.signed ? `-2^${step.bits} <= x < 2^${step.bits}` : `0 <= x < 2^${step.bits}`}`);
        out.push(`    component rc${rc}[${step.signals.length}];`);
        out.push(`    for (var i = 0; i < ${step.signals.length}; i++) { rc${rc}[i] = ${g}; rc${rc}[i].in <== ${t}[${off ? `${off} + i` : 'i'}]; }`);
        rc++;
        break;
      }
      case 'param': {
        if (sub) break; // checked once by the template's user
        const t = paramSignalName(step.param);
        out.push(`    // range check of parameter ${t}: -2^${step.bits} <= w < 2^${step.bits}`);
        out.push(`    component rc${rc}[${step.signals.length}];`);
        out.push(`    for (var i = 0; i < ${step.signals.length}; i++) { rc${rc}[i] = SignedRangeCheck(${step.bits}); rc${rc}[i].in <== ${t}[i]; }`);
        rc++;
        break;
      }
      default:
        emitStep(step, out, w, nb);
    }
  }
  // Public signals: packed outputs/inputs, or salted Poseidon chains over the packed elements.
  const signalExprs = (ids: number[]): Lin[] => ids.map((id) => ({ terms: new Map([[id, 1n]]), c: 0n }));
  const tensorExprs = (of: Committed, t: number): Lin[] =>
    of === 'output' ? p.outputs[t]!.exprs : of === 'input' ? signalExprs(p.inputs[t]!.signals) : signalExprs(p.params[t]!.signals);
  const packsOf = (of: Committed): TensorPacking[] => (of === 'input' ? L.inputs : of === 'output' ? L.outputs : L.params);
  /**
   * One packed field element. When a tensor's elements are long combinations that repeat a few patterns (a
   * network cut right after a convolution), they are computed one by one (as loops, see pattern.ts) and
   * accumulated in the var `lcp`: one flat combination of the packed elements would defeat the loops, and
   * circom's witness code would hold one giant function (V8 refuses a wasm function over 7.6 MB). Elements
   * that are all different (a dense layer's outputs) are packed flat: a loop per element would only add
   * circom compile time (its loops are quadratic in the length). Same constraints either way.
   */
  let needLcp = false;
  // only outputs can be long combinations (inputs and params are single signals)
  const outputLoops = p.outputs.map((o) => {
    const keys = o.exprs.map((e) => w.keyOf(e));
    return keys.every((k) => k !== undefined) && 2 * new Set(keys).size <= keys.length;
  });
  const packed = (of: Committed, t: number, start: number, count: number): string => {
    const exprs = tensorExprs(of, t);
    const pk = packsOf(of)[t]!;
    if (!(of === 'output' && outputLoops[t])) return w.lin(packLin(exprs, pk, start, count), out);
    needLcp = true;
    out.push('    lcp = 0;');
    for (let j = 0; j < count; j++) {
      const e = w.lin(exprs[start + j]!, out);
      out.push(`    lcp += ${1n << BigInt(pk.bits * j)} * ((${e}) - (${pk.lo}));`);
    }
    return 'lcp';
  };
  L.signals.forEach((g, i) => {
    if (g.kind === 'packed') {
      const e = packed(g.of, g.tensor, g.start, g.count);
      out.push(`    ${PUBLIC_SIGNAL}[${i}] <== ${e};`);
      return;
    }
    if (g.kind === 'prover') {
      // A public signal in no constraint is not bound by a Groth16 proof (its IC term is free): square it.
      out.push(`    ${PUBLIC_SIGNAL}[${i}] <== ${PROVER_SIGNAL};`, `    signal ${PROVER_SIGNAL}Sq;`, `    ${PROVER_SIGNAL}Sq <== ${PUBLIC_SIGNAL}[${i}] * ${PUBLIC_SIGNAL}[${i}];`);
      return;
    }
    const elems: [t: number, start: number, count: number][] = [];
    packsOf(g.of).forEach((pk, t) => {
      for (let s0 = 0; s0 < pk.size; s0 += pk.perElement) elems.push([t, s0, Math.min(pk.perElement, pk.size - s0)]);
    });
    let prev = saltName(g.of);
    const chunks = Math.max(1, Math.ceil(elems.length / g.width));
    for (let c = 0; c < chunks; c++) {
      const part = elems.slice(c * g.width, (c + 1) * g.width);
      const h = `h_${g.of}_${c}`;
      out.push(`    component ${h} = PoseidonLinear(${part.length + 1});`, `    ${h}.inputs[0] <== ${prev};`);
      part.forEach(([t, s0, count], k) => out.push(`    ${h}.inputs[${k + 1}] <== ${packed(g.of, t, s0, count)};`));
      prev = `${h}.out`;
    }
    out.push(`    ${PUBLIC_SIGNAL}[${i}] <== ${prev};`);
  });
  if (sub) p.outputs.forEach((o, t) => o.exprs.forEach((e, j) => out.push(`    ${outputSignalName(t)}[${j}] <== ${w.lin(e, out)};`)));
  if (needLcp) w.vars.add('lcp');
  declareVars(out, w.vars);
  out.push('}', '');
  if (!sub) out.push('component main = Model();', '');
  return out;
}
