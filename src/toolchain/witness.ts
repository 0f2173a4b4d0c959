/**
 * Witness generation from circom's witness wasm. This module is the only place that runs it.
 *
 * We instantiate the wasm ourselves (so that circom `log()` output and error messages go where we want
 * them, and no 2 GiB scratch memory is reserved as circom_runtime does for circom-1 wasm) and hand the
 * instance to circom_runtime's WitnessCalculatorBuilder — the same code snarkjs uses to compute
 * witnesses — for input hashing, normalisation and witness extraction.
 *
 * A failing `===` / `<==` check or circom `assert` while computing the witness surfaces as a WitnessError
 * naming the template and line, e.g. "Assert Failed. Error in template Rescale_1 line: 31".
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WitnessError } from '../errors.js';

/** A signal value: an integer (negative values are encoded mod p) or a nested array of them. */
export type SignalValue = bigint | number | string | readonly SignalValue[];
/** Input of a circuit: signal name (as in `component main`) → value. */
export type CircuitInput = Record<string, SignalValue>;

export interface WitnessOptions {
  /**
   * circom's run-time sanity checks (init(1)): extra checks on how signals are assigned. Off by default;
   * `===` constraints are checked regardless.
   */
  sanityCheck?: boolean;
  /** Receives each line printed by circom `log(...)`; default: written to stderr. */
  onLog?: (line: string) => void;
}

/** The circom_runtime calculator object (untyped JS); only what we use. */
interface RuntimeCalculator {
  prime: bigint;
  witnessSize: number;
  circom_version(): number;
  calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: boolean): Promise<Uint8Array>;
}
type Builder = (code: WebAssembly.Instance, options: Record<string, unknown>) => Promise<RuntimeCalculator>;

let builderPromise: Promise<Builder> | undefined;
function runtimeBuilder(): Promise<Builder> {
  // A non-literal specifier: circom_runtime ships no type declarations.
  const spec = 'circom_runtime';
  builderPromise ??= import(spec).then((m: { WitnessCalculatorBuilder: Builder }) => m.WitnessCalculatorBuilder);
  return builderPromise;
}

const EXCEPTIONS: Record<number, string> = {
  1: 'Signal not found.',
  2: 'Too many signals set.',
  3: 'Signal already set.',
  4: 'Assert Failed.',
  5: 'Not enough memory.',
  6: 'Input signal array access exceeds the size.',
  7: 'Out of bounds array access.',
};

/**
 * Compile a witness wasm with V8's baseline compiler only (Liftoff, no TurboFan tier-up).
 *
 * circom puts a circuit's witness code in a few giant functions that run once. With tier-up, V8 keeps
 * optimising them in the background after the witness is done: mnist-8's prove process peaked at 1.63 GB
 * (0.89 GB without), memory grew faster than linearly with the circuit (bench: exponent 1.30), and that
 * background compilation competed with the Groth16 prover (mnist-8, 4 interleaved runs each at load 6–8,
 * medians: witness 4.5 → 5.9 s but Groth16 18.0 → 13.5 s, total 22.4 → 19.1 s). The flag is set only while this module
 * compiles and restored at once, so snarkjs's own field-arithmetic wasm keeps its optimising tier.
 * `ZKINFER_WITNESS_TIERUP=1` restores V8's default for comparison.
 */
async function compileBaselineOnly(code: Uint8Array): Promise<WebAssembly.Module> {
  if (process.env.ZKINFER_WITNESS_TIERUP === '1') return WebAssembly.compile(new Uint8Array(code));
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--liftoff-only');
  try {
    return await WebAssembly.compile(new Uint8Array(code));
  } finally {
    v8.setFlagsFromString('--no-liftoff-only');
  }
}

/** Raised inside the wasm's exception handler; carries circom's message out of the wasm stack. */
class CircomRuntimeFailure extends Error {}

/** One loaded witness wasm. Calls are serialized: the wasm instance holds the state of one computation. */
export class LoadedWitnessCalculator {
  readonly wasmPath: string;
  private readonly calc: RuntimeCalculator;
  private readonly state: { errors: string[]; onLog: (line: string) => void };
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(wasmPath: string, calc: RuntimeCalculator, state: LoadedWitnessCalculator['state']) {
    this.wasmPath = wasmPath;
    this.calc = calc;
    this.state = state;
  }

