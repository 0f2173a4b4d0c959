/**
 * The quantized program: the circuit as a list of steps over integer signals, with a proven interval
 * for every signal. Codegen turns it into circom; `evaluate` is the integer reference whose outputs
 * equal the witness exactly.
 */
import type { Lin } from './lin.js';
import { linAddScaled, linBounds, linConst, linEval, linSignal } from './lin.js';
import { InputError, OverflowError, UnsupportedOpError } from '../errors.js';

/** Largest |value| any signal or linear combination may reach: far below p ≈ 2^253.6. */
export const MAX_BITS = 240;

export type Step =
  /** Graph input element range check: unsigned 0 ≤ x < 2^bits, or signed −2^bits ≤ x < 2^bits. */
  | { kind: 'input'; input: number; signals: number[]; signed: boolean; bits: number }
  /** Model parameter as private signals (param visibility private/hashed), range-checked: −2^bits ≤ w < 2^bits. */
  | { kind: 'param'; param: number; signals: number[]; bits: number }
  /** out = a · b (one multiplicative constraint). */
  | { kind: 'mul'; out: number; a: Lin; b: Lin; node: string }
  /** out = floor(in / 2^k), optionally max(0, ·); −2^m ≤ in < 2^m is proven by the bounds. */
  | { kind: 'rescale'; out: number; in: Lin; m: number; k: number; relu: boolean; node: string }
  /** out = max(a, b) (Max2: one decomposition of a − b); −2^m ≤ a − b < 2^m is proven by the bounds. */
  | { kind: 'max'; out: number; a: Lin; b: Lin; m: number; node: string }
  /** out = floor(num / den), den ≥ 1 (DivFloor: pinned quotient and remainder); widths from the bounds. */
  | { kind: 'div'; out: number; num: Lin; den: Lin; nq: number; nr: number; node: string }
  /** outs[i] = bit i of in, 0 ≤ in < 2^outs.length enforced (Bits: one ShiftedBits decomposition). */
  | { kind: 'bits'; outs: number[]; in: Lin; node: string }
  /** out = s ? a : b = b + s·(a − b), for a bit signal s (one constraint); bounds are the hull of a and b. */
  | { kind: 'select'; out: number; s: Lin; a: Lin; b: Lin; node: string }
  /** out = floor(sqrt(in)), 0 ≤ in < 2^n enforced (SqrtFloor: pinned root r, r² ≤ in < (r + 1)²). */
  | { kind: 'sqrt'; out: number; in: Lin; n: number; node: string }
  /**
   * outs[j] = [in ≤ t[j]] for sorted thresholds 0 ≤ t[0] < … < t[k−1] < 2^n − 1 (decimal strings), 0 ≤ in < 2^n
   * enforced (Thermometer: one bucket bit per threshold + two n-bit decompositions).
   */
  | { kind: 'thermo'; outs: number[]; in: Lin; n: number; t: string[]; node: string };

export interface InputSpec {
  name: string;
  shape: number[];
  scale: number;
  /** Declared integer range (inclusive) the circuit enforces. */
  lo: bigint;
  hi: bigint;
  signals: number[];
  /**
   * The input continues the previous input's circom array instead of starting its own (a segment
   * boundary: tensors packed apart, one array so that a convolution over it stays a loop over one array).
   */
  joined?: boolean;
  /**
   * Its signals are also named in the internal array `s`, in signal order among the computed ones (a segment
   * boundary: a combination over handed-over and computed values of one layer stays one pattern loop).
   */
  internal?: boolean;
}

/** A parameter tensor carried as private signals; its values are the prover's (and the commitment's). */
export interface ParamSpec extends InputSpec {
  values: bigint[];
}

export interface OutputSpec {
  name: string;
  shape: number[];
  scale: number;
  exprs: Lin[];
  /** The scale the graph computed it at, when it was rounded to `scale` (proven output rescales). */
  computedScale?: number;
}

export interface Program {
  nSignals: number;
  lo: bigint[];
  hi: bigint[];
  steps: Step[];
  inputs: InputSpec[];
  /** Parameter tensors carried as signals (empty with fixed params). */
  params: ParamSpec[];
  outputs: OutputSpec[];
}

