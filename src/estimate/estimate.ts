/**
 * estimate: what compiling, setting up and proving a model will cost, before paying any of it. Runs the
 * quantizer only (never circom): constraint, wire and coefficient counts are exact from the program
 * (./constraints.ts); key and ptau sizes follow from the snarkjs file formats; gas from src/chain/gas.ts;
 * seconds and peak memory from the cost model fitted on this machine (./cost-model.ts).
 */
import os from 'node:os';
import path from 'node:path';
import { listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams } from '../compile.js';
import type { Program } from '../quantize/program.js';
import { countConstraints, stepLins } from './constraints.js';
import type { ConstraintEstimate } from './constraints.js';
import { BENCH_STEPS, loadCostModel, predict, slowdown } from './cost-model.js';
import type { BenchStep, CircuitFeatures, CostModel } from './cost-model.js';
import { predictVerifyGas } from '../chain/gas.js';
import type { VerifyGasEstimate } from '../chain/gas.js';
import { devPtauFileSize } from '../toolchain/devsetup.js';
import { generateCircom } from '../codegen/circom.js';

export interface EstimateParams extends Omit<CompileParams, 'outDir'> {
  /** A cost model file; default the one committed beside this module (fitted on the project's bench machine). */
  costModelPath?: string;
  /**
   * Cores' worth of CPU other processes are using, to predict seconds at (default: this machine's 1-minute
   * load average now: nothing of ours runs yet).
   */
  load1?: number;
}

export interface Estimate {
  model: { file: string; name: string };
  constraints: ConstraintEstimate;
  features: CircuitFeatures;
  /** Elements of all outputs (the on-chain gas target is stated for ≤ 10). */
  outputElements: number;
  sizes: {
    /** Groth16 proving key (.zkey), exact up to the contributions section. */
    provingKeyBytes: number;
    /** A prepared phase-2 ptau of the circuit's power. */
    ptauBytes: number;
  };
  verifyGas: VerifyGasEstimate;
  /**
   * Predicted seconds (at the load below, and on an idle machine) and peak resident memory (MiB) per step;
   * absent without a cost model.
   */
  predicted?: Record<BenchStep, { seconds: number; secondsIdle: number; peakRssMB: number }>;
  /** The load the seconds are predicted at, and each step's slowdown: max(1, (step threads + load1) / cpus). */
  load?: { load1: number; cpus: number; slowdown: Record<BenchStep, number> };
  costModel?: { fittedAt: string; machine: CostModel['machine'] };
  /** Costs that will hurt before they are paid (e.g. the compiler running out of memory). */
  warnings: string[];
}

/** circom2 is 32-bit WebAssembly: its memory ends at 4 GiB (a 453k-term MLP crashed it, bench/models.ts). */
export const CIRCOM_WASM_MEMORY_MB = 4096;

/** Terms written into the circom source: every linear combination the compiler and witness wasm walk. */
export function sourceTerms(p: Program): number {
  let n = 0;
  for (const s of p.steps) n += s.kind === 'input' ? s.signals.length : stepLins(s).reduce((a, e) => a + e.terms.size, 0);
  for (const o of p.outputs) for (const e of o.exprs) n += e.terms.size;
  return n;
}

/** Bytes of a Groth16 .zkey (snarkjs format, 10 sections) for these counts. */
export function zkeyBytes(c: { wires: number; nPublic: number; nnzAB: number; ptauPower: number }): number {
  const G1 = 64;
  const G2 = 128;
  const header = 12 + 10 * 12; // magic, version, section count; 10 section headers
  const groth16Header = 4 + 32 + 4 + 32 + 4 + 4 + 4 + 3 * G1 + 3 * G2; // q, r, sizes; α1 β1 δ1 in G1, β2 γ2 δ2 in G2
  const coefficients = 4 + 44 * (c.nnzAB + c.nPublic + 1); // matrix, constraint, signal, value
  const points = (c.nPublic + 1) * G1 + c.wires * (G1 + G1 + G2) + (c.wires - c.nPublic - 1) * G1 + 2 ** c.ptauPower * G1;
  const contributions = 510; // the dev key's one named contribution
  return header + 4 + groth16Header + coefficients + points + contributions;
}

/**
 * Predict a model's constraints, key sizes, gas and (with a cost model) time and memory per step.
 * @example const e = estimateModel({ modelPath: 'model.onnx' }); e.constraints.total
 */
export function estimateModel(params: EstimateParams): Estimate {
  const bytes = readModelFile(params.modelPath);
  const calFiles = params.calibration ? listSampleFiles(params.calibration) : [];
  const { graph, program, layout } = quantizeModel(params, bytes, calFiles);
  const constraints = countConstraints({ program, layout, graph });
  const features: CircuitFeatures = {
    constraints: constraints.total,
    wires: constraints.wires,
    domain: 2 ** constraints.ptauPower,
    terms: sourceTerms(program),
    nPublic: constraints.nPublic,
    // the source compile would write, less its title comment (a few dozen bytes): codegen is fast (0.2 s on 4 MB)
    sourceBytes: Buffer.byteLength(generateCircom(program, { layout })),
  };
  const model = loadCostModel(params.costModelPath);
  const cpus = os.availableParallelism();
  const load1 = params.load1 ?? os.loadavg()[0]!;
  const k = Object.fromEntries(BENCH_STEPS.map((s) => [s, slowdown(s, load1, cpus)])) as Record<BenchStep, number>;
  const predicted = model
    ? (Object.fromEntries(
        BENCH_STEPS.map((s) => {
          const idle = predict(model.steps[s].seconds, features);
          return [s, { seconds: idle * k[s], secondsIdle: idle, peakRssMB: predict(model.steps[s].peakRssMB, features) }];
        }),
      ) as Estimate['predicted'])
    : undefined;
  const warnings: string[] = [];
  if (predicted && predicted.compile.peakRssMB > 0.85 * CIRCOM_WASM_MEMORY_MB) {
    warnings.push(`compiling needs about ${(predicted.compile.peakRssMB / 1024).toFixed(1)} GiB (${((features.sourceBytes ?? 0) / 2 ** 20).toFixed(1)} MiB of circom source, ${features.terms} terms): circom2 runs as WebAssembly with at most 4 GiB and will likely crash`);
  }
  return {
    model: { file: path.basename(params.modelPath), name: graph.name },
    constraints,
    features,
    outputElements: program.outputs.reduce((a, o) => a + o.exprs.length, 0),
    sizes: { provingKeyBytes: zkeyBytes(constraints), ptauBytes: devPtauFileSize(constraints.ptauPower) },
    verifyGas: predictVerifyGas(constraints.nPublic),
    predicted,
    load: model ? { load1, cpus, slowdown: k } : undefined,
    costModel: model ? { fittedAt: model.fittedAt, machine: model.machine } : undefined,
    warnings,
  };
}
