/**
 * Batches: one circuit proving K independent inferences of one model (DESIGN.md §7). The program is
 * repeated K times over fresh signals (batchPlan: what the integer program, the layout and the self-check
 * see); parameter signals (private/hashed params) are shared — one set, one range check, one commitment.
 * The circom source holds the single program once, as a template instantiated K times (batchSource), so
 * constants and witness code are not repeated. Input k is tensor `<name>#k`, output k `<name>#k`. With
 * hashed inputs and outputs the layout commits all K in one Poseidon chain each, so the proof has two public
 * signals however large K is: one verifying transaction covers K inferences. compiled.json and the key
 * carry the batch size; the receipt lists the K inferences (verify/batch.ts) and the registry's
 * submitBatch logs one InferenceVerified each. Otherwise the artifacts are an ordinary directory: setup,
 * prove (an input file with K arrays, e.g. {"input_data": [x0, x1, …]}), verify and deploy work unchanged.
 */
import path from 'node:path';
import { listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams, CompiledInfo } from '../compile.js';
import { intRange } from '../ir/graph.js';
import type { Lin } from '../quantize/lin.js';
import type { InputSpec, OutputSpec, Program, Step } from '../quantize/program.js';
import { makeLayout } from '../quantize/layout.js';
import type { Layout } from '../quantize/layout.js';
import { generateCircom, generateTemplate, inputSignalName, outputSignalName, paramSignalName, signalNames } from '../codegen/circom.js';
import { sha256 } from '../artifacts/hash.js';
import { InputError } from '../errors.js';
import { compileProgramCircuit } from './circuit.js';
import { remapStep } from './segments.js';
import { declaredRanges, opCounts } from '../compile.js';

export const batchName = (name: string, k: number): string => `${name}#${k}`;

/** The single-inference template a batch instantiates K times, and its instance array in `main`. */
export const INFERENCE_TEMPLATE = 'Inference';
const INSTANCE = 'inf';

/** A batched program and, for each of its signals, where it came from: [inference, signal of the single program] (inference −1: a shared parameter). */
export interface BatchPlan {
  program: Program;
  origin: [k: number, id: number][];
}

/**
 * The program repeated K times (parameter signals shared).
 * @example const b = batchProgram(program, 8); b.inputs.length === 8 * program.inputs.length
 */
export const batchProgram = (p: Program, K: number): Program => batchPlan(p, K).program;

