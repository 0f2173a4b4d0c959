/**
 * A quantized program (a segment, a batch) → one artifact directory that the ordinary setup, prove and
 * verify read: circuit.circom, r1cs, witness wasm, program.json, compiled.json.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CIRCOMLIB_DIR, commitParams, stepCounts, CIRCUITS_DIR, COMPILED_FORMAT, OPTIMIZE, PACKAGE_ROOT, ZKINFER_VERSION, buildToken, commonAncestor, gadgetSources } from '../compile.js';
import type { CompiledInfo } from '../compile.js';
import { generateCircom } from '../codegen/circom.js';
import type { Program } from '../quantize/program.js';
import { programToJson } from '../quantize/program.js';
import type { Layout } from '../quantize/layout.js';
import { compileCircuit, circomVersion } from '../toolchain/circom.js';
import { artifactPaths, readJson, writeFileAtomic, writeJson } from '../artifacts/layout.js';
import { sha256 } from '../artifacts/hash.js';
import { checkCircuit } from '../check-circuit.js';

export interface ProgramCircuitParams {
  dir: string;
  program: Program;
  layout: Layout;
  /** First comment line of the source (binds the model and the part of it into the circuit hash). */
  title: string;
  /** Anything beyond the generated source that the artifacts depend on (the source and tool versions always count). */
  key?: string;
  model: { file: string; name: string; fileSha256: string };
  settings: CompiledInfo['settings'];
  /** Input descriptions (declared ranges) in program input order. */
  inputs: CompiledInfo['inputs'];
  ops: Record<string, number>;
  /** Integer ranges to draw inputs from for the witness-equals-program check (check-circuit.ts); no check without. */
  checkRanges?: (readonly [bigint, bigint])[];
  /** A batch circuit's number of inferences (recorded in compiled.json, bound by the key). */
  batch?: number;
  /** Another code generator than generateCircom (a batch's): the source, and each program signal's circom name in main. */
  generate?: () => { source: string; names: string[] };
  onProgress?: (message: string) => void;
}

/** Is the directory's compiled.json built from this key (with its circuit files present)? */
export function upToDate(dir: string, key: string): CompiledInfo | undefined {
  const paths = artifactPaths(dir);
  if (!existsSync(paths.compiled) || !existsSync(paths.r1cs) || !existsSync(paths.wasm)) return undefined;
  const prev = readJson<CompiledInfo>(paths.compiled, 'compiled.json');
  return prev.key === key ? prev : undefined;
}

/**
 * Generate, compile and describe one program's circuit.
 * @example const info = await compileProgramCircuit({ dir, program, layout, title, model, settings, inputs, ops });
 */
export async function compileProgramCircuit(p: ProgramCircuitParams): Promise<CompiledInfo> {
  const { program, layout } = p;
  const paths = artifactPaths(p.dir);
  const generated = p.generate?.();
  const source = generated?.source ?? generateCircom(program, { layout, title: p.title });
  const compiler = await circomVersion();
  const circuitHash = sha256(source, await gadgetSources(), compiler, OPTIMIZE);
  const key = sha256(circuitHash, p.key ?? '', ZKINFER_VERSION, buildToken());
  const cached = upToDate(p.dir, key);
  if (cached) {
    p.onProgress?.(`compile: ${path.basename(p.dir)} up to date`);
    return cached;
  }
  mkdirSync(p.dir, { recursive: true });
  writeFileAtomic(paths.source, source);
  p.onProgress?.(`compile: running circom ${compiler} (--${OPTIMIZE}) on ${(source.length / 1024).toFixed(0)} KiB of generated source (${path.basename(p.dir)})`);
  const c = await compileCircuit({ sourcePath: paths.source, outDir: p.dir, includeDirs: [CIRCUITS_DIR, CIRCOMLIB_DIR], optimize: OPTIMIZE, projectRoot: commonAncestor([PACKAGE_ROOT, CIRCOMLIB_DIR]) });
  if (p.checkRanges) {
    const check = await checkCircuit({ program, layout, wasmPath: c.wasmPath, symPath: c.symPath, ranges: p.checkRanges, names: generated?.names });
    p.onProgress?.(`compile: the witness equals the integer program on ${check.checked} random input(s), ${check.signals} signals each (${path.basename(p.dir)})`);
  }
  const total = c.nonLinearConstraints + c.linearConstraints;
  const steps = stepCounts(program, program.inputs.reduce((a, o) => a + o.signals.length, 0));
  const paramsCommitment = layout.visibility.params === 'hashed' ? await commitParams(program, layout, paths.paramsOpening) : undefined;
  const info: CompiledInfo = {
    format: COMPILED_FORMAT,
    zkinferVersion: ZKINFER_VERSION,
    build: buildToken(),
    key,
    model: { ...p.model, quantizedSha256: sha256(source) },
    circuitHash,
    settings: p.settings,
    inputs: p.inputs,
    outputs: program.outputs.map((o) => ({ name: o.name, shape: o.shape, scale: o.scale })),
    constraints: { total, nonLinear: c.nonLinearConstraints, linear: c.linearConstraints, wires: c.wires },
    layout,
    ...(p.batch !== undefined ? { batch: p.batch } : {}),
    ...(paramsCommitment ? { paramsCommitment } : {}),
    paramSignals: program.params.reduce((a, x) => a + x.values.length, 0),
    nPublic: layout.signals.length,
    ptauPower: Math.max(1, Math.ceil(Math.log2(total + layout.signals.length + 1))),
    compiler: { circom: compiler, optimize: OPTIMIZE, seconds: c.seconds },
    ops: p.ops,
    steps,
  };
  writeFileAtomic(paths.program, JSON.stringify(programToJson(program)));
  writeJson(paths.compiled, info);
  return info;
}
