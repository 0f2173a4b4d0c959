/**
 * Verifying a segmented receipt: every segment's receipt (proof, signals, key binding), every link between
 * consecutive segments, their order, and — with the compiled artifacts — that each key is the one compiled
 * for that position. Like verifyReceipt it returns every check and the first failure; it never throws, and it
 * says whether the keys are trusted (the compiled artifacts, or a keys hash the caller trusts): the keys a
 * receipt embeds are its maker's choice, so without either the verdict is 'untrusted'.
 */
import type { CompiledInfo } from '../compile.js';
import type { SetupInfo } from '../setup.js';
import { canonicalJson } from '../artifacts/hash.js';
import { modelIdOf } from '../receipt.js';
import type { KeyBinding, Opening, Receipt } from '../receipt.js';
import { commitmentOf, packAll } from '../quantize/layout.js';
import { poseidonChain } from '../commit/poseidon.js';
import { UNTRUSTED_KEY, verifyReceipt } from './verify.js';
import type { KeyTrust, Verdict } from './verify.js';
import { showDiff } from '../receipt.js';
import { tensorIntegers } from './values.js';
import { SEGMENTED_RECEIPT_FORMAT } from '../compose/receipt.js';
import type { SegmentedReceipt } from '../compose/receipt.js';
import { keysHashOf } from '../compose/keys.js';
import type { SegmentKeys, SegmentsManifest } from '../compose/compile.js';

export type SegmentedCheckName = 'format' | 'segment-count' | 'segment-keys' | 'model' | 'visibility' | 'links' | 'segment-proof' | 'inputs' | 'outputs' | 'commitments' | 'opening';

export interface SegmentedCheck {
  name: SegmentedCheckName;
  ok: boolean;
  detail: string;
}

export interface SegmentedVerifyResult {
  ok: boolean;
  failed?: SegmentedCheck;
  checks: SegmentedCheck[];
  devSetup: boolean;
  vkSource: 'artifacts' | 'receipt';
  trust: KeyTrust;
  verdict: Verdict;
}

export interface TrustedSegments {
  manifest: SegmentsManifest;
  keys: SegmentKeys;
  segments: { compiled: CompiledInfo; setup: SetupInfo; vk: Record<string, unknown> }[];
}

