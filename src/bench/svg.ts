/** Minimal SVG charts for the benchmark report (no dependencies): log-log scatter lines and stacked bars. */

export interface Series {
  name: string;
  points: { x: number; y: number; label?: string }[];
  /** Dashed line without markers (reference slopes). */
  dashed?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (v >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : v >= 1e3 ? `${+(v / 1e3).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

/** Powers of ten (and 2×, 5× between them when the range is short) inside [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const mults = Math.log10(hi / lo) < 2.5 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of mults) if (m * 10 ** e >= lo && m * 10 ** e <= hi) out.push(m * 10 ** e);
  return out;
}

/**
 * A log-log chart of several series, points joined in x order.
 * @example logLogChart({ title: 'prove', xLabel: 'constraints', yLabel: 's', series: [{ name: 'Groth16', points }] })
 */
export function logLogChart(p: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const W = p.width ?? 760;
  const H = p.height ?? 460;
  const m = { l: 70, r: 190, t: 40, b: 50 };
  const all = p.series.flatMap((s) => s.points).filter((q) => q.x > 0 && q.y > 0);
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60"><text x="10" y="30">${esc(p.title)}: no data</text></svg>\n`;
  const pad = (lo: number, hi: number): [number, number] => (lo === hi ? [lo / 2, hi * 2] : [lo / 1.3, hi * 1.3]);
  const [x0, x1] = pad(Math.min(...all.map((q) => q.x)), Math.max(...all.map((q) => q.x)));
  const [y0, y1] = pad(Math.min(...all.map((q) => q.y)), Math.max(...all.map((q) => q.y)));
  const X = (v: number): number => m.l + ((Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * (W - m.l - m.r);
  const Y = (v: number): number => H - m.b - ((Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0))) * (H - m.t - m.b);
  const o: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  o.push(`<text x="${W / 2 - m.r / 2}" y="22" text-anchor="middle" font-size="15">${esc(p.title)}</text>`);
  for (const t of logTicks(x0, x1)) o.push(`<line x1="${X(t)}" y1="${m.t}" x2="${X(t)}" y2="${H - m.b}" stroke="#eee"/><text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of logTicks(y0, y1)) o.push(`<line x1="${m.l}" y1="${Y(t)}" x2="${W - m.r}" y2="${Y(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  o.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(p.xLabel)} (log)</text>`);
  o.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)} (log)</text>`);
  p.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const pts = s.points.filter((q) => q.x > 0 && q.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length > 1) o.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${pts.map((q) => `${X(q.x).toFixed(1)},${Y(q.y).toFixed(1)}`).join(' ')}"/>`);
    if (!s.dashed) for (const q of pts) o.push(`<circle cx="${X(q.x).toFixed(1)}" cy="${Y(q.y).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(`${q.label ?? ''} ${s.name}: x ${fmt(q.x)}, y ${fmt(q.y)}`)}</title></circle>`);
    const ly = m.t + 10 + i * 18;
    o.push(`<line x1="${W - m.r + 12}" y1="${ly}" x2="${W - m.r + 32}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/><text x="${W - m.r + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  // label points of the first series with their model names
  for (const q of p.series[0]?.points ?? []) if (q.label && q.x > 0 && q.y > 0) o.push(`<text x="${X(q.x) + 5}" y="${Y(q.y) - 6}" font-size="10" fill="#555">${esc(q.label)}</text>`);
  o.push('</svg>', '');
  return o.join('\n');
}

/**
 * Horizontal stacked bars (e.g. non-linear + linear constraints per op type).
 * @example stackedBars({ title: 'constraints by op', parts: ['non-linear', 'linear'], bars: [{ label: 'Relu', values: [983, 64] }] })
 */
export function stackedBars(p: { title: string; parts: string[]; bars: { label: string; values: number[] }[]; width?: number }): string {
  const W = p.width ?? 760;
  const rowH = 26;
  const m = { l: 170, r: 120, t: 50, b: 30 };
  const H = m.t + m.b + rowH * p.bars.length;
  const max = Math.max(1, ...p.bars.map((b) => b.values.reduce((s, v) => s + v, 0)));
  const S = (v: number): number => (v / max) * (W - m.l - m.r);
  const o: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(p.title)}</text>`);
  p.parts.forEach((name, i) => o.push(`<rect x="${m.l + i * 120}" y="31" width="12" height="12" fill="${COLORS[i]}"/><text x="${m.l + i * 120 + 16}" y="41">${esc(name)}</text>`));
  p.bars.forEach((b, r) => {
    const y = m.t + r * rowH;
    let x = m.l;
    o.push(`<text x="${m.l - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`);
    b.values.forEach((v, i) => {
      o.push(`<rect x="${x.toFixed(1)}" y="${y + 4}" width="${S(v).toFixed(1)}" height="${rowH - 8}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${b.label} ${p.parts[i]}: ${v}`)}</title></rect>`);
      x += S(v);
    });
    o.push(`<text x="${(x + 6).toFixed(1)}" y="${y + rowH / 2 + 4}">${b.values.reduce((s, v) => s + v, 0).toLocaleString('en-US')}</text>`);
  });
  o.push('</svg>', '');
  return o.join('\n');
}
