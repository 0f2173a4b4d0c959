/**
 * verify: the same rules wherever a receipt is checked (DESIGN.md §3). Returns a result naming every
 * check and the first that failed; it throws only for I/O errors, never for an invalid receipt.
 */
import * as snarkjs from 'snarkjs';
import type { CompiledInfo } from '../compile.js';
import type { SetupInfo } from '../setup.js';
import { RECEIPT_FORMAT, encodeReal, fromField, toField, vkHash } from '../receipt.js';
import type { Receipt, ReceiptTensor } from '../receipt.js';
import { sizeOf } from '../ir/graph.js';

export type CheckName = 'format' | 'vk-hash' | 'artifacts' | 'public-signals' | 'outputs' | 'inputs' | 'proof';

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
}

export interface VerifyParams {
  receipt: unknown;
  /**
   * Trusted artifacts of the model: its verification key, and (when at hand) compiled.json and setup.json;
   * else the receipt's own vk is used. With a key alone, the receipt must carry that key.
   */
  trusted?: { compiled?: CompiledInfo; setup?: SetupInfo; vk: Record<string, unknown> };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function formatProblem(r: unknown): string | undefined {
  if (!isObj(r)) return 'not a JSON object';
  if (r.format !== RECEIPT_FORMAT) return `format is ${JSON.stringify(r.format)}, expected "${RECEIPT_FORMAT}"`;
  for (const k of ['circuitHash', 'vkHash', 'createdAt']) if (typeof r[k] !== 'string') return `field '${k}' missing or not a string`;
  for (const k of ['model', 'proof', 'verificationKey', 'visibility', 'setup']) if (!isObj(r[k])) return `field '${k}' missing or not an object`;
  if (!Array.isArray(r.publicSignals) || !r.publicSignals.every((s) => typeof s === 'string' && /^\d+$/.test(s))) return "field 'publicSignals' must be an array of decimal strings";
  if (!Array.isArray(r.outputs)) return "field 'outputs' missing";
  for (const t of [...(r.outputs as unknown[]), ...((r.inputs as unknown[]) ?? [])]) {
    if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || typeof t.scale !== 'number' || !Array.isArray(t.data)) return 'a tensor in inputs/outputs lacks name, shape, scale or data';
    if (t.data.length !== sizeOf(t.shape as number[])) return `tensor '${t.name}' has ${t.data.length} values for shape [${t.shape}]`;
  }
  return undefined;
}

/** Every decoded value must re-encode to its public signal. */
function checkTensors(tensors: ReceiptTensor[], signals: string[], offset: number, what: string): string | undefined {
  let k = offset;
  for (const t of tensors) {
    for (let j = 0; j < t.data.length; j++, k++) {
      const v = encodeReal(t.data[j]!, t.scale);
      if (v === undefined) return `${what} '${t.name}'[${j}] = ${t.data[j]} is not a multiple of 2^-${t.scale}`;
      if (k >= signals.length || toField(v) !== signals[k]) return `${what} '${t.name}'[${j}] = ${t.data[j]} does not match public signal ${k} (${k < signals.length ? fromField(signals[k]!) : 'missing'} / 2^${t.scale})`;
    }
  }
  return undefined;
}

/**
 * Verify a receipt.
 * @example const r = await verifyReceipt({ receipt: JSON.parse(text) }); if (!r.ok) console.log(r.failed);
 */
export async function verifyReceipt(params: VerifyParams): Promise<VerifyResult> {
  const checks: Check[] = [];
  const done = (vkSource: VerifyResult['vkSource'], devSetup: boolean): VerifyResult => {
    const failed = checks.find((c) => !c.ok);
    return { ok: !failed, failed, checks, devSetup, vkSource };
  };
  const fp = formatProblem(params.receipt);
  checks.push({ name: 'format', ok: !fp, detail: fp ?? 'receipt fields present' });
  if (fp) return done('receipt', true);
  const r = params.receipt as Receipt;
  const devSetup = r.setup.dev !== false;

  const vk = params.trusted?.vk ?? r.verificationKey;
  const vkSource = params.trusted ? 'artifacts' : 'receipt';
  const h = vkHash(vk);
  const vkOk = h === r.vkHash && (!params.trusted || vkHash(r.verificationKey) === h);
  checks.push({ name: 'vk-hash', ok: vkOk, detail: vkOk ? `verification key ${h.slice(0, 16)}… matches the receipt` : `the receipt's vkHash ${r.vkHash.slice(0, 16)}… is not the hash of the ${vkSource === 'artifacts' ? "artifacts' verification key" : 'embedded verification key'} (${h.slice(0, 16)}…)` });
  if (!vkOk) return done(vkSource, devSetup);

  if (params.trusted?.compiled || params.trusted?.setup) {
    const { compiled, setup } = params.trusted;
    const problems: string[] = [];
    if (compiled && compiled.circuitHash !== r.circuitHash) problems.push('circuit hash differs');
    if (compiled && compiled.model.fileSha256 !== r.model.fileSha256) problems.push('model file hash differs');
    if (compiled && compiled.model.quantizedSha256 !== r.model.quantizedSha256) problems.push('quantized model hash differs');
    if (setup && setup.vkHash !== r.vkHash) problems.push('verification key differs from setup.json');
    if (setup && setup.dev !== devSetup) problems.push(`setup is ${setup.dev ? '' : 'not '}a dev setup, the receipt says otherwise`);
    checks.push({ name: 'artifacts', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `receipt belongs to these artifacts (${compiled ? 'model, circuit, ' : ''}keys)` });
    if (problems.length) return done(vkSource, devSetup);
  }

  const nPublic = Number((vk as { nPublic?: number }).nPublic);
  const nOut = r.outputs.reduce((a, t) => a + t.data.length, 0);
  const nIn = r.visibility.input === 'public' ? (r.inputs ?? []).reduce((a, t) => a + t.data.length, 0) : 0;
  const countOk = r.publicSignals.length === nPublic && nOut + nIn === nPublic;
  checks.push({ name: 'public-signals', ok: countOk, detail: countOk ? `${nPublic} public signals (${nOut} outputs${nIn ? `, ${nIn} inputs` : ''})` : `the key expects ${nPublic} public signals; the receipt has ${r.publicSignals.length} and declares ${nOut} outputs + ${nIn} inputs` });
  if (!countOk) return done(vkSource, devSetup);

  const outProblem = checkTensors(r.outputs, r.publicSignals, 0, 'output');
  checks.push({ name: 'outputs', ok: !outProblem, detail: outProblem ?? 'every output value re-encodes to its public signal' });
  if (r.visibility.input === 'public') {
    const inProblem = r.inputs ? checkTensors(r.inputs, r.publicSignals, nOut, 'input') : 'public inputs missing';
    checks.push({ name: 'inputs', ok: !inProblem, detail: inProblem ?? 'every input value re-encodes to its public signal' });
  }
  if (checks.some((c) => !c.ok)) return done(vkSource, devSetup);

  let proofOk = false;
  let why = 'the Groth16 pairing check failed';
  try {
    proofOk = await snarkjs.groth16.verify(vk, r.publicSignals, r.proof, { info() {}, debug() {}, warn() {}, error() {} });
  } catch (e) {
    why = `the proof is malformed (${(e as Error).message})`;
  }
  checks.push({ name: 'proof', ok: proofOk, detail: proofOk ? 'Groth16 proof verifies against the verification key' : why });
  return done(vkSource, devSetup);
}