export const bitLength = (x: bigint): number => (x <= 0n ? 0 : x.toString(2).length);

/** Smallest m ≥ minM with −2^m ≤ lo and hi < 2^m. */
export function signedWidth(lo: bigint, hi: bigint, minM = 0): number {
  let m = Math.max(minM, bitLength(-lo - 1n) , bitLength(hi));
  if (-lo > 1n << BigInt(m)) m++;
  return m;
}

export const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
};

export class ProgramBuilder {
  readonly lo: bigint[] = [];
  readonly hi: bigint[] = [];
  readonly steps: Step[] = [];
  readonly inputs: InputSpec[] = [];
  readonly params: ParamSpec[] = [];
  readonly outputs: OutputSpec[] = [];

  private newSignal(lo: bigint, hi: bigint, node: string): number {
    checkBits(lo, hi, node);
    this.lo.push(lo);
    this.hi.push(hi);
    return this.lo.length - 1;
  }

  bounds(a: Lin): [bigint, bigint] {
    return linBounds(a, this.lo, this.hi);
  }

  /** Declare a graph input with an integer range; returns one signal per element. */
  addInput(name: string, shape: number[], scale: number, lo: bigint, hi: bigint, size: number): number[] {
    const signed = lo < 0n;
    const bits = signed ? signedWidth(lo, hi) : Math.max(1, bitLength(hi));
    // The circuit enforces the power-of-two range; later bounds use exactly what is enforced.
    const elo = signed ? -(1n << BigInt(bits)) : 0n;
    const ehi = (1n << BigInt(bits)) - 1n;
    const signals = Array.from({ length: size }, () => this.newSignal(elo, ehi, `input '${name}'`));
    this.inputs.push({ name, shape, scale, lo: elo, hi: ehi, signals });
    this.steps.push({ kind: 'input', input: this.inputs.length - 1, signals, signed, bits });
    return signals;
  }

  /** A parameter tensor as range-checked private signals (the check makes the bounds, and packing, sound). */
  addParam(name: string, shape: number[], scale: number, values: bigint[]): number[] {
    let m = 1;
    for (const v of values) m = Math.max(m, signedWidth(v, v));
    const lo = -(1n << BigInt(m));
    const hi = (1n << BigInt(m)) - 1n;
    const signals = values.map(() => this.newSignal(lo, hi, `parameter '${name}'`));
    this.params.push({ name, shape, scale, lo, hi, signals, values });
    this.steps.push({ kind: 'param', param: this.params.length - 1, signals, bits: m });
    return signals;
  }

  mul(a: Lin, b: Lin, node: string): Lin {
    const [al, ah] = this.bounds(a);
    const [bl, bh] = this.bounds(b);
    const c = [al * bl, al * bh, ah * bl, ah * bh];
    let lo = c.reduce((x, y) => (y < x ? y : x));
    const hi = c.reduce((x, y) => (y > x ? y : x));
    // a square (the same combination twice) is never negative: x² ≥ 0 over the integers, and out = a·a is exact
    if (a === b && lo < 0n) lo = al <= 0n && ah >= 0n ? 0n : al * al < ah * ah ? al * al : ah * ah;
    const out = this.newSignal(lo, hi, node);
    this.steps.push({ kind: 'mul', out, a, b, node });
    return linSignal(out);
  }

  /** floor(a / 2^k) (then max(0, ·) when relu) through one bit decomposition. */
  rescale(a: Lin, k: number, relu: boolean, node: string): Lin {
    const [lo, hi] = this.bounds(a);
    checkBits(lo, hi, node);
    const m = signedWidth(lo, hi, relu ? k + 1 : k);
    const K = 1n << BigInt(k);
    let olo = floorDiv(lo, K);
    let ohi = floorDiv(hi, K);
    if (relu) {
      olo = olo < 0n ? 0n : olo;
      ohi = ohi < 0n ? 0n : ohi;
    }
    const out = this.newSignal(olo, ohi, node);
    this.steps.push({ kind: 'rescale', out, in: a, m, k, relu, node });
    return linSignal(out);
  }

