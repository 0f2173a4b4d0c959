/**
 * Resize (opset 10+; modes nearest, linear, cubic), separable: along each resized axis an output coordinate o
 * maps to x = f(o) by the coordinate_transformation_mode (half_pixel, half_pixel_symmetric, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn, tf_crop_and_resize), and takes a few input taps with constant
 * weights: nearest one tap (nearest_mode), linear two (x clamped to [0, L − 1], weights 1 − r and r), cubic four
 * (cubic_coeff_a, exclude_outside, edge-replicated). An output element is Σ Π_axes w · x over the taps: a linear
 * combination of the input, ZERO constraints.
 *
 * Integer semantics: each axis' weights are integers at a scale k_axis with Σ taps = 2^k_axis exactly (a constant
 * input stays exact). When every weight of the axis is a multiple of 2^−k for some k ≤ 24 — linear and cubic
 * with power-of-two upscales in half_pixel / asymmetric / pytorch_half_pixel (k = factor bits + 1 for linear) —
 * the weights are exact and so is the output, at scale s + Σ k_axis (later ops rebase it). Otherwise
 * (align_corners' thirds, non-dyadic factors) the weights are rounded at the parameter scale (the largest tap
 * takes the remainder): error ≤ (taps − 1)·2^−(k+1)·(max − min of the taps' values) per axis.
 * tf_crop_and_resize outside the box gives the constant extrapolation_value; keep_aspect_ratio_policy (not_larger,
 * not_smaller) applies to sizes. antialias (linear, cubic) when downscaling stretches the kernel by 1/scale (more
 * taps, the same exactness rule). Opset 10's nearest is onnxruntime's: ceil
 * when downscaling, floor otherwise (measured).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { LowerCtx, OpDef, Value } from './types.js';
import { requireInput } from './util.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

/** Input taps of one output coordinate along one axis: (index, weight); null = extrapolated (tf_crop_and_resize). */
type Taps = [number, number][] | null;

interface ResizePlan {
  shape: number[];
  /** per axis, per output coordinate */
  taps: Taps[][];
  extrapolation: number;
}

const where = (node: GraphNode) => `node '${node.name}' (Resize)`;

function nearestIndex(v: number, mode: string): number {
  switch (mode) {
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    case 'round_prefer_ceil': return Math.floor(v + 0.5);
    default: return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
  }
}

function cubicCoeffs(r: number, A: number): number[] {
  const s = 1 - r;
  return [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * s - (A + 3)) * s * s + 1,
    ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A,
  ];
}

const ctmOf = (node: GraphNode, opset10: boolean): string => (opset10 ? 'asymmetric' : String(node.attrs.coordinate_transformation_mode ?? 'half_pixel'));

/** Keys' cubic convolution kernel at distance t. */
function cubicKernel(t: number, A: number): number {
  const x = Math.abs(t);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  return x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A : 0;
}

/**
 * antialias when downscaling by s (onnx's _linear_coeffs_antialias / _cubic_coeffs_antialias): the kernel
 * stretched by 1/s over the indices within reach of x (radius R/s), normalized; indices outside the axis
 * replicate its edge (or are dropped with exclude_outside).
 */
function antialiasTaps(v: number, s: number, L: number, R: number, kernel: (t: number) => number, exclude: boolean): [number, number][] {
  const ratio = Number.isInteger(v) ? 1 : v - Math.floor(v);
  const start = Math.floor(-R / s) + 1;
  const n = 2 - 2 * start;
  const base = v - ratio;
  let taps = Array.from({ length: n }, (_, k): [number, number] => [base + start + k, kernel((start + k - ratio) * s)]);
  if (exclude) taps = taps.filter(([i]) => i >= 0 && i < L);
  const z = taps.reduce((a, [, c]) => a + c, 0);
  return taps.map(([i, c]): [number, number] => [Math.min(Math.max(i, 0), L - 1), c / z]).filter(([, c]) => c !== 0);
}

