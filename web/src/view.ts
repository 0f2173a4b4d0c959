/** Rendering a receipt and its verification result into the page (plain DOM, no framework). */
import type { Receipt, ReceiptTensor } from '../../src/receipt.js';
import type { VerifyResult } from '../../src/verify/verify.js';

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c) e.append(c);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from the page`);
  return e as T;
};

const short = (h: string): string => `${h.slice(0, 16)}…`;
const code = (text: string, title = text): HTMLElement => el('code', { title }, text);

export const argmax = (xs: number[]): number => xs.reduce((b, x, i) => (x > xs[b]! ? i : b), 0);

/** [h, w] when a tensor looks like a single-channel image: last two dims ≥ 8, or a flat square (784 → 28×28). */
export function imageShape(t: Pick<ReceiptTensor, 'shape' | 'data'>): [number, number] | undefined {
  const dims = t.shape.filter((d) => d !== 1);
  if (dims.length === 2 && dims[0]! >= 8 && dims[1]! >= 8) return [dims[0]!, dims[1]!];
  const n = Math.round(Math.sqrt(t.data.length));
  if (dims.length === 1 && n >= 8 && n * n === t.data.length) return [n, n];
  return undefined;
}

/** A grayscale image of a tensor (0..255 shown as is, other ranges stretched), scaled up without smoothing. */
export function tensorImage(t: Pick<ReceiptTensor, 'name' | 'data'>, [h, w]: [number, number], px = 8): HTMLCanvasElement {
  const c = el('canvas', { width: String(w), height: String(h), class: 'tensor-image', 'data-tensor': t.name });
  c.style.width = `${w * px}px`;
  c.style.height = `${h * px}px`;
  const lo = Math.min(0, ...t.data);
  const hi = Math.max(...t.data);
  const [a, b] = lo >= 0 && hi <= 255 && hi > 1 ? [0, 255] : [lo, hi === lo ? lo + 1 : hi];
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  t.data.forEach((v, i) => {
    const g = Math.round((255 * (v - a)) / (b - a));
    img.data.set([g, g, g, 255], 4 * i);
  });
  ctx.putImageData(img, 0, 0);
  return c;
}

/** A bar chart of scores with a zero baseline; the largest is highlighted. */
export function barChart(t: ReceiptTensor): SVGElement {
  const xs = t.data;
  const W = 36 * xs.length;
  const H = 180;
  const top = 18;
  const bottom = 32;
  const hi = Math.max(0, ...xs);
  const lo = Math.min(0, ...xs);
  const y = (v: number) => top + ((hi - v) / (hi - lo || 1)) * (H - top - bottom);
  const best = argmax(xs);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bars', role: 'img', 'data-tensor': t.name, 'aria-label': `${t.name}: largest at index ${best}` });
  xs.forEach((v, i) => {
    const x = 36 * i + 6;
    const y0 = y(Math.max(0, v));
    const g = svg('g', { class: i === best ? 'bar top' : 'bar' });
    g.append(svg('rect', { x, y: y0, width: 24, height: Math.max(1, Math.abs(y(v) - y(0))) }));
    g.append(svg('text', { x: x + 12, y: v >= 0 ? y0 - 4 : y(v) + 12, 'text-anchor': 'middle', class: 'val' }, v.toFixed(1)));
    g.append(svg('text', { x: x + 12, y: H - 4, 'text-anchor': 'middle', class: 'idx' }, String(i)));
    g.append(svg('title', {}, `${t.name}[${i}] = ${t.integers ? `${t.integers[i]} × 2^-${t.scale} ≈ ` : ''}${v}`));
    chart.append(g);
  });
  chart.append(svg('line', { x1: 0, x2: W, y1: y(0), y2: y(0), class: 'zero' }));
  return chart;
}

function tensorView(t: ReceiptTensor, role: 'input' | 'output'): HTMLElement {
  const head = el('h4', {}, `${role} `, code(t.name), ` [${t.shape.join('×')}]`, Number(t.scale) ? `, fixed point 2^-${t.scale}` : ', integers');
  const img = imageShape(t);
  if (img) return el('figure', { class: 'tensor' }, head, tensorImage(t, img));
  if (role === 'output' && t.data.length <= 64) {
    const best = argmax(t.data);
    return el('figure', { class: 'tensor' }, head, barChart(t), t.data.length > 1 ? el('figcaption', { class: 'argmax', 'data-argmax': String(best) }, `largest score: index ${best}`) : null);
  }
  const shown = t.data.slice(0, 32).map((v) => Number(v.toFixed(4)));
  return el('figure', { class: 'tensor' }, head, el('pre', {}, `[${shown.join(', ')}${t.data.length > 32 ? `, … (${t.data.length} values)` : ''}]`));
}

export interface Shown {
  receipt?: Receipt;
  result: VerifyResult;
  /** Where the receipt came from and which key verified it. */
  source: string;
  ms?: { verify: number; total: number };
}

/** The verdict in words a user understands: [data-verdict, headline, explanation]. */
function verdictWords(result: VerifyResult): [string, string, string] {
  if (!result.ok) return ['invalid', '✘ invalid', `check '${result.failed!.name}' failed: ${result.failed!.detail}`];
  if (result.trust.trusted) return ['valid', '✔ valid', `every check passed, and the key is trusted (${result.trust.by}): this output came from this model on this input`];
  return [
    'untrusted',
    '⚠ not verified: unknown key',
    'The proof is valid, but only for the key the receipt carries, and whoever made the receipt chose that key — it could be a key for any other model, relabelled with this model\'s name and hashes. So this does NOT show that the output came from the model named here. Enter the key hash the model\'s owner publishes in the field above, or open the receipt from the model\'s own site.',
  ];
}

/** Fill the result card: verdict (with data-verdict: valid, untrusted or invalid), facts, warnings, decoded tensors, checks. */
export function showResult({ receipt, result, source, ms }: Shown): void {
  const verdict = byId('verdict');
  const [word, head, reason] = verdictWords(result);
  verdict.dataset.verdict = word;
  delete verdict.dataset.state;
  if (ms) {
    verdict.dataset.verifyMs = ms.verify.toFixed(1);
    verdict.dataset.totalMs = ms.total.toFixed(1);
  }
  verdict.replaceChildren(
    el('strong', { class: 'word' }, head),
    el('span', { class: 'reason' }, reason),
    ms ? el('small', { class: 'time' }, `checked in ${ms.verify.toFixed(0)} ms in a Web Worker`) : '',
  );
  byId('source').textContent = source;

  const facts = byId('facts');
  facts.replaceChildren();
  const fact = (k: string, ...v: Child[]) => facts.append(el('dt', {}, k), el('dd', {}, ...v));
  const r = receipt && typeof receipt === 'object' ? receipt : undefined;
  if (r?.model) {
    const named = result.checks.find((c) => c.name === 'model-binding');
    const bound = named?.ok && !/unverified labels/.test(named.detail);
    fact('model', `${r.model.name} (${r.model.file})`, el('small', { class: 'label-note' }, bound ? (result.trust.trusted ? ' — names bound by the trusted key' : ' — names as the untrusted key states them') : ' — unverified labels: no key binds these names'));
    fact('model id', code(short(r.model.fileSha256 ?? ''), `file sha256 ${r.model.fileSha256}`), ' · quantized ', code(short(r.model.quantizedSha256 ?? ''), `quantized graph sha256 ${r.model.quantizedSha256}`));
    fact('circuit', code(short(r.circuitHash ?? '')));
    const seg = r as Receipt & { segmentKeysHash?: string; segments?: unknown[] };
    if (seg.segments) fact('segments', el('span', { id: 'segments', 'data-count': String(seg.segments.length) }, `${seg.segments.length} linked segment proofs`));
    const key = r.vkHash ?? seg.segmentKeysHash ?? '';
    fact(seg.segments ? 'segment keys' : 'verification key', code(short(key), key), el('span', { id: 'trust', 'data-trusted': String(result.trust.trusted) }, result.trust.trusted ? ` trusted: ${result.trust.by}` : ' NOT trusted: only the key embedded in the receipt, which its maker chose'));
    if (r.visibility) fact('visibility', `input ${r.visibility.input} · params ${r.visibility.params} · output ${r.visibility.output}`);
    fact('created', r.createdAt ?? '?');
    fact('commitments', r.commitments && Object.keys(r.commitments).length ? el('ul', {}, ...Object.entries(r.commitments).map(([k, v]) => el('li', {}, `${k}: `, code(short(v), v)))) : 'none (no hashed values)');
    if (r.batch) fact('batch', el('ol', { id: 'batch', start: '0', 'data-size': String(r.batch.size) }, ...r.batch.inferences.map((i) => el('li', {}, `${i.inputs.join(', ')} → ${i.outputs.join(', ')}: logged as input `, code(short(i.inputRef), i.inputRef), ', outputs ', code(short(i.outputsHash), i.outputsHash)))));
    fact('signer', r.signature ? el('span', {}, code(r.signature.signer), ` (${r.signature.scheme}; the signature is not checked by this verifier)`) : 'unsigned');
  }
  const dev = byId('dev-warning');
  dev.hidden = !(r?.setup && result.devSetup);
  dev.textContent = `⚠ Dev setup — ${r?.setup?.note ?? 'the keys come from an insecure single-party setup'}. Whoever ran that setup could forge proofs.`;

  const tensors = byId('tensors');
  tensors.replaceChildren();
  tensors.classList.toggle('unproven', result.verdict !== 'verified');
  if (r && Array.isArray(r.outputs) && result.checks[0]?.ok) {
    if (!result.ok) tensors.append(el('p', { class: 'unproven-note' }, 'Values as the receipt claims them: NOT proven, the receipt failed verification.'));
    else if (!result.trust.trusted) tensors.append(el('p', { class: 'unproven-note' }, 'Values proven only for the receipt\'s own key: NOT shown to come from the model named here.'));
    for (const t of r.inputs ?? []) tensors.append(tensorView(t, 'input'));
    for (const t of r.outputs) tensors.append(tensorView(t, 'output'));
    if (r.visibility?.input === 'private') tensors.append(el('p', { class: 'note' }, 'The input is private: the proof shows the output came from some input within the declared range, without revealing it.'));
  }
  byId('checks').replaceChildren(...result.checks.map((c) => el('li', { class: c.ok ? 'ok' : 'fail', 'data-check': c.name }, el('b', {}, `${c.ok ? 'ok' : 'FAIL'} ${c.name}`), ` ${c.detail}`)));
  byId('result').hidden = false;
}

/** The verdict while work is in progress, or when the receipt could not be loaded at all. */
export function showState(state: 'verifying' | 'error', message: string): void {
  const verdict = byId('verdict');
  delete verdict.dataset.verdict;
  verdict.dataset.state = state;
  verdict.replaceChildren(el('strong', { class: 'word' }, state === 'verifying' ? '… verifying' : '✘ cannot check'), el('span', { class: 'reason' }, message));
  if (state === 'error') {
    for (const id of ['facts', 'tensors', 'checks']) byId(id).replaceChildren();
    byId('dev-warning').hidden = true;
  }
  byId('result').hidden = false;
}
