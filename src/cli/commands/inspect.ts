/** `zkinfer inspect <model.onnx | model.json | DIR | receipt.json>`: the identities a user can recompute and compare. */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../artifacts/hash.js';
import { artifactPaths, readJson } from '../../artifacts/layout.js';
import type { CompiledInfo } from '../../compile.js';
import type { SetupInfo } from '../../setup.js';
import type { KeyBinding, Receipt } from '../../receipt.js';
import { receiptHash, vkHash } from '../../receipt.js';
import { emit, say } from '../output.js';
import { InputError } from '../../errors.js';

export async function inspectModel(file: string): Promise<Record<string, unknown>> {
  const { parseModel } = await import('../../import/model.js');
  const bytes = readFileSync(file);
  const g = parseModel(bytes, file);
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  let params = 0;
  for (const t of g.constants.values()) params += t.data.length;
  return {
    kind: 'model',
    file,
    fileSha256: sha256(bytes),
    graph: g.name,
    opset: g.opset,
    ops,
    parameters: params,
    inputs: g.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs: g.outputs.map((o) => ({ name: o.name, shape: o.shape })),
    metadata: g.metadata,
  };
}

export function inspectDir(dir: string): Record<string, unknown> {
  const p = artifactPaths(dir);
  const c = readJson<CompiledInfo>(p.compiled, 'compiled.json');
  const s = existsSync(p.setup) ? readJson<SetupInfo>(p.setup, 'setup.json') : undefined;
  return {
    kind: 'artifacts',
    dir,
    model: c.model,
    circuitHash: c.circuitHash,
    vkHash: s?.vkHash ?? null,
    devSetup: s?.dev ?? null,
    visibility: c.layout.visibility,
    settings: c.settings,
    inputs: c.inputs,
    outputs: c.outputs,
    constraints: c.constraints,
    publicSignals: c.nPublic,
    ptauPower: c.ptauPower,
  };
}

export async function inspectReceipt(file: string, r: Receipt): Promise<Record<string, unknown>> {
  const b = (r.verificationKey as { zkinfer?: KeyBinding }).zkinfer;
  let signer: string | null = null;
  if (r.signature) {
    const { verifyMessage } = await import('ethers');
    const { signatureMessage } = await import('../../verify/verify.js');
    try {
      signer = verifyMessage(signatureMessage(receiptHash(r)), r.signature.value);
    } catch {
      signer = 'invalid signature';
    }
  }
  return {
    kind: 'receipt',
    file,
    format: r.format,
    receiptHash: receiptHash(r),
    model: r.model,
    // The file and graph names are labels: bound by a zkinfer.key/2 key, and only as trustworthy as that key.
    modelNamesBoundByKey: b?.model?.file !== undefined && b.model.file === r.model?.file && b.model.name === r.model?.name,
    circuitHash: r.circuitHash,
    vkHash: r.vkHash,
    vkHashMatchesEmbeddedKey: vkHash(r.verificationKey) === r.vkHash,
    keyTrusted: 'not checked: inspect only reads (zkinfer verify with --dir, --vk, --vk-hash or --rpc says whether the key is trusted)',
    visibility: r.visibility,
    devSetup: r.setup.dev,
    createdAt: r.createdAt,
    commitments: r.commitments ?? null,
    signer,
    publicSignals: r.publicSignals.length,
    settings: b?.settings ?? null,
    outputs: r.outputs?.map((o) => ({ name: o.name, shape: o.shape, scale: o.scale, ...('integers' in o ? { integers: o.integers } : {}), data: o.data })) ?? null,
  };
}

function printObject(o: Record<string, unknown>, indent = ''): void {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      say(`${indent}${k}:`);
      printObject(v as Record<string, unknown>, `${indent}  `);
    } else say(`${indent}${k.padEnd(Math.max(1, 26 - indent.length))} ${Array.isArray(v) ? JSON.stringify(v) : String(v)}`);
  }
}

/** A .json target, read once: a TF.js layers model.json (it has a modelTopology) is a model; anything else must be a receipt. */
function readJsonTarget(file: string): { tfjsModel: true } | { tfjsModel: false; receipt: Receipt } {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof (v as { modelTopology?: unknown } | null)?.modelTopology === 'object') return { tfjsModel: true };
  const r = v as Receipt;
  if (typeof r?.format !== 'string' || !r.format.startsWith('zkinfer.receipt/')) throw new InputError(`${file}: not a zkinfer receipt (format field is ${JSON.stringify(r?.format)})`);
  return { tfjsModel: false, receipt: r };
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('print the hashes that identify a model file, an artifact directory or a receipt (recompute them from your own files to compare)')
    .argument('<target>', 'model (.onnx, or a TF.js model.json), artifact directory, or receipt .json')
    .option('--scale <bits>', 'with a model file: also compute its quantized-graph and circuit hashes at this scale (default settings otherwise)')
    .option('--calibration <path>', 'with a model file: calibration samples, as given to compile')
    .action(async (target: string, o: { scale?: string; calibration?: string }) => {
      if (!existsSync(target)) throw new InputError(`${target}: no such file or directory`);
      let out: Record<string, unknown>;
      const isDir = statSync(target).isDirectory();
      const json = !isDir && path.extname(target) === '.json' ? readJsonTarget(target) : undefined;
      if (isDir) out = inspectDir(target);
      else if (json && !json.tfjsModel) out = await inspectReceipt(target, json.receipt);
      else {
        out = await inspectModel(target);
        const { circuitIdentity } = await import('../../compile.js');
        const id = await circuitIdentity({ modelPath: target, scale: o.scale ? Number(o.scale) : undefined, calibration: o.calibration });
        out.quantizedSha256 = id.quantizedSha256;
        out.circuitHash = id.circuitHash;
      }
      printObject(out);
      emit(out);
    });
}
