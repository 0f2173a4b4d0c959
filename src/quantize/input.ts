/**
 * Input specs and quantization: pure functions shared by calibration, the Node prover and the browser
 * prover (no Node built-ins here; the page imports this file).
 */
import { InputError } from '../errors.js';
import { fmtShape, intRange, sizeOf } from '../ir/graph.js';

export interface InputTensorSpec {
  name: string;
  shape: number[];
  scale: number;
  /** Enforced integer range (decimal strings in artifacts). */
  lo: bigint;
  hi: bigint;
  /** Integer element type of the model input (uint8, int8, int32 …): its values must be whole numbers. */
  dtype?: string;
}

/** One input as a compiled circuit records it (`compiled.json`: integer bounds as decimal strings). */
export interface CompiledInput {
  name: string;
  shape: number[];
  scale: number;
  lo: string;
  hi: string;
  dtype?: string;
}

/** The input specs of a compiled circuit (integer bounds as bigints). */
export const inputSpecs = (info: { inputs: CompiledInput[] }): InputTensorSpec[] =>
  info.inputs.map((i) => ({ name: i.name, shape: i.shape, scale: i.scale, lo: BigInt(i.lo), hi: BigInt(i.hi), ...(i.dtype ? { dtype: i.dtype } : {}) }));

/** Check count and finiteness of one input tensor. */
export function checkTensor(values: number[], shape: number[], spec: InputTensorSpec, path: string): number[] {
  const where = `${path}: input '${spec.name}'`;
  if (values.length !== sizeOf(spec.shape)) {
    throw new InputError(`${where} has ${values.length} values (shape ${fmtShape(shape)}), expected ${sizeOf(spec.shape)} (shape ${fmtShape(spec.shape)})`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${where}[${bad}] is ${values[bad]}, expected a finite number`);
  return values;
}

/** Quantize to the circuit's integers and check the declared range. */
export function quantizeInput(values: number[], spec: InputTensorSpec, path: string): bigint[] {
  const f = 2 ** spec.scale;
  const integer = intRange(spec.dtype) !== undefined;
  return values.map((v, i) => {
    if (integer && !Number.isInteger(v)) throw new InputError(`${path}: input '${spec.name}'[${i}] = ${v} is not a whole number; the model declares it ${spec.dtype}`);
    const q = BigInt(Math.round(v * f));
    if (q < spec.lo || q > spec.hi) {
      const lo = Number(spec.lo) / f;
      const hi = Number(spec.hi) / f;
      throw new InputError(`${path}: input '${spec.name}'[${i}] = ${v} is outside the range [${lo}, ${hi}] the circuit was compiled for`, {
        hint: 'recompile with --calibration samples (or --input-range) that cover this input',
      });
    }
    return q;
  });
}