  static async load(wasmPath: string): Promise<LoadedWitnessCalculator> {
    let code: Buffer;
    try {
      code = await readFile(wasmPath);
    } catch (e) {
      throw new WitnessError(`cannot read witness wasm ${wasmPath}: ${(e as Error).message}`, {
        hint: 'compile the circuit first',
        cause: e,
      });
    }
    const state = { errors: [] as string[], onLog: defaultLog };
    let instance: WebAssembly.Instance | undefined;
    let msg = '';
    const exports = () => instance!.exports as Record<string, (...a: number[]) => number>;
    const getMessage = (): string => {
      let s = '';
      for (let c = exports().getMessageChar!(); c !== 0; c = exports().getMessageChar!()) s += String.fromCharCode(c);
      return s;
    };
    const readShared = (): bigint => {
      const n32 = exports().getFieldNumLen32!();
      let v = 0n;
      for (let j = n32 - 1; j >= 0; j--) v = (v << 32n) | BigInt(exports().readSharedRWMemory!(j) >>> 0);
      return v;
    };
    const runtime = {
      exceptionHandler(code: number) {
        const what = EXCEPTIONS[code] ?? `Unknown error (${code}).`;
        throw new CircomRuntimeFailure([what, ...state.errors].join(' ').trim());
      },
      printErrorMessage() {
        state.errors.push(getMessage().trim());
      },
      writeBufferMessage() {
        const m = getMessage();
        if (m === '\n') {
          state.onLog(msg);
          msg = '';
        } else {
          msg = msg === '' ? m : `${msg} ${m}`;
        }
      },
      showSharedRWMemory() {
        const v = readShared().toString();
        msg = msg === '' ? v : `${msg} ${v}`;
      },
      // Imports of older circom 2.0.x wasm; harmless when unused.
      error(code: number) {
        throw new CircomRuntimeFailure(`circom runtime error ${code}. ${state.errors.join(' ')}`.trim());
      },
      log() {},
      logGetSignal() {},
      logSetSignal() {},
      logStartComponent() {},
      logFinishComponent() {},
    };
    let calc: RuntimeCalculator;
    try {
      const module = await compileBaselineOnly(code);
      const wanted = new Set(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`));
      const imports: WebAssembly.Imports = { runtime: {} };
      for (const [k, f] of Object.entries(runtime)) if (wanted.has(`runtime.${k}`)) imports.runtime![k] = f;
      instance = await WebAssembly.instantiate(module, imports);
      const build = await runtimeBuilder();
      calc = await build(instance, {});
    } catch (e) {
      const m = (e as Error).message;
      // circom writes each template's witness code as one wasm function; V8 caps a function at 7,654,321 bytes
      // (codegen writes a program's steps into templates of at most TEMPLATE_BYTES of witness code each)
      const tooBig = /maximum function size/.test(m);
      throw new WitnessError(`cannot load witness wasm ${wasmPath}: ${m}`, {
        cause: e,
        ...(tooBig ? { hint: "one template's witness code is too large for V8: a circuit compiled before zkinfer wrote large programs as several templates must be recompiled; otherwise report the model (its public-signal packing, say, is not split)" } : {}),
      });
    }
    if (calc.circom_version() !== 2) {
      throw new WitnessError(`${wasmPath} was not produced by circom 2`, { hint: 'recompile with circom 2' });
    }
    return new LoadedWitnessCalculator(wasmPath, calc, state);
  }

  /** The field prime the circuit was compiled for. */
  get prime(): bigint {
    return this.calc.prime;
  }

  /** Number of witness entries (= r1cs wires). */
  get witnessSize(): number {
    return this.calc.witnessSize;
  }

  /** Full witness: w[0] = 1, then outputs, public inputs, private inputs, internal signals. */
  calculateWitness(input: CircuitInput, opts: WitnessOptions = {}): Promise<bigint[]> {
    return this.run(input, opts, (i, s) => this.calc.calculateWitness(i, s));
  }

  /** The same witness as a snarkjs .wtns file image (for groth16.prove). */
  calculateWtns(input: CircuitInput, opts: WitnessOptions = {}): Promise<Uint8Array> {
    return this.run(input, opts, (i, s) => this.calc.calculateWTNSBin(i, s));
  }

  private run<T>(
    input: CircuitInput,
    opts: WitnessOptions,
    f: (input: Record<string, unknown>, sanityCheck: boolean) => Promise<T>,
  ): Promise<T> {
    const normalized = normalizeInput(input);
    const job = this.queue.then(async () => {
      this.state.errors = [];
      this.state.onLog = opts.onLog ?? defaultLog;
      try {
        return await f(normalized, opts.sanityCheck ?? false);
      } catch (e) {
        throw toWitnessError(e, this.wasmPath);
      } finally {
        this.state.errors = [];
        this.state.onLog = defaultLog;
      }
    });
    this.queue = job.catch(() => undefined);
    return job;
  }
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

function toWitnessError(e: unknown, wasmPath: string): WitnessError {
  if (e instanceof WitnessError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  const message = raw.replace(/^(Error: )+/, '').replace(/\s+/g, ' ').trim();
  const isAssert = /Assert Failed/.test(message);
  return new WitnessError(`witness generation failed (${path.basename(wasmPath)}): ${message}`, {
    hint: isAssert
      ? 'a constraint or assert of the circuit does not hold for this input (e.g. a value outside its proven range)'
      : 'check the input signal names and sizes against the circuit',
    cause: e,
  });
}

function toBigInt(v: bigint | number | string, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new WitnessError(`input ${where} is not a safe integer: ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?(0x[0-9a-fA-F]+|\d+)$/.test(v.trim())) {
    const t = v.trim();
    return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  throw new WitnessError(`input ${where} is not an integer: ${JSON.stringify(v)}`);
}

function normalizeValue(v: SignalValue, where: string): unknown {
  if (Array.isArray(v)) return v.map((x: SignalValue, i) => normalizeValue(x, `${where}[${i}]`));
  return toBigInt(v as bigint | number | string, where);
}

function normalizeInput(input: CircuitInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) out[k] = normalizeValue(v, k);
  return out;
}

/**
 * Loaded witness calculators, one per wasm file, reloaded when the file changes (mtime / size).
 * Own one per long-running component, or use the process-wide `defaultWitnessCalculators`.
 */
export class WitnessCalculators {
  private readonly byPath = new Map<string, { stamp: string; calc: Promise<LoadedWitnessCalculator> }>();

  async get(wasmPath: string): Promise<LoadedWitnessCalculator> {
    const abs = path.resolve(wasmPath);
    let stamp: string;
    try {
      const s = await stat(abs);
      stamp = `${s.mtimeMs}:${s.size}`;
    } catch (e) {
      throw new WitnessError(`witness wasm not found: ${wasmPath}`, { hint: 'compile the circuit first', cause: e });
    }
    const hit = this.byPath.get(abs);
    if (hit && hit.stamp === stamp) return hit.calc;
    const calc = LoadedWitnessCalculator.load(abs);
    this.byPath.set(abs, { stamp, calc });
    calc.catch(() => {
      if (this.byPath.get(abs)?.calc === calc) this.byPath.delete(abs);
    });
    return calc;
  }

  async calculateWitness(wasmPath: string, input: CircuitInput, opts?: WitnessOptions): Promise<bigint[]> {
    return (await this.get(wasmPath)).calculateWitness(input, opts);
  }

  async calculateWtns(wasmPath: string, input: CircuitInput, opts?: WitnessOptions): Promise<Uint8Array> {
    return (await this.get(wasmPath)).calculateWtns(input, opts);
  }

  /** Forget all loaded wasm instances. */
  clear(): void {
    this.byPath.clear();
  }

  get size(): number {
    return this.byPath.size;
  }
}

export const defaultWitnessCalculators = new WitnessCalculators();

export interface CalculateWitnessArgs extends WitnessOptions {
  wasmPath: string;
  input: CircuitInput;
  /** Cache to use; default the process-wide one. */
  calculators?: WitnessCalculators;
}

/** Compute the full witness (bigints in [0, p)) for an input. Throws WitnessError when a check fails. */
export function calculateWitness(args: CalculateWitnessArgs): Promise<bigint[]> {
  const { wasmPath, input, calculators = defaultWitnessCalculators, ...opts } = args;
  return calculators.calculateWitness(wasmPath, input, opts);
}

/** Compute the witness as a .wtns file image (what snarkjs.groth16.prove accepts). */
export function calculateWtns(args: CalculateWitnessArgs): Promise<Uint8Array> {
  const { wasmPath, input, calculators = defaultWitnessCalculators, ...opts } = args;
  return calculators.calculateWtns(wasmPath, input, opts);
}
