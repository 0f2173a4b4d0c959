/**
 * The page: open a receipt (file, drop, ?receipt=URL) and verify it in the worker; prove a drawn digit.
 *
 * Trust in the key: a key hash the user enters (or ?vkHash=), and artifacts published by this page's own
 * server (the same origin as the page: whoever serves the page's code is trusted already). A key found beside
 * a receipt on another site is the receipt publisher's, so it is not trusted; a receipt's embedded key never is.
 */
import './style.css';
import { ZkWorker, WorkerError } from './client.js';
import { DigitPad } from './digit.js';
import { argmax, byId, el, showResult, showState, tensorImage } from './view.js';
import { STEPS, followInference, segmentText } from './service.js';
import type { InferenceView } from '../../src/serve/jobs.js';
import type { Trusted, TrustSources } from './protocol.js';
import type { CompiledInfo } from '../../src/compile.js';
import type { Receipt } from '../../src/receipt.js';
import { vkHash } from '../../src/receipt.js';
import type { VerifyResult } from '../../src/verify/verify.js';

const worker = new ZkWorker();
const params = new URLSearchParams(location.search);
/** The receipt on screen (for the on-chain check). */
let current: Receipt | undefined;
/** How the receipt on screen was opened (to verify it again when the user enters a key hash). */
let reopen: (() => Promise<void>) | undefined;

/** The key hash the user trusts (the model owner's published vkHash), from the field or ?vkHash=. */
const vkHashInput = byId<HTMLInputElement>('vk-hash');
vkHashInput.value = params.get('vkHash') ?? '';
const userHash = (): TrustSources => {
  const h = vkHashInput.value.trim();
  return h ? { trustedVkHash: h, trustedBy: `the key hash you entered (${h.slice(0, 16)}…)` } : {};
};
const sameOrigin = (url: string): boolean => new URL(url).origin === location.origin;

const describe = (e: unknown): string => (e instanceof WorkerError && e.info.hint ? `${e.message} (${e.info.hint})` : e instanceof Error ? e.message : String(e));

async function fetchJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { cache: 'no-store' });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined; // absent or not JSON: nothing published there
  }
}

/** verification_key.json (and compiled.json, setup.json) published beside a receipt URL, if any. */
async function findBeside(receiptUrl: string): Promise<Trusted | undefined> {
  const [vk, compiled, setup] = await Promise.all(['verification_key.json', 'compiled.json', 'setup.json'].map((f) => fetchJson(new URL(f, receiptUrl).href)));
  if (!vk || typeof vk !== 'object') return undefined;
  return { vk: vk as Trusted['vk'], compiled: compiled as Trusted['compiled'], setup: setup as Trusted['setup'] };
}

async function verifyText(text: string, source: string, t0: number, trust: TrustSources): Promise<void> {
  let receipt: unknown;
  try {
    receipt = JSON.parse(text);
  } catch (e) {
    const failed = { name: 'format' as const, ok: false, detail: `not valid JSON (${(e as Error).message})` };
    const result: VerifyResult = { ok: false, failed, checks: [failed], devSetup: true, vkSource: 'receipt', trust: { trusted: false, by: 'nothing' }, verdict: 'invalid' };
    return showResult({ result, source });
  }
  const { result, ms } = await worker.verify(receipt, trust);
  current = result.checks[0]?.ok ? (receipt as Receipt) : undefined;
  showResult({ receipt: receipt as Receipt, result, source, ms: { verify: ms, total: performance.now() - t0 } });
  byId('chain-result').textContent = '';
}

