/**
 * verify: the same rules wherever a receipt is checked (DESIGN.md §3), with no Node built-ins so the
 * browser runs this very code. Returns every check and the first that failed; it never throws for an
 * invalid receipt.
 */
import * as snarkjs from 'snarkjs';
import { verifyMessage } from 'ethers';
import type { CompiledInfo } from '../compile.js';
import type { SetupInfo } from '../setup.js';
import { RECEIPT_FORMAT, decodeReal, encodeReal, receiptHash, vkHash } from '../receipt.js';
import type { KeyBinding, Opening, Receipt, ReceiptTensor } from '../receipt.js';
import { expectedSignals } from './signals.js';
import { packValues, proverSignal, unpackValues } from '../quantize/layout.js';
import { sizeOf } from '../ir/graph.js';

export type CheckName = 'model-file' | 'format' | 'vk-hash' | 'model-binding' | 'artifacts' | 'public-signals' | 'outputs' | 'inputs' | 'commitments' | 'prover' | 'opening' | 'signature' | 'proof';

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  /** The first failed check, if any. */
  failed?: Check;
  checks: Check[];
  devSetup: boolean;
  /** Where the verification key came from. */
  vkSource: 'artifacts' | 'receipt';
  /** Address that signed the receipt, when signed (and the signature is valid). */
  signer?: string;
}

export interface VerifyParams {
  receipt: unknown;
  /**
   * Trusted artifacts of the model: its verification key, and (when at hand) compiled.json and setup.json;
   * else the receipt's own (hash-checked) key is used. With a key alone, the receipt must carry that key.
   */
  trusted?: { compiled?: CompiledInfo; setup?: SetupInfo; vk: Record<string, unknown> };
  /** The prover's opening of the commitments (salts and values), to check them too. */
  opening?: Opening;
  /** Require a signature by this Ethereum address. */
  expectSigner?: string;
}

/** The message a prover signs (EIP-191 personal_sign): binds every field of the receipt. */
export const signatureMessage = (hash: string): string => `zkinfer receipt ${hash}`;

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function formatProblem(r: unknown): string | undefined {
  if (!isObj(r)) return 'not a JSON object';
  if (r.format !== RECEIPT_FORMAT) return `format is ${JSON.stringify(r.format)}, expected "${RECEIPT_FORMAT}"`;
  for (const k of ['circuitHash', 'vkHash', 'createdAt']) if (typeof r[k] !== 'string') return `field '${k}' missing or not a string`;
  for (const k of ['model', 'proof', 'verificationKey', 'visibility', 'setup']) if (!isObj(r[k])) return `field '${k}' missing or not an object`;
  if (!Array.isArray(r.publicSignals) || !r.publicSignals.every((s) => typeof s === 'string' && /^\d+$/.test(s))) return "field 'publicSignals' must be an array of decimal strings";
  for (const key of ['inputs', 'outputs']) {
    if (r[key] === undefined) continue;
    if (!Array.isArray(r[key])) return `field '${key}' must be an array`;
    for (const t of r[key] as unknown[]) {
      if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || typeof t.scale !== 'number' || !Array.isArray(t.data)) return `a tensor in ${key} lacks name, shape, scale or data`;
      if (t.data.length !== sizeOf(t.shape as number[])) return `tensor '${t.name}' has ${t.data.length} values for shape [${t.shape}]`;
      if (!t.data.every((v) => typeof v === 'number')) return `tensor '${t.name}' has non-numeric values`;
    }
  }
  if (r.signature !== undefined && (!isObj(r.signature) || typeof r.signature.signer !== 'string' || typeof r.signature.value !== 'string')) return "field 'signature' must have signer and value";
  return undefined;
}

/** Real values → integers at their scales; a description of the first value that is not exact. */
function reencode(tensors: ReceiptTensor[], specs: KeyBinding['inputs'], what: string): bigint[][] | string {
  if (tensors.length !== specs.length) return `the receipt has ${tensors.length} ${what} tensor(s), the key expects ${specs.length}`;
  const out: bigint[][] = [];
  for (let t = 0; t < specs.length; t++) {
    const x = tensors[t]!;
    const s = specs[t]!;
    if (x.name !== s.name || x.scale !== s.scale || x.shape.join() !== s.shape.join()) return `${what} '${x.name}' [${x.shape}] at scale ${x.scale} is not the key's '${s.name}' [${s.shape}] at scale ${s.scale}`;
    const ints: bigint[] = [];
    for (let j = 0; j < x.data.length; j++) {
      const v = encodeReal(x.data[j]!, x.scale);
      if (v === undefined) return `${what} '${x.name}'[${j}] = ${x.data[j]} is not a multiple of 2^-${x.scale}`;
      ints.push(v);
    }
    out.push(ints);
  }
  return out;
}

/**
 * Verify a receipt.
 * @example const r = await verifyReceipt({ receipt: JSON.parse(text) }); if (!r.ok) console.log(r.failed);
 */
