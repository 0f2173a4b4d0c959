/**
 * verify: the same rules wherever a receipt is checked (DESIGN.md §3), with no Node built-ins so the
 * browser runs this very code. Returns every check and the first that failed; it never throws for an
 * invalid receipt.
 *
 * A valid proof shows only that the inference ran in the circuit of the key that checked it. Which model
 * that is rests on the key, so the result also says whether the key is **trusted** and by what: artifacts
 * or a key hash the caller vouches for (`trusted`, `trustedVkHash`). The key embedded in a receipt is chosen
 * by whoever made the receipt; with nothing else, the verdict is 'untrusted', never 'verified'.
 */
import * as snarkjs from 'snarkjs';
import { verifyMessage } from 'ethers';
import type { CompiledInfo } from '../compile.js';
import type { SetupInfo } from '../setup.js';
import { KEY_FORMAT, RECEIPT_FORMAT, RECEIPT_FORMAT_V1, receiptHash, showDiff, vkHash } from '../receipt.js';
import type { KeyBinding, Opening, Receipt, ReceiptTensorV1 } from '../receipt.js';
import { expectedSignals } from './signals.js';
import { batchProblem } from './batch.js';
import { showInt, tensorIntegers, tensorsProblem } from './values.js';
import { packValues, proverSignal, unpackValues } from '../quantize/layout.js';

export type CheckName = 'model-file' | 'format' | 'vk-hash' | 'model-binding' | 'artifacts' | 'public-signals' | 'outputs' | 'inputs' | 'commitments' | 'prover' | 'batch' | 'opening' | 'signature' | 'proof';

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
}

/** Whether the key that checked the proof comes from something the prover does not control, and what. */
export interface KeyTrust {
  trusted: boolean;
  /** In words: who vouches for the key, or why nobody does. */
  by: string;
}

/**
 * 'verified': every check passed and the key is trusted — the outputs came from the model the key binds.
 * 'untrusted': every check passed, but the key is only the receipt's own: it proves nothing about the model.
 * 'invalid': a check failed.
 */
export type Verdict = 'verified' | 'untrusted' | 'invalid';

export interface VerifyResult {
  /** Every check passed (the proof is valid for the key used). Whether that key is the model's: `trust`, `verdict`. */
  ok: boolean;
  /** The first failed check, if any. */
  failed?: Check;
  checks: Check[];
  devSetup: boolean;
  /** Where the verification key came from. */
  vkSource: 'artifacts' | 'receipt';
  trust: KeyTrust;
  verdict: Verdict;
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
  /**
   * A verification-key hash the caller trusts (published by the model's owner, read from the model's contract
   * or a registry): the receipt's key must hash to exactly this.
   */
  trustedVkHash?: string;
  /** Who vouches for `trusted` / `trustedVkHash`, in words (reported in `trust.by`). */
  trustedBy?: string;
  /** The prover's opening of the commitments (salts and values), to check them too. */
  opening?: Opening | { format: 'zkinfer.opening/1'; input?: { salt: string; tensors: ReceiptTensorV1[] }; output?: { salt: string; tensors: ReceiptTensorV1[] } };
  /** Require a signature by this Ethereum address. */
  expectSigner?: string;
}

/**
 * The message a prover signs (EIP-191 personal_sign): binds every field of the receipt.
 * @example const signature = await wallet.signMessage(signatureMessage(receiptHash(receipt)));
 */
export const signatureMessage = (hash: string): string => `zkinfer receipt ${hash}`;

/** Why nothing vouches for a key embedded in a receipt. */
export const UNTRUSTED_KEY = 'nothing: the only key is the one embedded in the receipt, and whoever made the receipt chose it (and its model hashes)';