function resizePlan(node: GraphNode, x: number[], ins: (Value | undefined)[], opset10: boolean): ResizePlan {
  const w = where(node);
  const mode = String(node.attrs.mode ?? 'nearest');
  if (!['nearest', 'linear', 'cubic'].includes(mode)) throw new UnsupportedOpError(`${w}: mode '${mode}' is not supported`, { hint: 'modes nearest, linear and cubic are supported' });
  const cst = (v: Value | undefined, what: string) => {
    if (!v) return undefined;
    if (v.kind !== 'const') throw new UnsupportedOpError(`${w}: ${what} must be a constant`, { hint: 'give roi, scales and sizes as initializers' });
    return v.t.data.length ? Array.from(v.t.data) : undefined;
  };
  // opset 10: Resize(X, scales), coordinates asymmetric
  const roiIn = opset10 ? undefined : cst(ins[1], 'roi');
  let scalesIn = cst(ins[opset10 ? 1 : 2], 'scales');
  const sizesIn = opset10 ? undefined : cst(ins[3], 'sizes');
  const r = x.length;
  const axesAttr = node.attrs.axes;
  const axes = Array.isArray(axesAttr) ? axesAttr.map((a) => (Number(a) < 0 ? Number(a) + r : Number(a))) : Array.from({ length: r }, (_, i) => i);
  if (axes.some((a) => !(a >= 0 && a < r))) throw new ShapeError(`${w}: axes [${String(axesAttr)}] outside the rank ${r}`);
  const full = (v: number[] | undefined, dflt: (d: number) => number, what: string): number[] | undefined => {
    if (!v) return undefined;
    if (v.length !== axes.length) throw new ShapeError(`${w}: ${what} has ${v.length} values for ${axes.length} axes`);
    return Array.from({ length: r }, (_, d) => (axes.includes(d) ? v[axes.indexOf(d)]! : dflt(d)));
  };
  let sizes = full(sizesIn, (d) => x[d]!, 'sizes');
  let scales = full(scalesIn, () => 1, 'scales');
  if (!sizes && !scales) throw new UnsupportedOpError(`${w}: neither scales nor sizes is given`);
  const policy = String(node.attrs.keep_aspect_ratio_policy ?? 'stretch');
  if (sizes && policy !== 'stretch') {
    if (policy !== 'not_larger' && policy !== 'not_smaller') throw new UnsupportedOpError(`${w}: keep_aspect_ratio_policy '${policy}' is not supported`);
    const ratios = axes.map((d) => sizes![d]! / x[d]!);
    const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    scales = x.map((_, d) => (axes.includes(d) ? s : 1));
    sizes = x.map((n, d) => (axes.includes(d) ? Math.round(n * s) : n));
  }
  const shape = sizes ? sizes.map(Math.round) : x.map((d, i) => Math.floor(d * scales![i]!));
  if (!scales || sizesIn) scales = scales && policy !== 'stretch' ? scales : shape.map((d, i) => d / x[i]!);
  if (shape.length !== r) throw new ShapeError(`${w}: ${shape.length} output dims for rank ${r}`);
  const roi = roiIn && ctmOf(node, opset10) === 'tf_crop_and_resize' ? full(roiIn.slice(0, roiIn.length / 2), () => 0, 'roi starts')!.map((s0, d) => [s0, full(roiIn.slice(roiIn.length / 2), () => 1, 'roi ends')![d]!] as const) : undefined;
  const ctm = ctmOf(node, opset10);
  const nm = String(node.attrs.nearest_mode ?? 'round_prefer_floor');
  const A = Number(node.attrs.cubic_coeff_a ?? -0.75);
  const exclude = Number(node.attrs.exclude_outside ?? 0) === 1;
  const antialias = Number(node.attrs.antialias ?? 0) === 1 && mode !== 'nearest';
  const taps = shape.map((n, d) => {
    const L = x[d]!;
    const s = scales![d]!;
    const orig = (o: number): number => {
      switch (ctm) {
        case 'asymmetric': return o / s;
        case 'align_corners': return n === 1 ? 0 : (o * (L - 1)) / (n - 1);
        case 'pytorch_half_pixel': return n > 1 ? (o + 0.5) / s - 0.5 : mode === 'nearest' ? 0 : -0.5;
        case 'tf_half_pixel_for_nn': return (o + 0.5) / s;
        case 'half_pixel': return (o + 0.5) / s - 0.5;
        case 'half_pixel_symmetric': {
          const offset = (L / 2) * (1 - n / (s * L));
          return offset + (o + 0.5) / s - 0.5;
        }
        case 'tf_crop_and_resize': {
          const [a, b] = roi?.[d] ?? [0, 1];
          return n > 1 ? a * (L - 1) + (o * (b - a) * (L - 1)) / (n - 1) : 0.5 * (a + b) * (L - 1);
        }
        default: throw new UnsupportedOpError(`${w}: coordinate_transformation_mode '${ctm}' is not supported`);
      }
    };
    if (ctm === 'tf_crop_and_resize' && !roi) throw new UnsupportedOpError(`${w}: tf_crop_and_resize needs the roi input`);
    return Array.from({ length: n }, (_, o): Taps => {
      const v = orig(o);
      if (ctm === 'tf_crop_and_resize' && (v < 0 || v > L - 1)) return null;
      const clampI = (i: number) => Math.min(Math.max(i, 0), L - 1);
      // opset 10 (onnxruntime's "simple" nearest): ceil when downscaling, floor otherwise
      if (mode === 'nearest') return [[clampI(nearestIndex(v, opset10 ? (s < 1 ? 'ceil' : 'floor') : nm)), 1]];
      if (antialias && s < 1) return antialiasTaps(v, s, L, mode === 'linear' ? 1 : 2, mode === 'linear' ? (t) => Math.max(0, 1 - Math.abs(t)) : (t) => cubicKernel(t, A), exclude);
      if (mode === 'linear') {
        const c = Math.min(Math.max(v, 0), L - 1);
        const i0 = Math.floor(c);
        const f = c - i0;
        return f === 0 ? [[i0, 1]] : [[i0, 1 - f], [clampI(i0 + 1), f]];
      }
      const i0 = Math.floor(v);
      const f = v - i0;
      const idx = [i0 - 1, i0, i0 + 1, i0 + 2];
      let cs = f === 0 ? [0, 1, 0, 0] : cubicCoeffs(f, A);
      if (exclude) {
        cs = cs.map((c, j) => (idx[j]! < 0 || idx[j]! >= L ? 0 : c));
        const z = cs.reduce((a, b) => a + b, 0);
        cs = cs.map((c) => c / z);
      }
      return idx.map((i, j): [number, number] => [clampI(i), cs[j]!]).filter(([, c]) => c !== 0);
    });
  });
  return { shape, taps, extrapolation: Number(node.attrs.extrapolation_value ?? 0) };
}

