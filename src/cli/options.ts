/** Options shared by the commands that compile a model (compile, run, estimate, bench). */
import { Option } from 'commander';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { log } from './output.js';
import type { CompiledInfo } from '../compile.js';

export function parseRange(s: string): [number, number] {
  const m = s.split(',').map(Number);
  if (m.length !== 2 || !m.every(Number.isFinite) || m[0]! > m[1]!) throw new InputError(`--input-range '${s}': expected LO,HI with LO <= HI, e.g. -1,1`);
  return [m[0]!, m[1]!];
}

export function parseIntOpt(name: string, min: number, max: number) {
  return (s: string): number => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${name} '${s}': expected an integer from ${min} to ${max}`);
    return v;
  };
}

export const compileOptions = (c: Command): Command =>
  c
    .option('--calibration <path>', 'sample input file, or a directory of them (.json / input_*.pb): sets the input range, reports the quantization error and, without --scale, chooses the scales')
    .option('--scale <bits>', 'fixed-point scale of activations in bits (real = int / 2^bits); default: chosen from --calibration, else 12', parseIntOpt('--scale', 0, 40))
    .option('--param-bits <bits>', 'precision of constant weights in bits (per-tensor power-of-two scale); default: chosen from --calibration, else 16', parseIntOpt('--param-bits', 2, 40))
    .option('--input-scale <bits>', 'fixed-point scale of the inputs in bits; default: the model\'s zkinfer.input_scale, else chosen from --calibration, else the activation scale', parseIntOpt('--input-scale', 0, 40))
    .option('--input-range <lo,hi>', 'declared range of every input value (overrides calibration and model metadata)', parseRange)
    .addOption(new Option('--input-visibility <v>', 'public: the input is in the receipt; private: hidden; hashed: hidden, its salted Poseidon commitment is public').choices(['public', 'private', 'hashed']).default('public'))
    .addOption(new Option('--param-visibility <v>', 'fixed: weights are constants of the circuit, bound by the verifying key; private: weights are private signals (one key serves every model of the architecture); hashed: private, and their salted Poseidon commitment is public and named in the receipt').choices(['fixed', 'private', 'hashed']).default('fixed'))
    .option('--output-scale <bits>', 'round the outputs to 2^-bits (proven): fewer bits per packed output, fewer public signals, less gas on chain', parseIntOpt('--output-scale', 0, 40))
    .addOption(new Option('--output-visibility <v>', 'public: the output is in the receipt; hashed: only its salted Poseidon commitment is public').choices(['public', 'hashed']).default('public'))
    .option('--bind-prover', "bind every proof to a prover's address (one more public signal, set by prove --prover): a registry accepts it only from that address");

export interface CompileOpts { calibration?: string; scale?: number; paramBits?: number; inputScale?: number; inputRange?: [number, number]; inputVisibility: 'public' | 'private' | 'hashed'; paramVisibility: 'fixed' | 'private' | 'hashed'; outputVisibility: 'public' | 'hashed'; outputScale?: number; bindProver?: boolean }
export const compileParams = (model: string, outDir: string, o: CompileOpts) => ({
  modelPath: model, outDir, calibration: o.calibration, scale: o.scale, paramBits: o.paramBits, inputScale: o.inputScale,
  // with samples and no --scale, the scales are chosen from the samples
  autoScale: o.calibration !== undefined && o.scale === undefined, inputRange: o.inputRange, inputVisibility: o.inputVisibility, paramVisibility: o.paramVisibility, outputVisibility: o.outputVisibility, outputScale: o.outputScale, bindProver: o.bindProver, onProgress: log,
});

export const PROVER_HELP = 'circuits compiled with --bind-prover: the address the proof is bound to, the only one a registry accepts it from (default: the --sign-key address)';

/** The address a proof is bound to: --prover, else the signing key's address when the circuit binds a prover. */
export const proverFor = (compiled: CompiledInfo, prover: string | undefined, wallet: { address: string } | undefined): string | undefined =>
  prover ?? (compiled.layout.signals.some((g) => g.kind === 'prover') ? wallet?.address : undefined);