  /** max(a, b) through one decomposition of a − b, as wide as the bound of a − b (not the field). */
  max(a: Lin, b: Lin, node: string): Lin {
    const [dl, dh] = this.bounds(linAddScaled(linAddScaled(linConst(0n), a, 1n), b, -1n));
    if (dh <= 0n) return b; // a ≤ b always: no constraint needed
    if (dl >= 0n) return a;
    checkBits(dl, dh, node);
    const m = signedWidth(dl, dh, 1);
    const [al, ah] = this.bounds(a);
    const [bl, bh] = this.bounds(b);
    const out = this.newSignal(al > bl ? al : bl, ah > bh ? ah : bh, node);
    this.steps.push({ kind: 'max', out, a, b, m, node });
    return linSignal(out);
  }

  /**
   * floor(num / den) for a divisor proven non-negative by its bounds (a zero divisor has no witness).
   * Costs (nq + 1) + 2·nr + 1 constraints, nq / nr the widths of the quotient / divisor bounds.
   */
  div(num: Lin, den: Lin, node: string, quotient?: [bigint, bigint]): Lin {
    const [nl, nh] = this.bounds(num);
    const [dl, dh] = this.bounds(den);
    if (dl < 0n) throw new UnsupportedOpError(`node '${node}': the divisor may be negative or positive (bounds ${dl}..${dh})`, { hint: 'divide by a constant, or by a value of known sign' });
    checkBits(nl, nh, node);
    // The quotient's range: from the numerator (den ≥ 1), or narrower when the caller knows the ratio's
    // range (e.g. a sigmoid is in [0, 1]); DivFloor range-checks q to it, so it is enforced either way.
    const qlo = quotient ? quotient[0] : nl < 0n ? nl : 0n;
    const qhi = quotient ? quotient[1] : nh > 0n ? nh : 0n;
    const nq = signedWidth(qlo, qhi);
    const nr = Math.max(1, bitLength(dh));
    if (nq + nr > 248) throw new OverflowError(`node '${node}': division of a ${nq}-bit quotient by a ${nr}-bit divisor exceeds the field-safe width`);
    const out = this.newSignal(qlo, qhi, node);
    this.steps.push({ kind: 'div', out, num, den, nq, nr, node });
    return linSignal(out);
  }

  /**
   * The n bits of a (0 ≤ a < 2^n is enforced by the decomposition): n + 1 constraints. Unless `enforced`,
   * the proven bound of a must lie in the range (so an honest witness always exists); with `enforced` the
   * caller guarantees it by construction (e.g. x − max(x) ≤ 0) and the circuit checks it.
   */
  bits(a: Lin, n: number, node: string, enforced = false): Lin[] {
    const [lo, hi] = this.bounds(a);
    if (n < 1 || n > 252) throw new OverflowError(`node '${node}': a ${n}-bit decomposition is outside 1..252`);
    if (!enforced && (lo < 0n || hi >= 1n << BigInt(n))) throw new OverflowError(`node '${node}': value bounds ${lo}..${hi} do not fit a ${n}-bit decomposition`);
    const outs = Array.from({ length: n }, () => this.newSignal(0n, 1n, node));
    this.steps.push({ kind: 'bits', outs, in: a, node });
    return outs.map(linSignal);
  }

  /** s ? a : b for a bit s (a signal proven in {0, 1}, e.g. from `bits`): one constraint. */
  select(s: Lin, a: Lin, b: Lin, node: string): Lin {
    const [al, ah] = this.bounds(a);
    const [bl, bh] = this.bounds(b);
    const out = this.newSignal(al < bl ? al : bl, ah > bh ? ah : bh, node);
    this.steps.push({ kind: 'select', out, s, a, b, node });
    return linSignal(out);
  }

  /** floor(sqrt(a)) for a proven non-negative: about 2.5·n constraints, n the width of a's bound. */
  sqrt(a: Lin, node: string): Lin {
    const [lo, hi] = this.bounds(a);
    if (lo < 0n) throw new UnsupportedOpError(`node '${node}': square root of a value that may be negative (bounds ${lo}..${hi})`);
    checkBits(lo, hi, node);
    const n = Math.max(1, bitLength(hi));
    const out = this.newSignal(isqrt(lo), isqrt(hi), node);
    this.steps.push({ kind: 'sqrt', out, in: a, n, node });
    return linSignal(out);
  }