async function openUrl(url: string): Promise<void> {
  reopen = () => openUrl(url);
  const t0 = performance.now();
  const abs = new URL(url, location.href).href;
  showState('verifying', `fetching ${abs}`);
  try {
    const [res, found] = await Promise.all([fetch(abs, { cache: 'no-store' }), findBeside(abs)]);
    if (!res.ok) throw new Error(`${abs}: HTTP ${res.status} ${res.statusText}`);
    const text = await res.text();
    const files = found ? `verification_key.json${found.compiled ? ', compiled.json' : ''}${found.setup ? ', setup.json' : ''}` : '';
    const own = sameOrigin(abs);
    const trusted = found && own ? found : undefined;
    const beside = trusted
      ? `checked against the artifacts this page's own server (${location.host}) publishes beside it (${files})`
      : found
        ? `the key published beside it on ${new URL(abs).host} is not trusted: that site also published the receipt, so it proves nothing about the model`
        : 'no key published beside it: only its embedded key, which whoever made the receipt chose';
    const user = userHash();
    await verifyText(text, `Receipt ${abs}, ${beside}.`, t0, { trusted, ...user, trustedBy: [trusted ? `this page's own server (${location.host}), which publishes the model's artifacts` : '', user.trustedBy ?? ''].filter(Boolean).join(' and ') || undefined });
  } catch (e) {
    showState('error', `cannot load the receipt: ${describe(e)}`);
  }
}

async function openFile(file: File): Promise<void> {
  const t0 = performance.now();
  showState('verifying', `reading ${file.name}`);
  try {
    const text = await file.text();
    reopen = () => verifyText(text, `Receipt ${file.name} (local file), checked with its embedded verification key.`, performance.now(), userHash());
    await verifyText(text, `Receipt ${file.name} (local file), checked with its embedded verification key.`, t0, userHash());
  } catch (e) {
    showState('error', `cannot check ${file.name}: ${describe(e)}`);
  }
}

// --- opening receipts ---------------------------------------------------------------------------
const fileInput = byId<HTMLInputElement>('file');
fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  if (f) void openFile(f);
  fileInput.value = '';
});
const drop = byId('drop');
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
document.addEventListener('dragleave', () => drop.classList.remove('over'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void openFile(f);
});
byId('url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = byId<HTMLInputElement>('url').value.trim();
  if (!url) return;
  const q = new URLSearchParams(location.search);
  q.set('receipt', url);
  history.replaceState(null, '', `?${q}`);
  void openUrl(url);
});
byId('trust-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = new URLSearchParams(location.search);
  if (vkHashInput.value.trim()) q.set('vkHash', vkHashInput.value.trim());
  else q.delete('vkHash');
  history.replaceState(null, '', `?${q}`);
  if (reopen) void reopen();
});
const receiptParam = params.get('receipt');
if (receiptParam) {
  byId<HTMLInputElement>('url').value = receiptParam;
  void openUrl(receiptParam);
}

// --- following an inference of a proving service (?service=URL&inference=ID) ------------------------
const serviceParam = params.get('service');
const inferenceParam = params.get('inference');
if (serviceParam && inferenceParam) void followService(serviceParam, inferenceParam);

/** The artifacts at `artifacts` when this page's own server publishes them and their key hashes to `hash`. */
async function ownArtifactsWithKey(hash: string): Promise<Trusted | undefined> {
  const base = new URL(params.get('artifacts') ?? 'files/', location.href).href;
  if (!sameOrigin(base)) return undefined;
  const found = await findBeside(new URL('receipt.json', base).href);
  return found && vkHash(found.vk) === hash.replace(/^0x/, '').toLowerCase() ? found : undefined;
}

/** A segmented model's keys hash when this page's own server publishes its segments.keys.json at `artifacts` and it is `hash`. */
async function ownSegmentKeys(hash: string): Promise<string | undefined> {
  const base = new URL(params.get('artifacts') ?? 'files/', location.href).href;
  if (!sameOrigin(base)) return undefined;
  const keys = (await fetchJson(new URL('segments.keys.json', base).href)) as { keysHash?: unknown } | undefined;
  return typeof keys?.keysHash === 'string' && keys.keysHash === hash.replace(/^0x/, '').toLowerCase() ? keys.keysHash : undefined;
}

/** What the page trusts for a service's receipt: the key hash the user entered, else this page's own server's artifacts when they are the attested key. */
async function serviceTrust(attested: string, segmented: boolean): Promise<{ trust: TrustSources; how: string }> {
  const user = userHash();
  if (user.trustedVkHash) return { trust: user, how: 'against the key hash you entered' };
  const ownBy = `the model's artifacts this page's own server (${location.host}) publishes`;
  if (segmented) {
    const keysHash = await ownSegmentKeys(attested);
    if (keysHash) return { trust: { trustedVkHash: keysHash, trustedBy: ownBy }, how: "against the segment keys hash of the model's artifacts this page's own server publishes" };
  } else {
    const own = await ownArtifactsWithKey(attested);
    if (own) return { trust: { trusted: own, trustedBy: ownBy }, how: "against the model's artifacts this page's own server publishes" };
  }
  return { trust: {}, how: "with the key it embeds only: neither this page's server nor you vouch for it (the service that proved it attested it, which proves nothing)" };
}

