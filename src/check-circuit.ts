/**
 * compile's self-check: before any key is made, the compiled circuit's witness must equal the integer
 * program (the evaluator that prove and verify trust) on a few random inputs in the declared range, signal by
 * signal and then public signal by public signal. A code-generation bug — such as both operands of a
 * product written into one shared var, so that the circuit computed b·b for a·b — fails compile naming the
 * first differing signal, instead of yielding a key for another function.
 */
import { PROVER_SIGNAL, PUBLIC_SIGNAL, inputArraySignals, paramSignalName, saltName, signalNames } from './codegen/circom.js';
import { evaluate } from './quantize/program.js';
import type { Program, Step } from './quantize/program.js';
import type { Layout } from './quantize/layout.js';
import { proverSignal } from './quantize/layout.js';
import { expectedSignals } from './verify/signals.js';
import { randomSalt } from './commit/poseidon.js';
import { WitnessCalculators } from './toolchain/witness.js';
import { BN254_P, loadSymbols } from './toolchain/r1cs.js';
import { mulberry32 } from './export/prng.js';
import { CircuitMismatchError, InputError, WitnessError } from './errors.js';

export interface CircuitCheckParams {
  program: Program;
  layout: Layout;
  /** The compiled witness generator and symbol table. */
  wasmPath: string;
  symPath: string;
  /** Inclusive integer range each input's values are drawn from; default the range the circuit enforces. */
  ranges?: (readonly [bigint, bigint])[];
  /** How many inputs to check (default 3). */
  trials?: number;
  seed?: number;
  /** Each program signal's circom name in main (default signalNames: the generateCircom layout). */
  names?: readonly string[];
}

export interface CircuitCheckResult {
  /** Inputs on which every signal was compared. */
  checked: number;
  /** Signals compared per input (those the compiler kept, and the public signals). */
  signals: number;
  seconds: number;
}

const HINT = 'this is a zkinfer code-generation bug, not a problem of the model: no keys were made; please report it with the model and settings';

/** Program signals a step defines, in order. */
function stepOutputs(st: Step): number[] {
  switch (st.kind) {
    case 'input':
    case 'param':
      return st.signals;
    case 'bits':
    case 'thermo':
      return st.outs;
    default:
      return [st.out];
  }
}

const mod = (v: bigint): bigint => ((v % BN254_P) + BN254_P) % BN254_P;
const signed = (v: bigint): bigint => (v > BN254_P / 2n ? v - BN254_P : v);

/**
 * Compare the witness with the integer program on random inputs; throws CircuitMismatchError at the first
 * difference. Inputs the program itself refuses (no proof exists, e.g. a zero divisor) are skipped.
 * @example await checkCircuit({ program, layout, wasmPath: 'out/model.wasm', symPath: 'out/model.sym' });
 */
export async function checkCircuit(p: CircuitCheckParams): Promise<CircuitCheckResult> {
  const t0 = performance.now();
  const { program, layout } = p;
  const trials = p.trials ?? 3;
  const rand = mulberry32(p.seed ?? 0x5eed);
  const draw = (lo: bigint, hi: bigint): bigint => {
    const v = lo + BigInt(Math.floor(rand() * Number(hi - lo + 1n)));
    return v > hi ? hi : v;
  };
  const sym = await loadSymbols(p.symPath);
  const names = p.names ?? signalNames(program);
  const compared: [id: number, name: string, step: Step][] = [];
  for (const st of program.steps) for (const id of stepOutputs(st)) if (sym.has(`main.${names[id]}`)) compared.push([id, names[id]!, st]);
  const calcs = new WitnessCalculators();
  let checked = 0;
  try {
    for (let attempt = 0; attempt < 4 * trials && checked < trials; attempt++) {
      const inputs = program.inputs.map((inp, i) => {
        const [lo, hi] = p.ranges?.[i] ?? [inp.lo, inp.hi];
        return inp.signals.map(() => draw(lo, hi));
      });
      let values: ReturnType<typeof evaluate>;
      try {
        values = evaluate(program, inputs);
      } catch (e) {
        if (e instanceof InputError) continue;
        throw e;
      }
      const params = program.params.map((x) => x.values);
      const hashed = (of: 'input' | 'output' | 'params') => layout.signals.some((g) => g.kind === 'commitment' && g.of === of);
      const salts = { input: hashed('input') ? randomSalt() : undefined, output: hashed('output') ? randomSalt() : undefined, params: hashed('params') ? randomSalt() : undefined };
      const circuitInput: Record<string, bigint | bigint[]> = {};
      Object.assign(circuitInput, inputArraySignals(program, inputs));
      params.forEach((xs, i) => (circuitInput[paramSignalName(i)] = xs));
      for (const of of ['input', 'output', 'params'] as const) if (salts[of] !== undefined) circuitInput[saltName(of)] = salts[of]!;
      const prover = proverSignal(layout) !== undefined ? draw(0n, (1n << 160n) - 1n) : undefined; // any address
      if (prover !== undefined) circuitInput[PROVER_SIGNAL] = prover;
      const which = `random input ${checked + 1} of ${trials}`;
      let w: bigint[];
      try {
        w = await calcs.calculateWitness(p.wasmPath, circuitInput);
      } catch (e) {
        if (!(e instanceof WitnessError)) throw e;
        throw new CircuitMismatchError('(witness)', `compiled circuit check: the witness generator rejects ${which}, which the integer program accepts: ${e.message}`, { hint: HINT, cause: e });
      }
      for (const [id, name, st] of compared) {
        const got = w[sym.get(`main.${name}`)!]!;
        if (got !== mod(values.signals[id]!)) {
          const node = 'node' in st ? ` of node '${st.node}'` : '';
          throw new CircuitMismatchError(name, `compiled circuit check: signal ${name} (${st.kind} step${node}) is ${signed(got)} in the witness but ${values.signals[id]} in the integer program, on ${which}`, { hint: HINT });
        }
      }
      const expected = await expectedSignals(layout, inputs, values.outputs, salts, params, prover);
      expected.forEach((v, i) => {
        const got = w[sym.get(`main.${PUBLIC_SIGNAL}[${i}]`) ?? -1];
        if (got !== v) throw new CircuitMismatchError(`${PUBLIC_SIGNAL}[${i}]`, `compiled circuit check: public signal ${PUBLIC_SIGNAL}[${i}] is ${got} in the witness but ${v} from the integer program's outputs, on ${which}`, { hint: HINT });
      });
      checked++;
    }
  } finally {
    calcs.clear();
  }
  return { checked, signals: compared.length + layout.signals.length, seconds: (performance.now() - t0) / 1000 };
}