  /**
   * round(v · m / 2^k) with ties to even (numpy rint, onnxruntime's requantization), exact, for an odd
   * constant m. A tie needs v·m ≡ 2^(k−1) (mod 2^k), i.e. 2^(k−1) | v: when the bound of |v| is below
   * 2^(k−1) there is none, and one round-half-up rescale (≈ width of v·m constraints) is exact. Otherwise
   * the bits of v·m (+ an offset) give floor(v·m / 2^(k+1)), the parity bit p and the low k bits r, and
   * result = 2·floor(v·m / 2^(k+1)) + p + floor((r + 2^(k−1) − 1 + p) / 2^k): ties go up only from an odd floor.
   */
  roundHalfEven(v: Lin, m: bigint, k: number, node: string): Lin {
    if (m % 2n === 0n) throw new Error(`roundHalfEven: multiplier ${m} must be odd (node '${node}')`);
    if (k <= 0) return linAddScaled(linConst(0n), v, m << BigInt(-k));
    const [vl, vh] = this.bounds(v);
    const w = linAddScaled(linConst(0n), v, m);
    const half = 1n << BigInt(k - 1);
    const big = (x: bigint) => (x < 0n ? -x : x) >= half;
    if (!big(vl) && !big(vh)) return this.rescale(linAddScaled(linConst(half), w, 1n), k, false, node);
    const [lo, hi] = this.bounds(w);
    const unit = 1n << BigInt(k + 1);
    const c = lo < 0n ? ((-lo + unit - 1n) / unit) * unit : 0n;
    const n = Math.max(k + 1, bitLength(hi + c));
    const bits = this.bits(linAddScaled(linConst(c), w, 1n), n, node);
    const q2 = linConst(-c / unit);
    for (let i = k + 1; i < n; i++) linAddScaled(q2, bits[i]!, 1n << BigInt(i - k - 1));
    const r = linConst(half - 1n);
    for (let i = 0; i < k; i++) linAddScaled(r, bits[i]!, 1n << BigInt(i));
    linAddScaled(r, bits[k]!, 1n);
    const t = this.rescale(r, k, false, node);
    return linAddScaled(linAddScaled(linAddScaled(linConst(0n), q2, 2n), bits[k]!, 1n), t, 1n);
  }

  /**
   * round(v / (d · 2^k)) with ties to even, exactly, for an odd constant d > 1 (a scale that is not a power of
   * two). With v' = v · 2^j (j making k' = k + j ≥ 1): q = floor(v' / d) and the sticky bit s = [v' mod d > 0]
   * (two DivFloor steps, the second with a 1-bit quotient); v' / d lies strictly between q and q + 1 when s = 1,
   * as does q + 1/2, and the rounding boundaries (multiples of 2^(k'−1)) are integers, so
   * round(v' / (d · 2^k')) = round((2q + s) / 2^(k'+1)).
   */
  roundDivHalfEven(v: Lin, d: bigint, k: number, node: string): Lin {
    if (d < 3n || d % 2n === 0n) throw new Error(`roundDivHalfEven: divisor ${d} must be odd and > 1 (node '${node}')`);
    const j = Math.max(0, 1 - k);
    const n = linAddScaled(linConst(0n), v, 1n << BigInt(j));
    const [nl, nh] = this.bounds(n);
    const q = this.div(n, linConst(d), node, [floorDiv(nl, d), floorDiv(nh, d)]);
    const r = linAddScaled(linAddScaled(linConst(d - 1n), n, 1n), q, -d); // v' mod d + d − 1 ∈ [d − 1, 2d − 2]
    const sticky = this.div(r, linConst(d), node, [0n, 1n]);
    return this.roundHalfEven(linAddScaled(linAddScaled(linConst(0n), q, 2n), sticky, 1n), 1n, k + j + 1, node);
  }