/** One sentence on what a result means, for every place that shows it (CLI, page). */
export function verdictText(r: { verdict: Verdict; trust: KeyTrust; failed?: { name: string; detail: string } }): string {
  if (r.verdict === 'invalid') return `NOT VERIFIED: ${r.failed!.name}: ${r.failed!.detail}`;
  if (r.verdict === 'verified') return `verified: the outputs came from the model this key binds; key trusted by ${r.trust.by}`;
  return 'UNTRUSTED KEY: the proof is valid for the key embedded in the receipt, but nothing you trust vouches for that key, so this proves nothing about which model ran (give the model owner\'s key or key hash, its artifacts, or its contract on chain)';
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isV1 = (r: { format?: unknown }): boolean => r.format === RECEIPT_FORMAT_V1;

/** Why a document is not a receipt this verifier reads (the 'format' check), or undefined. */
export function receiptFormatProblem(r: unknown): string | undefined {
  if (!isObj(r)) return 'not a JSON object';
  if (r.format !== RECEIPT_FORMAT && r.format !== RECEIPT_FORMAT_V1) return `format is ${JSON.stringify(r.format)}: this verifier reads "${RECEIPT_FORMAT}" and "${RECEIPT_FORMAT_V1}"`;
  for (const k of ['circuitHash', 'vkHash', 'createdAt']) if (typeof r[k] !== 'string') return `field '${k}' missing or not a string`;
  for (const k of ['model', 'proof', 'verificationKey', 'visibility', 'setup']) if (!isObj(r[k])) return `field '${k}' missing or not an object`;
  if (!Array.isArray(r.publicSignals) || !r.publicSignals.every((s) => typeof s === 'string' && /^\d+$/.test(s))) return "field 'publicSignals' must be an array of decimal strings";
  for (const key of ['inputs', 'outputs']) {
    const p = r[key] === undefined ? undefined : tensorsProblem(r[key], key, isV1(r));
    if (p) return p;
  }
  if (r.signature !== undefined && (!isObj(r.signature) || typeof r.signature.signer !== 'string' || typeof r.signature.value !== 'string')) return "field 'signature' must have signer and value";
  return undefined;
}

const normHash = (h: string): string => h.trim().toLowerCase().replace(/^0x/, '');

/** What the key binds, compared with what the receipt says: problems, and a description of what matched. */
function bindingProblems(b: KeyBinding | undefined, r: Receipt, devSetup: boolean, trusted: VerifyParams['trusted']): { problems: string[]; detail: string } {
  if (!b || (b.format !== KEY_FORMAT && b.format !== 'zkinfer.key/1')) return { problems: ['the verification key carries no zkinfer binding'], detail: '' };
  const problems: string[] = [];
  const differ = (what: string, receipt: string | undefined, key: string | undefined, hash = true) => {
    if (receipt === key) return;
    const [a, k] = hash ? showDiff(String(receipt), String(key)) : [JSON.stringify(receipt), JSON.stringify(key)];
    problems.push(`${what}: the receipt says ${a}, the key binds ${k}`);
  };
  differ('circuit hash', r.circuitHash, b.circuitHash);
  differ('model file sha256', r.model?.fileSha256, b.model.fileSha256);
  differ('quantized graph sha256', r.model?.quantizedSha256, b.model.quantizedSha256);
  const labels = b.model.file !== undefined;
  if (labels) {
    differ('model file name', r.model?.file, b.model.file, false);
    differ('model name', r.model?.name, b.model.name, false);
  }
  if (b.devSetup !== devSetup) problems.push(`the key says devSetup=${b.devSetup}, the receipt ${devSetup}`);
  const v = b.layout.visibility;
  if (v.input !== r.visibility.input || v.output !== r.visibility.output || v.params !== r.visibility.params) problems.push(`visibility ${JSON.stringify(r.visibility)} is not the key's ${JSON.stringify(v)}`);
  let weights = '';
  if (v.params === 'hashed') {
    if (b.paramsCommitment !== undefined) {
      if (r.commitments?.params !== b.paramsCommitment) {
        const [a, k] = showDiff(String(r.commitments?.params), b.paramsCommitment);
        problems.push(`the receipt's parameter commitment ${a} is not the one the key binds (${k}): the proof was made with other weights`);
      } else weights = ', the weights (their commitment)';
    } else if (trusted?.compiled?.paramsCommitment === undefined) {
      problems.push(`the key (${b.format}) does not bind the weights' commitment, so nothing pins the weights: verify with --dir (compiled.json holds it), or run 'zkinfer setup' again for a ${KEY_FORMAT} key`);
    }
  }
  const detail = `the key binds this model (${labels ? 'file name, graph name and ' : ''}hashes)${weights}, circuit and visibility${labels ? '' : `; the model's file and graph names are unverified labels (the ${b.format} key does not bind them)`}`;
  return { problems, detail };
}

/**
 * Verify a receipt; `verdict` says whether it proves anything about the model (a trusted key) or not.
 * @example const r = await verifyReceipt({ receipt: JSON.parse(text), trustedVkHash: publishedHash }); if (r.verdict !== 'verified') console.log(r.failed ?? r.trust);
 */
export async function verifyReceipt(params: VerifyParams): Promise<VerifyResult> {
  const checks: Check[] = [];
  let signer: string | undefined;
  const trustedHash = params.trustedVkHash !== undefined ? normHash(params.trustedVkHash) : undefined;
  const trust: KeyTrust =
    params.trusted || trustedHash !== undefined
      ? { trusted: true, by: params.trustedBy ?? (params.trusted ? 'the artifacts you gave (their verification key)' : `the key hash you gave (${trustedHash!.slice(0, 16)}…)`) }
      : { trusted: false, by: UNTRUSTED_KEY };
  const add = (name: CheckName, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const done = (vkSource: VerifyResult['vkSource'], devSetup: boolean): VerifyResult => {
    const failed = checks.find((c) => !c.ok);
    return { ok: !failed, failed, checks, devSetup, vkSource, trust, verdict: failed ? 'invalid' : trust.trusted ? 'verified' : 'untrusted', signer };
  };
  const fp = receiptFormatProblem(params.receipt);
  if (!add('format', !fp, fp ?? `receipt fields present (${(params.receipt as Receipt).format})`)) return done('receipt', true);
  const r = params.receipt as Receipt;
  const v1 = isV1(r);
  const devSetup = r.setup.dev !== false;
  const vk = params.trusted?.vk ?? r.verificationKey;
  const vkSource = params.trusted ? 'artifacts' : 'receipt';

  const h = vkHash(vk);
  const embedded = params.trusted ? vkHash(r.verificationKey) : h;
  let vkProblem: string | undefined;
  if (h !== r.vkHash) {
    const [a, k] = showDiff(r.vkHash, h);
    vkProblem = `the receipt's vkHash ${a} is not the hash of the ${vkSource === 'artifacts' ? "artifacts' verification key" : 'embedded verification key'} (${k})`;
  } else if (embedded !== h) {
    const [a, k] = showDiff(embedded, h);
    vkProblem = `the receipt's embedded key hashes to ${a}, the artifacts' key to ${k}`;
  } else if (trustedHash !== undefined && trustedHash !== h) {
    const [a, k] = showDiff(h, trustedHash);
    vkProblem = `the receipt's verification key hashes to ${a}, not to the key hash you trust (${k}${params.trustedBy ? `, from ${params.trustedBy}` : ''})`;
  }
  if (!add('vk-hash', !vkProblem, vkProblem ?? `verification key ${h.slice(0, 16)}… matches the receipt${trust.trusted ? `, trusted by ${trust.by}` : ' (the embedded key: untrusted)'}`)) return done(vkSource, devSetup);

  const b = (vk as { zkinfer?: KeyBinding }).zkinfer;
  const bound = bindingProblems(b, r, devSetup, params.trusted);
  if (!add('model-binding', bound.problems.length === 0, bound.problems.join('; ') || bound.detail)) return done(vkSource, devSetup);
  const binding = b!;

  if (params.trusted?.compiled || params.trusted?.setup) {
    const { compiled, setup } = params.trusted;
    const problems: string[] = [];
    const differ = (what: string, mine: string | undefined, theirs: string | undefined) => {
      if (mine === theirs) return;
      const [a, t] = showDiff(String(theirs), String(mine));
      problems.push(`${what}: the receipt says ${a}, the artifacts ${t}`);
    };
    if (compiled) {
      differ('circuit hash', compiled.circuitHash, r.circuitHash);
      differ('model file sha256', compiled.model.fileSha256, r.model.fileSha256);
      differ('quantized graph sha256', compiled.model.quantizedSha256, r.model.quantizedSha256);
      if (compiled.paramsCommitment !== undefined && compiled.paramsCommitment !== r.commitments?.params) problems.push("the parameter commitment is not these artifacts' weights");
    }
    if (setup) differ('verification key hash (setup.json)', setup.vkHash, r.vkHash);
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
    const ints = tensors ? tensorIntegers(tensors, of === 'input' ? binding.inputs : binding.outputs, of, v1) : `public ${name} missing`;
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
    const spec = (g.of === 'input' ? binding.inputs : binding.outputs)[g.tensor]!;
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
      mismatch[g.of] = `${g.of} '${spec.name}'[${e}] = ${showInt(ints[e]!, spec.scale)} is not the proved value ${j >= 0 ? showInt(proved[j]!, spec.scale) : '(outside the proven range)'} (public signal ${i})`;
    }
  });
  const exact = v1 ? ' (format /1: re-encoded from its real numbers)' : ' (exact integers)';
  if (layout.visibility.output === 'public') add('outputs', !mismatch.output, mismatch.output ?? `every output value re-encodes to its public signal${exact}`);
  if (layout.visibility.input === 'public') add('inputs', !mismatch.input, mismatch.input ?? `every input value re-encodes to its public signal${exact}`);
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
  if (binding.batch !== undefined || r.batch !== undefined) {
    const bp = batchProblem(r, binding);
    add('batch', !bp, bp ?? `${binding.batch} inferences, listed in order with the references their public signals make`);
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
      const ints = tensorsProblem(part.tensors, `the opening's ${g.of}`, params.opening.format === 'zkinfer.opening/1') ?? tensorIntegers(part.tensors, g.of === 'input' ? binding.inputs : binding.outputs, g.of, params.opening.format === 'zkinfer.opening/1');
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