export async function verifyReceipt(params: VerifyParams): Promise<VerifyResult> {
  const checks: Check[] = [];
  let signer: string | undefined;
  const add = (name: CheckName, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const done = (vkSource: VerifyResult['vkSource'], devSetup: boolean): VerifyResult => {
    const failed = checks.find((c) => !c.ok);
    return { ok: !failed, failed, checks, devSetup, vkSource, signer };
  };
  const fp = formatProblem(params.receipt);
  if (!add('format', !fp, fp ?? 'receipt fields present')) return done('receipt', true);
  const r = params.receipt as Receipt;
  const devSetup = r.setup.dev !== false;
  const vk = params.trusted?.vk ?? r.verificationKey;
  const vkSource = params.trusted ? 'artifacts' : 'receipt';

  const h = vkHash(vk);
  const vkOk = h === r.vkHash && (!params.trusted || vkHash(r.verificationKey) === h);
  if (!add('vk-hash', vkOk, vkOk ? `verification key ${h.slice(0, 16)}… matches the receipt` : `the receipt's vkHash ${r.vkHash.slice(0, 16)}… is not the hash of the ${vkSource === 'artifacts' ? "artifacts' verification key" : 'embedded verification key'} (${h.slice(0, 16)}…)`)) return done(vkSource, devSetup);

  const b = (vk as { zkinfer?: KeyBinding }).zkinfer;
  const bindProblems: string[] = [];
  if (!b || b.format !== 'zkinfer.key/1') bindProblems.push('the verification key carries no zkinfer binding');
  else {
    if (b.circuitHash !== r.circuitHash) bindProblems.push('circuit hash differs from the key');
    if (b.model.fileSha256 !== r.model?.fileSha256 || b.model.quantizedSha256 !== r.model?.quantizedSha256) bindProblems.push('model hashes differ from the key');
    if (b.devSetup !== devSetup) bindProblems.push(`the key says devSetup=${b.devSetup}, the receipt ${devSetup}`);
    const v = b.layout.visibility;
    if (v.input !== r.visibility.input || v.output !== r.visibility.output || v.params !== r.visibility.params) bindProblems.push(`visibility ${JSON.stringify(r.visibility)} is not the key's ${JSON.stringify(v)}`);
  }
  if (!add('model-binding', bindProblems.length === 0, bindProblems.join('; ') || 'the key is bound to this model, circuit and visibility')) return done(vkSource, devSetup);
  const binding = b!;

  if (params.trusted?.compiled || params.trusted?.setup) {
    const { compiled, setup } = params.trusted;
    const problems: string[] = [];
    if (compiled && compiled.circuitHash !== r.circuitHash) problems.push('circuit hash differs');
    if (compiled && compiled.model.fileSha256 !== r.model.fileSha256) problems.push('model file hash differs');
    if (compiled && compiled.model.quantizedSha256 !== r.model.quantizedSha256) problems.push('quantized model hash differs');
    if (compiled?.paramsCommitment !== undefined && compiled.paramsCommitment !== r.commitments?.params) problems.push("the parameter commitment is not these artifacts' weights");
    if (setup && setup.vkHash !== r.vkHash) problems.push('verification key differs from setup.json');
    if (setup && setup.dev !== devSetup) problems.push(`setup is ${setup.dev ? '' : 'not '}a dev setup, the receipt says otherwise`);
    if (!add('artifacts', problems.length === 0, problems.join('; ') || `receipt belongs to these artifacts (${compiled ? 'model, circuit, ' : ''}keys)`)) return done(vkSource, devSetup);
  }

  const layout = binding.layout;
  const nPublic = Number((vk as { nPublic?: number }).nPublic);
  const countOk = r.publicSignals.length === nPublic && layout.signals.length === nPublic;
  if (!add('public-signals', countOk, countOk ? `${nPublic} public signals (${layout.signals.map((g) => (g.kind === 'packed' ? `packed ${g.of}` : g.kind === 'prover' ? 'prover' : `${g.of} commitment`)).filter((x, i, a) => a.indexOf(x) === i).join(', ')})` : `the key expects ${nPublic} public signals; the receipt has ${r.publicSignals.length}`)) return done(vkSource, devSetup);

  // Decoded values must re-encode to exactly the public signals.
  const decoded: Record<'input' | 'output', bigint[][] | undefined> = { input: undefined, output: undefined };
  for (const of of ['output', 'input'] as const) {
    const vis = of === 'input' ? layout.visibility.input : layout.visibility.output;
    const tensors = of === 'input' ? r.inputs : r.outputs;
    const name = of === 'input' ? 'inputs' : 'outputs';
    if (vis !== 'public') {
      if (tensors !== undefined) add(name, false, `the ${of} is ${vis}, yet the receipt lists ${name}`);
      continue;
    }
    const ints = tensors ? reencode(tensors, of === 'input' ? binding.inputs : binding.outputs, of) : `public ${name} missing`;
    if (typeof ints === 'string') {
      add(name, false, ints);
      continue;
    }
    decoded[of] = ints;
  }
  if (checks.some((c) => !c.ok)) return done(vkSource, devSetup);
  const mismatch: Record<string, string> = {};
  layout.signals.forEach((g, i) => {
    if (g.kind !== 'packed' || mismatch[g.of]) return;
    const ints = decoded[g.of]![g.tensor]!;
    const pk = (g.of === 'input' ? layout.inputs : layout.outputs)[g.tensor]!;
    const name = (g.of === 'input' ? binding.inputs : binding.outputs)[g.tensor]!.name;
    const proved = unpackValues(BigInt(r.publicSignals[i]!), pk, g.count);
    const j = proved.findIndex((v, k) => v !== ints[g.start + k]);
    let packedOk = false;
    try {
      packedOk = packValues(ints, pk, g.start, g.count).toString() === r.publicSignals[i];
    } catch {
      /* a value outside the proven range cannot be what was proved */
    }
    if (j >= 0 || !packedOk) {
      const e = j >= 0 ? g.start + j : g.start;
      const scale = (g.of === 'input' ? binding.inputs : binding.outputs)[g.tensor]!.scale;
      mismatch[g.of] = `${g.of} '${name}'[${e}] = ${decodeReal(ints[e]!, scale)} is not the proved value ${j >= 0 ? decodeReal(proved[j]!, scale) : '(outside the proven range)'} (public signal ${i})`;
    }
  });
  if (layout.visibility.output === 'public') add('outputs', !mismatch.output, mismatch.output ?? 'every output value re-encodes to its public signal');
  if (layout.visibility.input === 'public') add('inputs', !mismatch.input, mismatch.input ?? 'every input value re-encodes to its public signal');
  const commitGroups = layout.signals.flatMap((g, i) => (g.kind === 'commitment' ? [[g, i] as const] : []));
  if (commitGroups.length) {
    const bad = commitGroups.find(([g, i]) => r.commitments?.[g.of] !== r.publicSignals[i]);
    add('commitments', !bad, bad ? `the receipt's ${bad[0].of} commitment is not public signal ${bad[1]}` : `${commitGroups.map(([g]) => g.of).join(' and ')} commitment(s) match the public signals`);
  }
  const proverAt = proverSignal(layout);
  if (proverAt !== undefined || r.prover !== undefined) {
    const signal = proverAt === undefined ? undefined : BigInt(r.publicSignals[proverAt]!);
    const ok = signal !== undefined && typeof r.prover === 'string' && /^0x[0-9a-fA-F]{40}$/.test(r.prover) && BigInt(r.prover) === signal;
    add('prover', ok, ok ? `the proof is bound to prover ${r.prover} (public signal ${proverAt})` : proverAt === undefined ? `the receipt names prover ${r.prover}, but its circuit binds no prover` : `the receipt's prover ${r.prover ?? '(none)'} is not the proof's prover signal 0x${signal!.toString(16).padStart(40, '0')}`);
  }
  if (checks.some((c) => !c.ok)) return done(vkSource, devSetup);

  if (params.opening) {
    const problems: string[] = [];
    for (const [g, i] of commitGroups) {
      if (g.of === 'params') continue; // the model owner's opening (params.opening.json), not the prover's
      const part = params.opening[g.of];
      if (!part) {
        problems.push(`the opening has no ${g.of}`);
        continue;
      }
      const ints = reencode(part.tensors, g.of === 'input' ? binding.inputs : binding.outputs, g.of);
      if (typeof ints === 'string') {
        problems.push(ints);
        continue;
      }
      try {
        const [c] = await expectedSignals({ ...layout, signals: [g] }, ints, ints, { [g.of]: BigInt(part.salt) });
        if (c!.toString() !== r.publicSignals[i]) problems.push(`the ${g.of} opening does not hash to the commitment`);
      } catch (e) {
        problems.push(`the ${g.of} opening is invalid: ${(e as Error).message}`);
      }
    }
    if (!add('opening', problems.length === 0, problems.join('; ') || 'the opening matches the commitments')) return done(vkSource, devSetup);
  }

  if (r.signature || params.expectSigner) {
    let detail = '';
    let ok = false;
    if (!r.signature) detail = `unsigned receipt; expected a signature by ${params.expectSigner}`;
    else {
      try {
        const rec = verifyMessage(signatureMessage(receiptHash(r)), r.signature.value);
        if (rec.toLowerCase() !== r.signature.signer.toLowerCase()) detail = `the signature was made by ${rec}, not by the claimed signer ${r.signature.signer} (or the receipt changed after signing)`;
        else if (params.expectSigner && rec.toLowerCase() !== params.expectSigner.toLowerCase()) detail = `signed by ${rec}, expected ${params.expectSigner}`;
        else {
          ok = true;
          signer = rec;
          detail = `signed by ${rec}`;
        }
      } catch (e) {
        detail = `malformed signature (${(e as Error).message})`;
      }
    }
    if (!add('signature', ok, detail)) return done(vkSource, devSetup);
  }

  let proofOk = false;
  let why = 'the Groth16 pairing check failed';
  try {
    proofOk = await snarkjs.groth16.verify(vk, r.publicSignals, r.proof, { info() {}, debug() {}, warn() {}, error() {} });
  } catch (e) {
    why = `the proof is malformed (${(e as Error).message})`;
  }
  add('proof', proofOk, proofOk ? 'Groth16 proof verifies against the verification key' : why);
  return done(vkSource, devSetup);
}