export function batchPlan(p: Program, K: number): BatchPlan {
  if (!Number.isInteger(K) || K < 1) throw new InputError(`--batch ${K}: expected a positive integer`);
  const shared = new Set<number>();
  for (const s of p.steps) if (s.kind === 'param') for (const id of s.signals) shared.add(id);
  const lo: bigint[] = [];
  const hi: bigint[] = [];
  const origin: [number, number][] = [];
  const fresh = (old: number, k: number): number => (lo.push(p.lo[old]!), hi.push(p.hi[old]!), origin.push([k, old]), lo.length - 1);
  const sharedId = new Map<number, number>();
  for (const id of shared) sharedId.set(id, fresh(id, -1));
  const steps: Step[] = p.steps.filter((s) => s.kind === 'param').map((s) => ({ ...s, signals: (s as { signals: number[] }).signals.map((id) => sharedId.get(id)!) }) as Step);
  const inputs: InputSpec[] = [];
  const outputs: OutputSpec[] = [];
  for (let k = 0; k < K; k++) {
    const map = new Map<number, number>();
    const id = (old: number): number => sharedId.get(old) ?? map.get(old) ?? (map.set(old, fresh(old, k)), map.get(old)!);
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
  const program = { nSignals: lo.length, lo, hi, steps, inputs, params: p.params.map((x) => ({ ...x, signals: x.signals.map((id) => sharedId.get(id)!) })), outputs };
  return { program, origin };
}

/**
 * The circom source of a batch: the single program written once, as `template Inference()`, and a `main`
 * that instantiates it K times, wires inference k's inputs (`in<k·n + t>`) and the shared parameters into
 * instance k, range-checks the parameters once and computes the public signals of the batch layout over the
 * instances' outputs. circom writes one witness function per template, so the witness wasm and the source
 * hold the model's constants once (inline, K = 32 of the bundled MLP made a witness wasm over 2 GiB that
 * circom2 could not write). The constraints are those of the inline form plus one linear constraint per
 * output value (`out[j] <== Σ`); --O1 removes the wiring equalities.
 * Also returns every batched signal's circom name, for the witness-equals-program check.
 */
export function batchSource(single: Program, plan: BatchPlan, layout: Layout, title: string): { source: string; names: string[] } {
  const { program } = plan;
  const K = program.inputs.length / Math.max(1, single.inputs.length);
  const tpl = generateTemplate(single, INFERENCE_TEMPLATE);
  const inner = signalNames(single);
  // main's program: the batch's inputs and parameters, and one signal per output value (an instance's output)
  const nIn = program.inputs.reduce((a, x) => a + x.signals.length, 0) + program.params.reduce((a, x) => a + x.signals.length, 0);
  const names: (string | undefined)[] = new Array(nIn);
  let next = nIn;
  const outputs: OutputSpec[] = program.outputs.map((o, i) => {
    const k = Math.floor(i / single.outputs.length);
    const t = i % single.outputs.length;
    return { ...o, exprs: o.exprs.map((_, j) => ((names[next] = `${INSTANCE}[${k}].${outputSignalName(t)}[${j}]`), { terms: new Map([[next++, 1n]]), c: 0n })) };
  });
  const ids = new Map<number, number>();
  let n = 0;
  for (const x of [...program.inputs, ...program.params]) for (const id of x.signals) ids.set(id, n++);
  // bounds are the layout's business (made from the batched program): main's codegen reads none
  const lohi = (which: bigint[]) => {
    const v = new Array<bigint>(next).fill(0n);
    ids.forEach((to, from) => (v[to] = which[from]!));
    return v;
  };
  const main: Program = {
    nSignals: next,
    lo: lohi(program.lo),
    hi: lohi(program.hi),
    steps: program.steps.filter((s) => s.kind === 'param').map((s) => ({ ...s, signals: (s as { signals: number[] }).signals.map((id) => ids.get(id)!) }) as Step),
    inputs: program.inputs.map((x) => ({ ...x, signals: x.signals.map((id) => ids.get(id)!) })),
    params: program.params.map((x) => ({ ...x, signals: x.signals.map((id) => ids.get(id)!) })),
    outputs,
  };
  const instances = [`    component ${INSTANCE}[${K}];`, `    for (var k = 0; k < ${K}; k++) { ${INSTANCE}[k] = ${INFERENCE_TEMPLATE}(); }`];
  for (let k = 0; k < K; k++) single.inputs.forEach((x, t) => instances.push(`    for (var i = 0; i < ${x.signals.length}; i++) { ${INSTANCE}[${k}].${inputSignalName(t)}[i] <== ${inputSignalName(k * single.inputs.length + t)}[i]; }`));
  single.params.forEach((x, t) => instances.push(`    for (var k = 0; k < ${K}; k++) { for (var i = 0; i < ${x.signals.length}; i++) { ${INSTANCE}[k].${paramSignalName(t)}[i] <== ${paramSignalName(t)}[i]; } }`));
  const source = generateCircom(main, { layout, title, names, templates: { ...tpl, instances } });
  // every batched signal's name: main's inputs and parameters, the others inside their instance
  const top = signalNames(main, names);
  const all = plan.origin.map(([k, id], b) => (ids.has(b) ? top[ids.get(b)!]! : `${INSTANCE}[${k}].${inner[id]}`));
  return { source, names: all };
}

/**
 * Compile K inferences of a model into one circuit (an ordinary artifact directory).
 * @example const info = await compileBatch({ modelPath: 'm.onnx', outDir: 'build/m8', batch: 8, inputVisibility: 'hashed', outputVisibility: 'hashed' });
 */
export async function compileBatch(params: CompileParams & { batch: number }): Promise<CompiledInfo & { batch: number }> {
  const bytes = readModelFile(params.modelPath);
  const q = quantizeModel(params, bytes, params.calibration ? listSampleFiles(params.calibration) : []);
  const plan = batchPlan(q.program, params.batch);
  const { program } = plan;
  const layout = makeLayout(program, q.layout.visibility, { bindProver: params.bindProver });
  const v = layout.visibility;
  const file = path.basename(params.modelPath);
  const fileSha256 = sha256(bytes);
  const inputs: CompiledInfo['inputs'] = program.inputs.map((inp, j) => {
    const i = j % q.program.inputs.length;
    return { name: inp.name, shape: inp.shape, scale: inp.scale, lo: inp.lo.toString(), hi: inp.hi.toString(), min: q.decls[i]!.min, max: q.decls[i]!.max, rangeSource: q.decls[i]!.source, ...(intRange(q.graph.inputs[i]!.dtype) ? { dtype: q.graph.inputs[i]!.dtype } : {}) };
  });
  params.onProgress?.(`compile: ${params.batch} inferences in one circuit (${layout.signals.length} public signals)`);
  const title = `batch of ${params.batch} inferences of model ${file} sha256 ${fileSha256}`;
  const info = await compileProgramCircuit({
    dir: params.outDir,
    program,
    layout,
    title,
    batch: params.batch,
    generate: () => batchSource(q.program, plan, layout, title),
    model: { file, name: q.graph.name, fileSha256 },
    settings: { scale: q.scale, paramBits: q.paramBits, inputVisibility: v.input, paramVisibility: v.params, outputVisibility: v.output, optimize: 'O1', ...(params.outputScale !== undefined ? { outputScale: params.outputScale } : {}), ...(q.auto ? { autoScale: true } : {}) },
    inputs,
    ops: opCounts(q.graph),
    checkRanges: declaredRanges(program, q.graph, q.decls), // input k is model input k mod n
    onProgress: params.onProgress,
  });
  return { ...info, batch: params.batch };
}