/**
 * For each output element: its coordinate and terms (flat input index, the tap number along each axis), or no
 * terms when extrapolated.
 */
function* elements(p: ResizePlan, x: number[]): Generator<{ coord: number[]; terms: { src: number; taps: number[] }[] | null }> {
  const os = stridesOf(p.shape);
  const is = stridesOf(x);
  const n = sizeOf(p.shape);
  for (let o = 0; o < n; o++) {
    const coord = p.shape.map((dim, d) => Math.floor(o / os[d]!) % dim);
    const per = coord.map((c, d) => p.taps[d]![c]!);
    if (per.some((t) => t === null)) {
      yield { coord, terms: null };
      continue;
    }
    let terms = [{ src: 0, taps: [] as number[] }];
    per.forEach((t, d) => {
      terms = terms.flatMap((a) => t!.map(([i], j) => ({ src: a.src + i * is[d]!, taps: [...a.taps, j] })));
    });
    yield { coord, terms };
  }
}

/** Integer weights of one axis at scale k, summing to 2^k per coordinate: exact when every weight is dyadic with k ≤ 24. */
function axisWeights(ctx: LowerCtx, taps: Taps[]): { k: number; w: bigint[][] } {
  const flat = taps.flatMap((t) => (t ? t.map(([, c]) => c) : []));
  let k = 0;
  while (k <= 24 && !flat.every((c) => Number.isInteger(c * 2 ** k))) k++;
  const q = k <= 24 ? ctx.quantizeConst({ shape: [flat.length], data: Float64Array.from(flat) }, k) : ctx.quantizeConst({ shape: [flat.length], data: Float64Array.from(flat) });
  const one = 1n << BigInt(q.scale);
  let i = 0;
  const w = taps.map((t) => {
    if (!t) return [];
    const ws = t.map(() => q.ints[i++]!);
    const big = ws.reduce((b, v, j) => (v > ws[b]! ? j : b), 0);
    ws[big] = ws[big]! + one - ws.reduce((a, v) => a + v, 0n); // the largest tap takes the remainder
    return ws;
  });
  return { k: q.scale, w };
}

const opset10 = (node: GraphNode) => node.attrs.opset10 === 1;

export const Resize: OpDef = {
  onnx: ['Resize'],
  float(node, ins) {
    const x = requireInput(ins[0], 0, node);
    const p = resizePlan(node, x.shape, ins.map((t) => (t ? { kind: 'const', t } : undefined)), opset10(node));
    const data: number[] = [];
    for (const { coord, terms } of elements(p, x.shape)) {
      const weight = (taps: number[]) => taps.reduce((m, j, d) => m * p.taps[d]![coord[d]!]![j]![1], 1);
      data.push(terms ? terms.reduce((a, { src, taps }) => a + weight(taps) * x.data[src]!, 0) : p.extrapolation);
    }
    return [{ shape: p.shape, data: Float64Array.from(data) } satisfies Tensor];
  },
  lower(ctx, ins) {
    const x = requireInput(ins[0], 0, ctx.node);
    if (x.kind !== 'q') throw new UnsupportedOpError(`${where(ctx.node)}: only the data input may depend on the model input`);
    const p = resizePlan(ctx.node, x.t.shape, ins, opset10(ctx.node));
    const ws = p.taps.map((t) => axisWeights(ctx, t));
    const scale = x.t.scale + ws.reduce((a, v) => a + v.k, 0);
    const exprs: Lin[] = [];
    for (const { coord, terms } of elements(p, x.t.shape)) {
      const weight = (taps: number[]) => taps.reduce((m, j, d) => m * ws[d]!.w[coord[d]!]![j]!, 1n);
      exprs.push(terms ? terms.reduce((acc, { src, taps }) => linAddScaled(acc, x.t.exprs[src]!, weight(taps)), linConst(0n)) : linConst(BigInt(Math.round(p.extrapolation * 2 ** scale))));
    }
    return [{ shape: p.shape, scale, exprs }];
  },
};
