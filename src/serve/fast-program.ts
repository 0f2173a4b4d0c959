/**
 * The integer program prepared once per model for the immediate answer: linear combinations as flat id and
 * coefficient arrays evaluated in doubles, where every value provably stays an exact integer. At prepare
 * time each signal gets a bound on |value| (inputs: their range check; the rest derived step by step); a
 * step runs in doubles only when every product and partial sum it forms is below 2^53, where float arithmetic
 * on integers is exact, and floor(x / 2^k) is exact too. A program with any other step (or a bound past
 * 2^53) runs `evaluate` itself, so the outputs are always bit for bit `evaluate`'s — the witness's twin.
 */
import type { Lin } from '../quantize/lin.js';
import type { Program } from '../quantize/program.js';
import { evaluate } from '../quantize/program.js';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

interface FastLin {
  ids: Int32Array;
  coefs: Float64Array;
  c: number;
}

type FastStep =
  | { kind: 'input'; input: number; ids: Int32Array; bound: bigint }
  | { kind: 'param'; ids: Int32Array; values: Float64Array }
  | { kind: 'mul'; out: number; a: FastLin; b: FastLin }
  | { kind: 'rescale'; out: number; in: FastLin; div: number; relu: boolean }
  | { kind: 'max'; out: number; a: FastLin; b: FastLin };

export interface PreparedProgram {
  /** True when the double-precision path applies (else every call runs `evaluate`). */
  readonly fast: boolean;
  /** Why not, when `fast` is false. */
  readonly reason?: string;
  /** The program's outputs for these input integers: exactly `evaluate(program, inputs).outputs`. */
  outputs(inputs: bigint[][]): bigint[][];
}

class Unsafe extends Error {}

/**
 * Prepare a program for repeated evaluation.
 * @example const p = prepareProgram(program); const outs = p.outputs(inputs); // === evaluate(program, inputs).outputs
 */
export function prepareProgram(program: Program): PreparedProgram {
  let steps: FastStep[];
  let outs: FastLin[][];
  try {
    ({ steps, outs } = compile(program));
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    const reason = e.message;
    return { fast: false, reason, outputs: (inputs) => evaluate(program, inputs).outputs };
  }
  const n = program.nSignals;
  return {
    fast: true,
    outputs(inputs) {
      const v = new Float64Array(n);
      for (const s of steps) {
        switch (s.kind) {
          case 'input': {
            const xs = inputs[s.input]!;
            if (xs.length !== s.ids.length) return evaluate(program, inputs).outputs;
            for (let j = 0; j < s.ids.length; j++) {
              const x = xs[j]!;
              // outside the range check: no proof exists, and doubles might round: let evaluate decide
              if (abs(x) > s.bound) return evaluate(program, inputs).outputs;
              v[s.ids[j]!] = Number(x);
            }
            break;
          }
          case 'param':
            for (let j = 0; j < s.ids.length; j++) v[s.ids[j]!] = s.values[j]!;
            break;
          case 'mul':
            v[s.out] = dot(s.a, v) * dot(s.b, v);
            break;
          case 'rescale': {
            const q = Math.floor(dot(s.in, v) / s.div);
            v[s.out] = s.relu && q < 0 ? 0 : q;
            break;
          }
          case 'max': {
            const a = dot(s.a, v);
            const b = dot(s.b, v);
            v[s.out] = a > b ? a : b;
            break;
          }
        }
      }
      return outs.map((o) => o.map((e) => BigInt(dot(e, v))));
    },
  };
}

function dot(e: FastLin, v: Float64Array): number {
  let s = e.c;
  const { ids, coefs } = e;
  for (let i = 0; i < ids.length; i++) s += coefs[i]! * v[ids[i]!]!;
  return s === 0 ? 0 : s; // no -0: BigInt(-0) is 0n anyway, but keep comparisons plain
}

function compile(p: Program): { steps: FastStep[]; outs: FastLin[][] } {
  /** Bound on |value| per signal, exact (bigint); undefined until the signal is defined. */
  const mag: (bigint | undefined)[] = new Array(p.nSignals);
  const lin = (e: Lin, where: string): { f: FastLin; bound: bigint } => {
    let bound = abs(e.c);
    const ids = new Int32Array(e.terms.size);
    const coefs = new Float64Array(e.terms.size);
    let i = 0;
    for (const [id, k] of e.terms) {
      const m = mag[id];
      if (m === undefined) throw new Unsafe(`${where}: signal ${id} used before it is defined`);
      bound += abs(k) * m;
      ids[i] = id;
      coefs[i++] = Number(k);
    }
    // every term, partial sum and the total are integers of magnitude ≤ bound: exact in doubles below 2^53
    if (bound > SAFE) throw new Unsafe(`${where}: |value| may reach ${bound.toString(2).length} bits (over 53)`);
    return { f: { ids, coefs, c: Number(e.c) }, bound };
  };
  const steps: FastStep[] = [];
  for (const s of p.steps) {
    switch (s.kind) {
      case 'input': {
        const bound = 1n << BigInt(s.bits);
        if (bound > SAFE) throw new Unsafe(`input ${s.input}: ${s.bits}-bit range`);
        for (const id of s.signals) mag[id] = bound;
        steps.push({ kind: 'input', input: s.input, ids: Int32Array.from(s.signals), bound });
        break;
      }
      case 'param': {
        const values = p.params[s.param]!.values;
        s.signals.forEach((id, j) => (mag[id] = abs(values[j]!)));
        if (values.some((x) => abs(x) > SAFE)) throw new Unsafe(`param ${s.param}: a value over 53 bits`);
        steps.push({ kind: 'param', ids: Int32Array.from(s.signals), values: Float64Array.from(values, Number) });
        break;
      }
      case 'mul': {
        const a = lin(s.a, s.node);
        const b = lin(s.b, s.node);
        if (a.bound * b.bound > SAFE) throw new Unsafe(`node '${s.node}': product may reach ${(a.bound * b.bound).toString(2).length} bits`);
        mag[s.out] = a.bound * b.bound;
        steps.push({ kind: 'mul', out: s.out, a: a.f, b: b.f });
        break;
      }
      case 'rescale': {
        const x = lin(s.in, s.node);
        const d = 1n << BigInt(s.k);
        if (d > SAFE) throw new Unsafe(`node '${s.node}': shift by ${s.k}`);
        mag[s.out] = x.bound / d + 1n; // |floor(x / d)| ≤ |x| / d + 1
        steps.push({ kind: 'rescale', out: s.out, in: x.f, div: Number(d), relu: s.relu });
        break;
      }
      case 'max': {
        const a = lin(s.a, s.node);
        const b = lin(s.b, s.node);
        mag[s.out] = a.bound > b.bound ? a.bound : b.bound;
        steps.push({ kind: 'max', out: s.out, a: a.f, b: b.f });
        break;
      }
      default:
        throw new Unsafe(`node '${s.node}': ${s.kind} steps run in bigints`);
    }
  }
  const outs = p.outputs.map((o) => o.exprs.map((e, i) => lin(e, `output ${o.name}[${i}]`).f));
  return { steps, outs };
}