async function followService(service: string, id: string): Promise<void> {
  const box = byId('service');
  const steps = byId('service-steps');
  const status = byId('service-status');
  const segments = byId('service-segments');
  box.hidden = false;
  const seen = new Set<string>();
  const mark = (step: string, text: string) => {
    seen.add(step);
    steps.replaceChildren(...STEPS.map((s) => el('li', { 'data-step': s, class: seen.has(s) ? 'done' : '' }, s)));
    box.dataset.status = step;
    status.textContent = text;
  };
  /** A segmented inference: each segment's job (data-status queued, proving, proved, failed or skipped). */
  const showSegments = (v: InferenceView) => {
    const segs = v.segments ?? [];
    segments.hidden = !segs.length;
    segments.replaceChildren(...segs.map((s) => el('li', { 'data-index': String(s.index), 'data-status': s.status }, segmentText(s, segs.length, v.status === 'failed'))));
  };
  mark('queued', `inference ${id} at ${service}`);
  try {
    const final = await followInference(service, id, (v) => {
      if (v.status === 'proving' || v.status === 'proved') seen.add('queued');
      if (v.status === 'proved') seen.add('proving');
      showSegments(v);
      const done = v.segments?.filter((s) => s.status === 'proved').length;
      const progress = v.segments && v.status !== 'failed' ? ` — ${done} of ${v.segments.length} segments proved` : '';
      mark(v.status, v.status === 'failed' ? `failed: ${v.error ?? 'no reason given'}` : `${v.status}${v.timings.queueSeconds !== undefined ? ` (waited ${v.timings.queueSeconds.toFixed(2)} s)` : ''}${progress}`);
    });
    if (final.status !== 'proved' || !final.receipt) return;
    const t0 = performance.now();
    const segs = final.segments?.length;
    // The service proved the receipt, so its attestation cannot vouch for the key: trust the key hash the user
    // entered, or the artifacts this page's own server publishes when they are the attested key.
    const { trust, how } = await serviceTrust(final.attestation.vkHash, segs !== undefined);
    await verifyText(JSON.stringify(final.receipt), `Receipt of inference ${id} from the proving service ${service}${segs ? ` (${segs} segments)` : ''}, checked in this page ${how}.`, t0, trust);
    const verdict = byId('verdict').dataset.verdict;
    const proved = `proved in ${final.timings.proveSeconds?.toFixed(2) ?? '?'} s`;
    if (verdict === 'valid') mark('verified', segs ? `${segs} segments ${proved} in all; the segmented receipt verified in this page: every segment proof, every link between segments and the segment keys hash` : `${proved} and verified in this page`);
    else {
      box.dataset.status = verdict === 'untrusted' ? 'untrusted' : 'invalid';
      status.textContent = verdict === 'untrusted' ? 'proved, but the key is not one this page or you trust: see below' : 'the receipt does NOT verify: see below';
    }
  } catch (e) {
    box.dataset.status = 'error';
    status.textContent = describe(e);
  }
}

// --- on-chain check -------------------------------------------------------------------------------
byId('chain-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = byId('chain-result');
  const local = byId('verdict').dataset.verdict ?? 'not checked';
  if (!current) return void (out.textContent = 'Open a well-formed receipt first.');
  out.textContent = 'asking the contract…';
  delete out.dataset.onchain;
  try {
    const { verifyOnChain } = await import('./chain.js');
    const args = await worker.calldata(current);
    const ok = await verifyOnChain({ rpcUrl: byId<HTMLInputElement>('rpc').value.trim(), address: byId<HTMLInputElement>('address').value.trim(), args });
    out.dataset.onchain = ok ? 'valid' : 'invalid';
    out.replaceChildren(el('b', {}, `on chain: ${ok ? 'valid' : 'invalid'}`), ` · in this page: ${local}`, ok || local !== 'valid' ? '' : ' (the contract checks only the proof against its own key: is it this model’s verifier?)');
  } catch (err) {
    out.dataset.onchain = 'error';
    out.textContent = `on-chain check failed: ${describe(err)}`;
  }
});

