/**
 * ConvTranspose (N-d; strides, pads, output_padding, output_shape, auto_pad, dilations, group). Every input
 * element scatters into the outputs o = i·stride + k·dilation − pad_begin it reaches; with constant weights
 * each output is a linear combination of inputs: zero constraints (with signal weights, one product per tap).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { linAddScaled, linConst } from '../quantize/lin.js';
import type { Lin } from '../quantize/lin.js';
import type { OpDef, QTensor } from './types.js';
import { attrNum, requireInput } from './util.js';
import { ShapeError } from '../errors.js';

interface Plan {
  outShape: number[];
  /** (output index, input index, weight index) triples */
  taps: Int32Array;
  /** output channel of each output element */
  channel: (o: number) => number;
}

const ints = (node: GraphNode, name: string, n: number, dflt: number): number[] => {
  const v = node.attrs[name];
  return Array.isArray(v) && v.length ? (v as number[]) : new Array<number>(n).fill(dflt);
};

function plan(node: GraphNode, x: number[], w: number[]): Plan {
  const where = `node '${node.name}' (ConvTranspose)`;
  if (x.length < 3 || w.length !== x.length) throw new ShapeError(`${where}: input [${x}] and weights [${w}] must be N×C×spatial and C×M/group×kernel`);
  const r = x.length - 2;
  const group = attrNum(node, 'group', 1);
  const [N, C] = x as [number, number];
  if (w[0] !== C || C % group !== 0) throw new ShapeError(`${where}: ${C} input channels, weights [${w}] and group ${group} do not fit`);
  const mg = w[1]!;
  const M = mg * group;
  const cg = C / group;
  const kernel = w.slice(2);
  const inS = x.slice(2);
  const strides = ints(node, 'strides', r, 1);
  const dil = ints(node, 'dilations', r, 1);
  const outPad = ints(node, 'output_padding', r, 0);
  let pads = ints(node, 'pads', 2 * r, 0);
  const autoPad = String(node.attrs.auto_pad ?? 'NOTSET');
  const full = (d: number) => strides[d]! * (inS[d]! - 1) + outPad[d]! + (kernel[d]! - 1) * dil[d]! + 1;
  let outS: number[];
  const given = node.attrs.output_shape;
  if (Array.isArray(given) && given.length) {
    outS = (given as number[]).slice(-r);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    outS = inS.map((v, d) => v * strides[d]!);
  } else {
    outS = inS.map((_, d) => full(d) - pads[d]! - pads[d + r]!);
  }
  if ((Array.isArray(given) && given.length) || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = outS.map((o, d) => full(d) - o);
    const half = total.map((t) => Math.floor(t / 2));
    pads = autoPad === 'SAME_UPPER' ? [...half, ...total.map((t, d) => t - half[d]!)] : [...total.map((t, d) => t - half[d]!), ...half];
  }
  if (outS.some((v) => v <= 0)) throw new ShapeError(`${where}: output spatial shape [${outS}] is empty`);
  const outShape = [N, M, ...outS];
  const kSize = sizeOf(kernel);
  const inSize = sizeOf(inS);
  const outSize = sizeOf(outS);
  const iStr = stridesOf(inS);
  const kStr = stridesOf(kernel);
  const oStr = stridesOf(outS);
  // spatial scatter plan: for (input position, kernel tap) the output position, or −1
  const target = new Int32Array(inSize * kSize);
  for (let i = 0; i < inSize; i++)
    for (let k = 0; k < kSize; k++) {
      let o = 0;
      let ok = true;
      for (let d = 0; d < r; d++) {
        const id = Math.floor(i / iStr[d]!) % inS[d]!;
        const kd = Math.floor(k / kStr[d]!) % kernel[d]!;
        const od = id * strides[d]! + kd * dil[d]! - pads[d]!;
        if (od < 0 || od >= outS[d]!) ok = false;
        o += od * oStr[d]!;
      }
      target[i * kSize + k] = ok ? o : -1;
    }
  const taps: number[] = [];
  for (let n = 0; n < N; n++)
    for (let g = 0; g < group; g++)
      for (let c = 0; c < cg; c++)
        for (let m = 0; m < mg; m++) {
          const xc = g * cg + c;
          const oc = g * mg + m;
          for (let i = 0; i < inSize; i++)
            for (let k = 0; k < kSize; k++) {
              const t = target[i * kSize + k]!;
              if (t >= 0) taps.push(((n * M + oc) * outSize + t), (n * C + xc) * inSize + i, (xc * mg + m) * kSize + k);
            }
        }
  return { outShape, taps: Int32Array.from(taps), channel: (o) => Math.floor(o / outSize) % M };
}

export const ConvTranspose: OpDef = {
  onnx: ['ConvTranspose'],
  paramInputs: [1, 2],
  float(node, [x0, w0, b]) {
    const x = requireInput(x0, 0, node);
    const w = requireInput(w0, 1, node);
    const p = plan(node, x.shape, w.shape);
    const out = new Float64Array(sizeOf(p.outShape));
    for (let j = 0; j < p.taps.length; j += 3) out[p.taps[j]!] += x.data[p.taps[j + 1]!]! * w.data[p.taps[j + 2]!]!;
    if (b) out.forEach((_, o) => (out[o] += b.data[p.channel(o)]!));
    return [{ shape: p.outShape, data: out } satisfies Tensor];
  },
  lower(ctx, [x0, w0, b0]) {
    const x = requireInput(x0, 0, ctx.node);
    const w = requireInput(w0, 1, ctx.node);
    const p = plan(ctx.node, x.t.shape, w.t.shape);
    const exprs: Lin[] = Array.from({ length: sizeOf(p.outShape) }, () => linConst(0n));
    let scale: number;
    if (x.kind === 'q' && w.kind === 'q') {
      for (let j = 0; j < p.taps.length; j += 3) linAddScaled(exprs[p.taps[j]!]!, ctx.b.mul(x.t.exprs[p.taps[j + 1]!]!, w.t.exprs[p.taps[j + 2]!]!, ctx.node.name), 1n);
      scale = x.t.scale + w.t.scale;
    } else {
      const onX = x.kind === 'q';
      const q = (onX ? x.t : w.t) as QTensor;
      const c = ctx.quantizeConst((onX ? w.t : x.t) as Tensor);
      for (let j = 0; j < p.taps.length; j += 3) {
        const [xi, wi] = [p.taps[j + 1]!, p.taps[j + 2]!];
        linAddScaled(exprs[p.taps[j]!]!, q.exprs[onX ? xi : wi]!, c.ints[onX ? wi : xi]!);
      }
      scale = q.scale + c.scale;
    }
    if (!b0) return [{ shape: p.outShape, scale, exprs }];
    if (b0.kind === 'const') {
      const bi = ctx.quantizeConst(b0.t, scale).ints;
      exprs.forEach((e, o) => (e.c += bi[p.channel(o)]!));
      return [{ shape: p.outShape, scale, exprs }];
    }
    const s = Math.max(scale, b0.t.scale);
    const y = ctx.alignUp({ shape: p.outShape, scale, exprs }, s);
    const bq = ctx.alignUp(b0.t, s);
    return [{ ...y, exprs: y.exprs.map((e, o) => linAddScaled(linAddScaled(linConst(0n), e, 1n), bq.exprs[p.channel(o)]!, 1n)) }];
  },
};
