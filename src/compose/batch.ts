/**
 * Batches: one circuit proving K independent inferences of one model (DESIGN.md §7). The program is
 * repeated K times over fresh signals; constants are shared by construction (they are coefficients), and
 * parameter signals (private/hashed params) are shared too — one set, one range check, one commitment.
 * Input k is tensor `<name>#k`, output k `<name>#k`. With hashed inputs and outputs the layout commits all K
 * in one Poseidon chain each, so the proof has two public signals however large K is: one verifying
 * transaction covers K inferences. The artifacts are an ordinary directory: setup, prove (an input file
 * with K arrays, e.g. {"input_data": [x0, x1, …]}), verify and the chain commands work unchanged.
 */
import path from 'node:path';
import { listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams, CompiledInfo } from '../compile.js';
import { intRange } from '../ir/graph.js';
import type { Lin } from '../quantize/lin.js';
import type { InputSpec, OutputSpec, Program, Step } from '../quantize/program.js';
import { makeLayout } from '../quantize/layout.js';
import { sha256 } from '../artifacts/hash.js';
import { InputError } from '../errors.js';
import { compileProgramCircuit } from './circuit.js';
import { remapStep } from './segments.js';
import { declaredRanges, opCounts } from '../compile.js';

export const batchName = (name: string, k: number): string => `${name}#${k}`;

/**
 * The program repeated K times (parameter signals shared).
 * @example const b = batchProgram(program, 8); b.inputs.length === 8 * program.inputs.length
 */
export function batchProgram(p: Program, K: number): Program {
  if (!Number.isInteger(K) || K < 1) throw new InputError(`--batch ${K}: expected a positive integer`);
  const shared = new Set<number>();
  for (const s of p.steps) if (s.kind === 'param') for (const id of s.signals) shared.add(id);
  const lo: bigint[] = [];
  const hi: bigint[] = [];
  const fresh = (old: number): number => (lo.push(p.lo[old]!), hi.push(p.hi[old]!), lo.length - 1);
  const sharedId = new Map<number, number>();
  for (const id of shared) sharedId.set(id, fresh(id));
  const steps: Step[] = p.steps.filter((s) => s.kind === 'param').map((s) => ({ ...s, signals: (s as { signals: number[] }).signals.map((id) => sharedId.get(id)!) }) as Step);
  const inputs: InputSpec[] = [];
  const outputs: OutputSpec[] = [];
  for (let k = 0; k < K; k++) {
    const map = new Map<number, number>();
    const id = (old: number): number => sharedId.get(old) ?? map.get(old) ?? (map.set(old, fresh(old)), map.get(old)!);
    const lin = (e: Lin): Lin => ({ terms: new Map([...e.terms].map(([x, v]) => [id(x), v])), c: e.c });
    for (const s of p.steps) {
      if (s.kind === 'param') continue;
      if (s.kind === 'input') {
        const spec = p.inputs[s.input]!;
        const signals = spec.signals.map(id);
        inputs.push({ ...spec, name: batchName(spec.name, k), signals });
        steps.push({ ...s, input: inputs.length - 1, signals });
        continue;
      }
      steps.push(remapStep(s, id, lin));
    }
    for (const o of p.outputs) outputs.push({ ...o, name: batchName(o.name, k), exprs: o.exprs.map(lin) });
  }
  return { nSignals: lo.length, lo, hi, steps, inputs, params: p.params.map((x) => ({ ...x, signals: x.signals.map((id) => sharedId.get(id)!) })), outputs };
}

/**
 * Compile K inferences of a model into one circuit (an ordinary artifact directory).
 * @example const info = await compileBatch({ modelPath: 'm.onnx', outDir: 'build/m8', batch: 8, inputVisibility: 'hashed', outputVisibility: 'hashed' });
 */
export async function compileBatch(params: CompileParams & { batch: number }): Promise<CompiledInfo & { batch: number }> {
  const bytes = readModelFile(params.modelPath);
  const q = quantizeModel(params, bytes, params.calibration ? listSampleFiles(params.calibration) : []);
  const program = batchProgram(q.program, params.batch);
  const layout = makeLayout(program, q.layout.visibility, { bindProver: params.bindProver });
  const v = layout.visibility;
  const file = path.basename(params.modelPath);
  const fileSha256 = sha256(bytes);
  const inputs: CompiledInfo['inputs'] = program.inputs.map((inp, j) => {
    const i = j % q.program.inputs.length;
    return { name: inp.name, shape: inp.shape, scale: inp.scale, lo: inp.lo.toString(), hi: inp.hi.toString(), min: q.decls[i]!.min, max: q.decls[i]!.max, rangeSource: q.decls[i]!.source, ...(intRange(q.graph.inputs[i]!.dtype) ? { dtype: q.graph.inputs[i]!.dtype } : {}) };
  });
  params.onProgress?.(`compile: ${params.batch} inferences in one circuit (${layout.signals.length} public signals)`);
  const info = await compileProgramCircuit({
    dir: params.outDir,
    program,
    layout,
    title: `batch of ${params.batch} inferences of model ${file} sha256 ${fileSha256}`,
    model: { file, name: q.graph.name, fileSha256 },
    settings: { scale: q.scale, paramBits: q.paramBits, inputVisibility: v.input, paramVisibility: v.params, outputVisibility: v.output, optimize: 'O1', ...(params.outputScale !== undefined ? { outputScale: params.outputScale } : {}), ...(q.auto ? { autoScale: true } : {}) },
    inputs,
    ops: opCounts(q.graph),
    checkRanges: declaredRanges(program, q.graph, q.decls), // input k is model input k mod n
    onProgress: params.onProgress,
  });
  return { ...info, batch: params.batch };
}