// --- proving a drawn digit ----------------------------------------------------------------------------
const artifacts = new URL(params.get('artifacts') ?? 'files/', location.href).href;
const pad = new DigitPad(byId<HTMLCanvasElement>('pad'));
const proveButton = byId<HTMLButtonElement>('prove-button');
let canProve = false;
pad.onChange = () => {
  const px = pad.toMnist();
  const preview = byId<HTMLCanvasElement>('preview');
  const img = tensorImage({ name: 'preview', data: px ?? new Array<number>(784).fill(0) }, [28, 28], 4);
  img.id = 'preview';
  preview.replaceWith(img);
  proveButton.disabled = !canProve || !px;
};
pad.onChange();
byId('clear').addEventListener('click', () => pad.clear());

async function describeArtifacts(): Promise<void> {
  const info = byId('model-info');
  const compiled = (await fetchJson(new URL('compiled.json', artifacts).href)) as CompiledInfo | undefined;
  if (!compiled?.inputs) {
    info.textContent = `No compiled model at ${artifacts}: serve an artifact directory with \`zkinfer web --dir DIR\` (after zkinfer compile and setup), or pass ?artifacts=URL.`;
    return;
  }
  const shapes = compiled.inputs.map((i) => `${i.name} [${i.shape.join('×')}]`).join(', ');
  info.replaceChildren(`Model `, el('b', {}, compiled.model.name), ` from ${artifacts}: ${compiled.constraints.total.toLocaleString('en')} constraints, input ${shapes}.`);
  canProve = compiled.inputs.length === 1 && compiled.inputs[0]!.shape.reduce((a, b) => a * b, 1) === 784;
  if (!canProve) info.append(' The drawing pad makes 28×28 images only: this model takes another input.');
  proveButton.disabled = !canProve || pad.empty;
}
void describeArtifacts();

proveButton.addEventListener('click', async () => {
  const px = pad.toMnist();
  if (!px) return;
  const bar = byId<HTMLProgressElement>('prove-progress');
  const status = byId('prove-status');
  const download = byId<HTMLAnchorElement>('download');
  proveButton.disabled = true;
  download.hidden = true;
  bar.hidden = false;
  bar.value = 0;
  delete status.dataset.proveMs;
  const t0 = performance.now();
  try {
    const r = await worker.prove(artifacts, [px], (stage, fraction) => {
      bar.value = fraction;
      status.textContent = `${stage}…`;
    });
    const total = performance.now() - t0;
    const digit = argmax(r.receipt.outputs![0]!.data);
    Object.assign(status.dataset, { proveMs: r.ms.prove.toFixed(0), witnessMs: r.ms.witness.toFixed(0), fetchMs: r.ms.fetch.toFixed(0), totalMs: total.toFixed(0), digit: String(digit) });
    status.replaceChildren(
      el('b', {}, `Proved: the model says ${digit}.`),
      ` ${(total / 1000).toFixed(2)} s in all: artifacts ${(r.ms.fetch / 1000).toFixed(2)} s, witness ${(r.ms.witness / 1000).toFixed(2)} s, Groth16 proof ${(r.ms.prove / 1000).toFixed(2)} s, verification ${(r.ms.verify / 1000).toFixed(2)} s.`,
    );
    if (download.href) URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(new Blob([`${JSON.stringify(r.receipt, null, 2)}\n`], { type: 'application/json' }));
    download.hidden = false;
    current = r.receipt;
    showResult({ receipt: r.receipt, result: r.result, source: `Receipt proved in this page from your drawing, with the artifacts at ${artifacts}.`, ms: { verify: r.ms.verify, total } });
    byId('result').scrollIntoView({ behavior: 'smooth' });
  } catch (e) {
    status.textContent = `proving failed: ${describe(e)}`;
  } finally {
    bar.hidden = true;
    proveButton.disabled = !canProve || pad.empty;
  }
});