  /**
   * [a ≤ t] for many constant thresholds t at once (bits, as linear combinations): thresholds the bound of a
   * already decides are constants; the others share one Thermometer of the bound's width n (a's range
   * shifted to start at 0): (k + 1) + 2n non-linear constraints for k thresholds, against ≈ n + 2 each with
   * one sign decomposition per comparison.
   */
  thermometer(a: Lin, ts: bigint[], node: string): Lin[] {
    const [lo, hi] = this.bounds(a);
    checkBits(lo, hi, node);
    const inside = [...new Set(ts.filter((t) => t >= lo && t < hi))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const bit = new Map<bigint, Lin>();
    if (inside.length) {
      const n = Math.max(1, bitLength(hi - lo));
      const outs = inside.map((t) => {
        const id = this.newSignal(0n, 1n, node);
        bit.set(t, linSignal(id));
        return id;
      });
      this.steps.push({ kind: 'thermo', outs, in: linAddScaled(linConst(-lo), a, 1n), n, t: inside.map((t) => String(t - lo)), node });
    }
    return ts.map((t) => bit.get(t) ?? linConst(t >= hi ? 1n : 0n));
  }

  /** max(a_1, …, a_n) as a balanced tree of n − 1 max steps. */
  maxOf(xs: Lin[], node: string): Lin {
    if (xs.length === 0) throw new Error(`maxOf: empty window in node '${node}'`);
    let level = xs;
    while (level.length > 1) {
      const next: Lin[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(this.max(level[i]!, level[i + 1]!, node));
      if (level.length % 2) next.push(level[level.length - 1]!);
      level = next;
    }
    return level[0]!;
  }

  addOutput(name: string, shape: number[], scale: number, exprs: Lin[], node: string, computedScale?: number): void {
    for (const e of exprs) {
      const [lo, hi] = this.bounds(e);
      checkBits(lo, hi, node);
    }
    this.outputs.push({ name, shape, scale, exprs, ...(computedScale !== undefined && computedScale !== scale ? { computedScale } : {}) });
  }

  /** A point to roll the builder back to (steps and signals added after it are dropped). */
  mark(): { steps: number; signals: number } {
    return { steps: this.steps.length, signals: this.lo.length };
  }

  rollback(m: { steps: number; signals: number }): void {
    this.steps.length = m.steps;
    this.lo.length = m.signals;
    this.hi.length = m.signals;
  }

  build(): Program {
    return { nSignals: this.lo.length, lo: this.lo, hi: this.hi, steps: this.steps, inputs: this.inputs, params: this.params, outputs: this.outputs };
  }
}

/** floor(sqrt(x)) for x ≥ 0. */
export function isqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let r = 1n << BigInt(Math.ceil(bitLength(x) / 2)); // ≥ sqrt(x): Newton decreases monotonically to floor
  for (;;) {
    const n = (r + x / r) >> 1n;
    if (n >= r) return r;
    r = n;
  }
}

function checkBits(lo: bigint, hi: bigint, node: string): void {
  const b = Math.max(bitLength(-lo), bitLength(hi));
  if (b > MAX_BITS) {
    throw new OverflowError(`node '${node}': proven bound reaches 2^${b}, above the safe limit 2^${MAX_BITS} (field ≈ 2^253)`, {
      hint: 'lower --scale, or calibrate with --calibration so inputs have a tighter declared range',
    });
  }
}

/**
 * Integer reference evaluation of a program: signal values for given input integers.
 * Implements exactly the semantics the gadgets constrain.
 * @example const { outputs } = evaluate(quantizeGraph(graph, settings).program, [inputInts]);
 */
export function evaluate(p: Program, inputs: bigint[][]): { signals: bigint[]; outputs: bigint[][] } {
  const v = new Array<bigint>(p.nSignals).fill(0n);
  // by the input specs: an input step may check only a slice of its input (a segment boundary's runs)
  p.inputs.forEach((inp, t) => inp.signals.forEach((id, j) => (v[id] = inputs[t]![j]!)));
  for (const step of p.steps) {
    switch (step.kind) {
      case 'input':
        break;
      case 'param':
        step.signals.forEach((id, j) => (v[id] = p.params[step.param]!.values[j]!));
        break;
      case 'mul':
        v[step.out] = linEval(step.a, v) * linEval(step.b, v);
        break;
      case 'rescale': {
        const q = floorDiv(linEval(step.in, v), 1n << BigInt(step.k));
        v[step.out] = step.relu && q < 0n ? 0n : q;
        break;
      }
      case 'div': {
        const d = linEval(step.den, v);
        if (d <= 0n) throw new InputError(`node '${step.node}': division by ${d} (the divisor must be positive; no proof exists)`);
        v[step.out] = floorDiv(linEval(step.num, v), d);
        break;
      }
      case 'bits': {
        const x = linEval(step.in, v);
        if (x < 0n || x >= 1n << BigInt(step.outs.length)) throw new InputError(`node '${step.node}': ${x} is outside the ${step.outs.length}-bit range the circuit enforces (no proof exists)`);
        step.outs.forEach((id, i) => (v[id] = (x >> BigInt(i)) & 1n));
        break;
      }
      case 'select':
        v[step.out] = linEval(step.s, v) !== 0n ? linEval(step.a, v) : linEval(step.b, v);
        break;
      case 'sqrt': {
        const x = linEval(step.in, v);
        if (x < 0n || x >= 1n << BigInt(step.n)) throw new InputError(`node '${step.node}': ${x} is outside the ${step.n}-bit range of the square root (no proof exists)`);
        v[step.out] = isqrt(x);
        break;
      }
      case 'thermo': {
        const x = linEval(step.in, v);
        if (x < 0n || x >= 1n << BigInt(step.n)) throw new InputError(`node '${step.node}': ${x} is outside the ${step.n}-bit range the circuit enforces (no proof exists)`);
        step.outs.forEach((id, j) => (v[id] = x <= BigInt(step.t[j]!) ? 1n : 0n));
        break;
      }
      case 'max': {
        const a = linEval(step.a, v);
        const b = linEval(step.b, v);
        v[step.out] = a > b ? a : b;
        break;
      }
    }
  }
  return { signals: v, outputs: p.outputs.map((o) => o.exprs.map((e) => linEval(e, v))) };
}

/** JSON form of a program (bigints as decimal strings), stored beside the circuit as program.json. */
type LinJson = [number, string][] | { t: [number, string][]; c: string };
const linToJson = (e: Lin): LinJson => {
  const t = [...e.terms].map(([id, v]) => [id, v.toString()] as [number, string]);
  return e.c === 0n ? t : { t, c: e.c.toString() };
};
const linFromJson = (j: LinJson): Lin => {
  const [t, c] = Array.isArray(j) ? [j, '0'] : [j.t, j.c];
  return { terms: new Map(t.map(([id, v]) => [id, BigInt(v)])), c: BigInt(c) };
};

/** Step fields holding linear combinations. */
const LIN_FIELDS = new Set(['a', 'b', 'in', 'num', 'den', 's']);

export function programToJson(p: Program): unknown {
  return {
    nSignals: p.nSignals,
    lo: p.lo.map(String),
    hi: p.hi.map(String),
    steps: p.steps.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, LIN_FIELDS.has(k) ? linToJson(v as Lin) : v]))),
    inputs: p.inputs.map((i) => ({ ...i, lo: String(i.lo), hi: String(i.hi) })),
    params: p.params.map((i) => ({ ...i, lo: String(i.lo), hi: String(i.hi), values: i.values.map(String) })),
    outputs: p.outputs.map((o) => ({ ...o, exprs: o.exprs.map(linToJson) })),
  };
}

export function programFromJson(j: unknown): Program {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const x = j as any;
  return {
    nSignals: x.nSignals,
    lo: x.lo.map(BigInt),
    hi: x.hi.map(BigInt),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    steps: x.steps.map((s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, LIN_FIELDS.has(k) ? linFromJson(v as LinJson) : v]))),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    inputs: x.inputs.map((i: any) => ({ ...i, lo: BigInt(i.lo), hi: BigInt(i.hi) })),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    params: (x.params ?? []).map((i: any) => ({ ...i, lo: BigInt(i.lo), hi: BigInt(i.hi), values: i.values.map(BigInt) })),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    outputs: x.outputs.map((o: any) => ({ ...o, exprs: o.exprs.map(linFromJson) })),
  };
}
