/** `zkinfer bench <model…>`: measure every step of the pipeline on models (see src/bench/run.ts). */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchModel } from '../../bench/types.js';
import { InputError } from '../../errors.js';
import { emit, log, say } from '../output.js';
import { compileOptions, compileParams, parseIntOpt } from '../options.js';
import type { CompileOpts } from '../options.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Inputs of a model when none are given: input.json beside it, its test_data_set_* dirs, or <stem>.input.json. */
export function discoverInputs(model: string): string[] {
  const dir = path.dirname(model);
  const stem = path.basename(model).replace(/\.[^.]+$/, '');
  const candidates = [path.join(dir, `${stem}.input.json`), path.join(dir, 'input.json'), ...[0, 1, 2].map((i) => path.join(dir, `test_data_set_${i}`))];
  return candidates.filter((f) => existsSync(f));
}

export function registerBench(program: Command): void {
  compileOptions(
    program
      .command('bench')
      .description('benchmark models: constraints, compile/setup/witness/prove/verify seconds (medians) and peak memory, key sizes, gas, error vs float; writes JSON, Markdown and SVG charts')
      .argument('<models...>', 'ONNX model files')
      .option('--input <file>', 'input file for every model (repeat for several; default: input.json or test_data_set_* beside each model)', collect, [])
      .option('--runs <n>', 'runs per step (medians are reported)', parseIntOpt('--runs', 1, 100), 3)
      .option('--proofs <n>', 'proofs in the repeated-proving run', parseIntOpt('--proofs', 1, 1000), 5)
      .option('--compare-o2', 'also compare circom --O1 with --O2 on the first model')
      .option('-o, --out <dir>', 'results directory', path.join('bench', 'results')),
  ).action(async (models: string[], o: CompileOpts & { input: string[]; runs: number; proofs: number; compareO2?: boolean; out: string }) => {
    const specs: BenchModel[] = models.map((m) => {
      const inputs = o.input.length ? o.input : discoverInputs(m);
      if (!inputs.length) throw new InputError(`${m}: no input to prove`, { hint: 'pass --input FILE, or put input.json beside the model' });
      const { outDir: _d, onProgress: _p, ...params } = compileParams(m, '', o);
      return { ...params, name: path.basename(m).replace(/\.[^.]+$/, ''), group: 'bench', inputs };
    });
    const { runBench } = await import('../../bench/run.js');
    const { writeBenchResults } = await import('../../bench/report.js');
    const report = await runBench({ models: specs, runs: o.runs, manyProofs: o.proofs, compareOptimizations: o.compareO2 ? specs[0]!.name : undefined, onProgress: log });
    const files = writeBenchResults(report, o.out);
    say(`results     ${files.join(', ')}`);
    emit(report);
  });
}
