/** `zkinfer estimate <model>`: every cost of compiling, setting up and proving, before paying any of it. */
import type { Command } from 'commander';
import type { Estimate } from '../../estimate/estimate.js';
import { emit, say } from '../output.js';
import { compileOptions, compileParams } from '../options.js';
import type { CompileOpts } from '../options.js';
import { parsePositive, parseSegments } from './segment-options.js';
import type { SegmentOpts } from './segment-options.js';

// Loaded when one of these commands runs (not to define them): see loadCore in ../main.ts.
let estimateModel!: typeof import('../../estimate/estimate.js').estimateModel;
let BENCH_STEPS!: typeof import('../../estimate/cost-model.js').BENCH_STEPS;
async function load(): Promise<void> {
  ({ estimateModel } = await import('../../estimate/estimate.js'));
  ({ BENCH_STEPS } = await import('../../estimate/cost-model.js'));
}

const MiB = (b: number): string => `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 2 : 1)} MiB`;

export function printEstimate(e: Estimate): void {
  const c = e.constraints;
  say(`model       ${e.model.file} (${e.model.name})`);
  say(`constraints ${c.total} (${c.nonLinear} non-linear, ${c.linear} linear), ${c.wires} wires, ${c.nPublic} public signals`);
  for (const [op, v] of Object.entries(c.byOp).sort((a, b) => b[1].nonLinear + b[1].linear - (a[1].nonLinear + a[1].linear))) {
    say(`            ${op.padEnd(22)} ${String(v.nonLinear + v.linear).padStart(9)} (${v.nonLinear} + ${v.linear})`);
  }
  say(`ptau        power ${c.ptauPower} (2^${c.ptauPower} = ${2 ** c.ptauPower}), prepared ptau ${MiB(e.sizes.ptauBytes)}`);
  say(`keys        proving key ${MiB(e.sizes.provingKeyBytes)}`);
  say(`verify gas  ${e.verifyGas.gas} (${e.verifyGas.formula})`);
  if (e.predicted) {
    const L = e.load!;
    say(`predicted   on ${e.costModel!.machine.cpus} × ${e.costModel!.machine.cpuModel} (cost model fitted ${e.costModel!.fittedAt.slice(0, 10)}); load now ${L.load1.toFixed(1)} on ${L.cpus} cores: proving ×${L.slowdown.prove.toFixed(2)}`);
    for (const s of BENCH_STEPS) say(`            ${s.padEnd(8)} ${e.predicted[s].seconds.toFixed(2).padStart(8)} s (idle ${e.predicted[s].secondsIdle.toFixed(2)} s)   peak ${e.predicted[s].peakRssMB.toFixed(0).padStart(5)} MiB`);
  } else say('predicted   no cost model for this machine (run bench/fit-cost-model.ts): times and memory not predicted');
  for (const w of e.warnings) say(`warning     ${w}`);
}

async function estimateBatchCommand(model: string, o: CompileOpts & { costModel?: string; batch: number }): Promise<void> {
  const { estimateBatch } = await import('../../compose/batch-estimate.js');
  const { outDir: _d, onProgress: _p, ...params } = compileParams(model, '', o);
  const e = estimateBatch({ ...params, batch: o.batch, costModelPath: o.costModel });
  const K = e.batch;
  say(`batch       ${K} inferences of ${model} in one circuit`);
  say(`constraints ${e.constraints} (${Math.round(e.constraints / K)} per inference), ${e.nPublic} public signals, ptau power ${e.ptauPower}`);
  if (e.proveSeconds !== undefined) say(`prove       ${(e.witnessSeconds! + e.proveSeconds).toFixed(1)} s idle (witness ${e.witnessSeconds!.toFixed(1)} + Groth16 ${e.proveSeconds.toFixed(1)}), ${((e.witnessSeconds! + e.proveSeconds) / K).toFixed(2)} s per inference; Groth16 ${e.proveSecondsLoaded!.toFixed(1)} s at the load now`);
  else say('prove       no cost model for this machine (run bench/fit-cost-model.ts): seconds not predicted');
  say(`verify gas  ${e.verifyGas} (${Math.round(e.verifyGas / K)} per inference)`);
  say(`submitBatch ${e.submitGas} gas through the registry, one InferenceVerified per inference (${Math.round(e.submitGas / K)} per inference)`);
  emit(e);
}

export function registerEstimate(program: Command): void {
  compileOptions(
    program
      .command('estimate')
      .description('predict constraints, ptau power, key sizes, time and memory per step and verify gas, without compiling (runs the quantizer only)')
      .argument('<model>', 'ONNX model file')
      .option('--cost-model <file>', 'cost model JSON (default: the one fitted on the project bench machine, src/estimate/cost-model.json)')
      .option('--segments <auto|K>', 'predict the cut compile --segments makes: constraints and prove seconds per segment', parseSegments)
      .option('--max-constraints <n>', "largest segment with --segments auto (default 250000; each segment also within circom2's memory, predicted)", parsePositive('--max-constraints'))
      .option('--batch <K>', 'predict compile --batch K: constraints, prove seconds, gas of one verifying transaction and of the registry\'s submitBatch, per inference', parsePositive('--batch')),
  ).action(async (model: string, o: CompileOpts & SegmentOpts & { costModel?: string; batch?: number }) => {
    await load();
    if (o.segments !== undefined) return (await import('./segments.js')).estimateSegmentsCommand(model, o);
    if (o.batch !== undefined) return estimateBatchCommand(model, o as CompileOpts & { costModel?: string; batch: number });
    const { outDir: _d, onProgress: _p, ...params } = compileParams(model, '', o);
    const e = estimateModel({ ...params, costModelPath: o.costModel });
    printEstimate(e);
    emit(e);
  });
}