export interface VerifySegmentedParams {
  receipt: unknown;
  /** The compiled segments and their keys (else each segment's embedded, hash-checked key is used). */
  trusted?: TrustedSegments;
  /** The prover's opening of a hashed model input / output. */
  opening?: Opening;
  /** A segment-keys hash the caller trusts (the model owner's published one): the receipt's must be exactly this. */
  trustedKeysHash?: string;
  /** Who vouches for `trusted` / `trustedKeysHash`, in words. */
  trustedBy?: string;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const isSegmentedReceipt = (r: unknown): boolean => isObj(r) && r.format === SEGMENTED_RECEIPT_FORMAT;

/** What makes `r` not a well-formed segmented receipt, or undefined. */
export function formatProblem(r: unknown): string | undefined {
  if (!isObj(r)) return 'not a JSON object';
  if (r.format !== SEGMENTED_RECEIPT_FORMAT) return `format is ${JSON.stringify(r.format)}, expected "${SEGMENTED_RECEIPT_FORMAT}"`;
  for (const k of ['model', 'visibility', 'setup']) if (!isObj(r[k])) return `field '${k}' missing or not an object`;
  for (const k of ['segmentKeysHash', 'modelId', 'createdAt']) if (typeof r[k] !== 'string') return `field '${k}' missing or not a string`;
  if (!Array.isArray(r.segments) || r.segments.length === 0 || !r.segments.every(isObj)) return "field 'segments' must be a non-empty array of receipts";
  if (!Array.isArray(r.links) || !r.links.every((x) => typeof x === 'string')) return "field 'links' must be an array of commitments";
  return undefined;
}

const bindingOf = (s: Receipt): KeyBinding | undefined => (s.verificationKey as { zkinfer?: KeyBinding } | undefined)?.zkinfer;

/**
 * Verify a segmented receipt.
 * @example const v = await verifySegmentedReceipt({ receipt, trusted }); if (!v.ok) console.log(v.failed);
 */
export async function verifySegmentedReceipt(params: VerifySegmentedParams): Promise<SegmentedVerifyResult> {
  const checks: SegmentedCheck[] = [];
  const vkSource = params.trusted ? 'artifacts' : 'receipt';
  const trustedHash = params.trustedKeysHash?.trim().toLowerCase().replace(/^0x/, '');
  const trust: KeyTrust =
    params.trusted || trustedHash ? { trusted: true, by: params.trustedBy ?? (params.trusted ? 'the compiled segments you gave' : `the segment-keys hash you gave (${trustedHash!.slice(0, 16)}…)`) } : { trusted: false, by: UNTRUSTED_KEY };
  const add = (name: SegmentedCheckName, ok: boolean, detail: string): boolean => (checks.push({ name, ok, detail }), ok);
  const done = (devSetup: boolean): SegmentedVerifyResult => {
    const failed = checks.find((c) => !c.ok);
    return { ok: !failed, failed, checks, devSetup, vkSource, trust, verdict: failed ? 'invalid' : trust.trusted ? 'verified' : 'untrusted' };
  };
  const fp = formatProblem(params.receipt);
  if (!add('format', !fp, fp ?? 'segmented receipt fields present')) return done(true);
  const r = params.receipt as SegmentedReceipt;
  const segs = r.segments;
  const K = segs.length;
  const devSetup = r.setup.dev !== false;
  const T = params.trusted;

  const countOk = r.links.length === K - 1 && (!T || T.manifest.segments.length === K);
  if (!add('segment-count', countOk, countOk ? `${K} segment(s), ${K - 1} link(s)` : T && T.manifest.segments.length !== K ? `the model was compiled into ${T.manifest.segments.length} segments; the receipt has ${K}` : `${K} segments need ${K - 1} links; the receipt has ${r.links.length}`)) return done(devSetup);

  // keys: the ordered list is bound by one hash; with artifacts each position must hold the compiled key
  const vkHashes = segs.map((s) => String(s.vkHash));
  let keyProblem: string | undefined;
  const dup = vkHashes.findIndex((h, i) => vkHashes.indexOf(h) !== i);
  if (dup >= 0) keyProblem = `segment ${dup + 1} repeats the key of segment ${vkHashes.indexOf(vkHashes[dup]!) + 1}`;
  else if (keysHashOf(vkHashes) !== r.segmentKeysHash) keyProblem = "segmentKeysHash is not the hash of the segments' keys in this order";
  else if (T) {
    const i = vkHashes.findIndex((h, j) => h !== T.keys.vkHashes[j]);
    if (i >= 0) {
      const at = T.keys.vkHashes.indexOf(vkHashes[i]!);
      keyProblem = at >= 0 ? `segment ${i + 1} carries the key of compiled segment ${at + 1} (segments out of order)` : `segment ${i + 1}'s key is not a key of this model's segments`;
    } else if (r.segmentKeysHash !== T.keys.keysHash) keyProblem = "segmentKeysHash is not the compiled segments' keys hash";
  }
  if (!keyProblem && trustedHash !== undefined && r.segmentKeysHash !== trustedHash) {
    const [a, t] = showDiff(r.segmentKeysHash, trustedHash);
    keyProblem = `the receipt's segment keys hash ${a} is not the one you trust (${t})`;
  }
  if (!add('segment-keys', !keyProblem, keyProblem ?? `${K} keys in order, keys hash ${r.segmentKeysHash.slice(0, 16)}…${T ? ' (the compiled ones)' : ''}`)) return done(devSetup);

  const modelProblems: string[] = [];
  if (modelIdOf(r.model) !== r.modelId) modelProblems.push('modelId is not the hash of the model');
  if (T && canonicalJson(T.manifest.model) !== canonicalJson(r.model)) modelProblems.push('the model is not the compiled one');
  segs.forEach((s, i) => {
    if (s.model?.fileSha256 !== r.model.fileSha256) modelProblems.push(`segment ${i + 1} belongs to model file ${String(s.model?.fileSha256).slice(0, 12)}…, not ${r.model.fileSha256.slice(0, 12)}…`);
  });
  if (!add('model', modelProblems.length === 0, modelProblems[0] ?? `every segment belongs to model ${r.modelId.slice(0, 16)}…`)) return done(devSetup);

  const visProblems: string[] = [];
  segs.forEach((s, i) => {
    const v = s.visibility;
    const wantIn = i === 0 ? r.visibility.input : 'hashed';
    const wantOut = i === K - 1 ? r.visibility.output : 'hashed';
    if (v?.input !== wantIn || v?.output !== wantOut || v?.params !== r.visibility.params) visProblems.push(`segment ${i + 1} has visibility ${JSON.stringify(v)}, expected input ${wantIn}, output ${wantOut}, params ${r.visibility.params}`);
  });
  if (!add('visibility', visProblems.length === 0, visProblems[0] ?? 'first input and last output as chosen, boundaries hashed')) return done(devSetup);

  const linkProblems: string[] = [];
  for (let i = 0; i + 1 < K; i++) {
    const out = segs[i]!.commitments?.output;
    const inp = segs[i + 1]!.commitments?.input;
    if (out !== r.links[i] || inp !== r.links[i]) linkProblems.push(`segment ${i + 1}'s output commitment ${String(out).slice(0, 12)}… and segment ${i + 2}'s input commitment ${String(inp).slice(0, 12)}… are not both link ${i + 1} (${r.links[i]!.slice(0, 12)}…)`);
    const a = bindingOf(segs[i]!)?.layout;
    const b = bindingOf(segs[i + 1]!)?.layout;
    if (!a || !b || canonicalJson(a.outputs) !== canonicalJson(b.inputs) || commitmentOf(a, 'output')?.width !== commitmentOf(b, 'input')?.width) linkProblems.push(`segment ${i + 1}'s output and segment ${i + 2}'s input are not packed alike`);
  }
  if (!add('links', linkProblems.length === 0, linkProblems[0] ?? `${K - 1} boundary commitment(s) shared by consecutive segments`)) return done(devSetup);

  for (const [i, s] of segs.entries()) {
    const v = await verifyReceipt({ receipt: s, trusted: T?.segments[i] });
    if (!v.ok) {
      add('segment-proof', false, `segment ${i + 1}: ${v.failed!.name}: ${v.failed!.detail}`);
      return done(devSetup);
    }
  }
  add('segment-proof', true, `all ${K} segment receipts verify (proof, public signals, key binding)`);

  const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);
  add('inputs', same(r.inputs, segs[0]!.inputs), r.visibility.input === 'public' ? "the inputs are the first segment's proved inputs" : 'no public inputs');
  add('outputs', same(r.outputs, segs[K - 1]!.outputs), r.visibility.output === 'public' ? "the outputs are the last segment's proved outputs" : 'no public outputs');
  const wantCommit = { ...(r.visibility.input === 'hashed' ? { input: segs[0]!.commitments?.input } : {}), ...(r.visibility.output === 'hashed' ? { output: segs[K - 1]!.commitments?.output } : {}) };
  add('commitments', same(r.commitments ?? {}, wantCommit), 'the commitments are the first input and last output commitments');
  if (checks.some((c) => !c.ok)) return done(devSetup);

  if (params.opening) {
    const problems: string[] = [];
    for (const of of ['input', 'output'] as const) {
      if (r.visibility[of] !== 'hashed') continue;
      const part = params.opening[of];
      const seg = of === 'input' ? segs[0]! : segs[K - 1]!;
      const L = bindingOf(seg)!.layout;
      if (!part) {
        problems.push(`the opening has no ${of}`);
        continue;
      }
      try {
        const spec = bindingOf(seg)!;
        const ints = tensorIntegers(part.tensors, of === 'input' ? spec.inputs : spec.outputs, of, false);
        if (typeof ints === 'string') throw new Error(ints);
        const c = await poseidonChain(BigInt(part.salt), packAll(ints, of === 'input' ? L.inputs : L.outputs), commitmentOf(L, of)!.width);
        if (c.toString() !== seg.commitments?.[of]) problems.push(`the ${of} opening does not hash to the commitment`);
      } catch (e) {
        problems.push(`the ${of} opening is invalid: ${(e as Error).message}`);
      }
    }
    add('opening', problems.length === 0, problems.join('; ') || 'the opening matches the commitments');
  }
  return done(devSetup);
}
