/**
 * Typed errors. Every failure a user can cause has its own class with a fixed `name` and `code`,
 * a one-line message naming the file / node / field, and a `hint` saying how to fix it.
 * The CLI prints `error[code]: message` (+ hint) and exits non-zero; it never prints a stack trace
 * for a ZkinferError.
 *
 * @example
 * try { await proveInference({ dir, inputPath }); } catch (e) { if (e instanceof InputError) console.error(e.message, e.hint); }
 */
export class ZkinferError extends Error {
  override name = 'ZkinferError';
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
  }
}

/**
 * The one-line text the CLI prints for a user error: `error[code]: message (hint: …)`.
 * @example try { await compileModel(params); } catch (e) { if (e instanceof ZkinferError) console.error(errorText(e)); else throw e; }
 */
export const errorText = (e: ZkinferError): string => `error[${e.code}]: ${e.message.replace(/\n+/g, ' | ')}${e.hint ? ` (hint: ${e.hint})` : ''}`;

/** The model file cannot be read or parsed (truncated, not ONNX, bad tensor payload). */
export class ModelParseError extends ZkinferError {
  override name = 'ModelParseError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('model-parse', message, opts);
  }
}

/** The model uses an op, attribute or shape the compiler does not support. */
export class UnsupportedOpError extends ZkinferError {
  override name = 'UnsupportedOpError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('unsupported-op', message, opts);
  }
}

/** Shapes do not fit (node inputs, user input tensors). */
export class ShapeError extends ZkinferError {
  override name = 'ShapeError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('shape', message, opts);
  }
}

/** A proven bound would approach the field size: the circuit could wrap around. */
export class OverflowError extends ZkinferError {
  override name = 'OverflowError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('overflow', message, opts);
  }
}

/** A user-supplied input value is invalid (NaN, Inf, out of the declared range, bad file). */
export class InputError extends ZkinferError {
  override name = 'InputError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('input', message, opts);
  }
}

/** Artifacts on disk are missing or do not belong together. */
export class ArtifactError extends ZkinferError {
  override name = 'ArtifactError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('artifact', message, opts);
  }
}

/** A receipt is malformed (not a failed verification: that is a result, not an error). */
export class ReceiptFormatError extends ZkinferError {
  override name = 'ReceiptFormatError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('receipt-format', message, opts);
  }
}

/** Trusted setup failed (bad ptau, too small a ptau, key generation error). */
export class SetupError extends ZkinferError {
  override name = 'SetupError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('setup', message, opts);
  }
}

/** The circom compiler rejected generated or gadget source. */
export class CircomCompileError extends ZkinferError {
  override name = 'CircomCompileError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('circom-compile', message, opts);
  }
}

/**
 * circom2 (32-bit WebAssembly: at most 4 GiB) ran out of memory compiling a circuit, or a plan predicts it would:
 * the circuit (a segment, or a step of the program) is too big for the compiler.
 */
export class CompilerMemoryError extends CircomCompileError {
  override name = 'CompilerMemoryError';
  override readonly code = 'compiler-memory';
}

/** Witness generation failed (a constraint or assert failed while computing the witness). */
export class WitnessError extends ZkinferError {
  override name = 'WitnessError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('witness', message, opts);
  }
}

/** The powers-of-tau file is too small for the circuit (its power is below the circuit's domain power). */
export class PtauTooSmallError extends SetupError {
  override name = 'PtauTooSmallError';
  override readonly code = 'ptau-too-small';
  readonly ptauPower: number;
  readonly requiredPower: number;
  constructor(ptauPower: number, requiredPower: number, opts: { message?: string; hint?: string; cause?: unknown } = {}) {
    super(
      opts.message ?? `the powers-of-tau file has power ${ptauPower}, the circuit needs at least ${requiredPower}`,
      { hint: opts.hint ?? `use a prepared ptau of power ≥ ${requiredPower} (e.g. a Hermez/Perpetual Powers of Tau file)`, cause: opts.cause },
    );
    this.ptauPower = ptauPower;
    this.requiredPower = requiredPower;
  }
}

/** solc rejected a Solidity source (generated wrapper, registry, or snarkjs's verifier). */
export class SolidityCompileError extends ZkinferError {
  override name = 'SolidityCompileError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('solidity-compile', message, opts);
  }
}

/** A contract's bytecode exceeds EIP-170 (runtime, 24,576 bytes) or EIP-3860 (init code, 49,152 bytes). */
export class ContractSizeError extends ZkinferError {
  override name = 'ContractSizeError';
  readonly bytes: number;
  readonly limit: number;
  readonly rule: 'EIP-170' | 'EIP-3860';
  constructor(contract: string, bytes: number, rule: 'EIP-170' | 'EIP-3860', limit: number, opts: { hint?: string; cause?: unknown } = {}) {
    super('contract-size', `${contract}: ${rule === 'EIP-170' ? 'runtime' : 'init'} bytecode is ${bytes} bytes, over the ${rule} limit of ${limit} bytes: no EVM chain accepts it`, opts);
    this.rule = rule;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The chain could not be reached, refused a transaction, or holds something else than expected. */
export class ChainError extends ZkinferError {
  override name = 'ChainError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('chain', message, opts);
  }
}

/** No usable signing key (missing file or variable, not a 32-byte hex key). */
export class SignerKeyError extends ZkinferError {
  override name = 'SignerKeyError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('signer-key', message, opts);
  }
}

/** The compiled circuit computes something else than the integer program it was generated from (a codegen bug). */
export class CircuitMismatchError extends ZkinferError {
  override name = 'CircuitMismatchError';
  /** The first signal whose witness value differs (circom name in the main template, e.g. `s[12]` or `pub[0]`). */
  readonly signal: string;
  constructor(signal: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('circuit-mismatch', message, opts);
    this.signal = signal;
  }
}

/** The proving service cannot start or reach what it needs (redis-server missing, Redis unreachable, bad option). */
export class ServiceError extends ZkinferError {
  override name = 'ServiceError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('service', message, opts);
  }
}

/**
 * The prover's own receipt does not verify (a bug in zkinfer, never the user's input): nothing is written.
 * Carries the failed check and every check, as verify reports them.
 */
export class SelfCheckError extends ZkinferError {
  override name = 'SelfCheckError';
  readonly check: { name: string; detail: string };
  readonly result: { checks: { name: string; ok: boolean; detail: string }[] };
  constructor(check: { name: string; detail: string }, result: { checks: { name: string; ok: boolean; detail: string }[] }) {
    super('self-check', `internal: the receipt just proved does not verify: check '${check.name}' failed: ${check.detail}`, { hint: 'this is a bug in zkinfer: please report it with the model and input; no receipt was written' });
    this.check = check;
    this.result = result;
  }
}
