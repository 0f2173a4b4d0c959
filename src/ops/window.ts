/**
 * Sliding-window plans shared by Conv and the pooling ops (N spatial dims, ONNX semantics): output size
 * from kernel, strides, dilations, pads / auto_pad and ceil_mode, and for every output position the input
 * position of every kernel tap. The float reference and the integer lowering read the same plan, so they
 * cannot disagree about which elements a window covers.
 */
import type { GraphNode } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { ShapeError, UnsupportedOpError } from '../errors.js';

/** Tap outside the input but inside the explicit/implicit padding. */
export const TAP_PAD = -1;
/** Tap beyond the padded input (only with ceil_mode): never counted. */
export const TAP_OUT = -2;

export interface WindowPlan {
  outSpatial: number[];
  /** Kernel taps per window. */
  kSize: number;
  /** taps[o·kSize + t] = flat spatial input index, or TAP_PAD / TAP_OUT. */
  taps: Int32Array;
}

export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [x1_begin, x2_begin, …, x1_end, x2_end, …] after auto_pad is resolved. */
  pads: number[];
  ceilMode: boolean;
}

function ints(node: GraphNode, name: string, n: number, dflt: number): number[] {
  const v = node.attrs[name];
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new UnsupportedOpError(`node '${node.name}' (${node.op}): attribute '${name}' must be a list of ints`);
  return v as number[];
}

/** Resolve kernel / strides / dilations / pads (incl. auto_pad) for the given spatial input dims. */
export function windowAttrs(node: GraphNode, inSpatial: number[], kernel: number[]): WindowAttrs {
  const n = inSpatial.length;
  if (kernel.length !== n) throw new ShapeError(`node '${node.name}' (${node.op}): kernel has ${kernel.length} dims, input has ${n} spatial dims`);
  const strides = ints(node, 'strides', n, 1);
  const dilations = ints(node, 'dilations', n, 1);
  const ceilMode = node.attrs.ceil_mode === 1;
  const autoPad = typeof node.attrs.auto_pad === 'string' ? node.attrs.auto_pad : 'NOTSET';
  let pads = ints(node, 'pads', 2 * n, 0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    for (let d = 0; d < n; d++) {
      const out = Math.ceil(inSpatial[d]! / strides[d]!);
      const total = Math.max(0, (out - 1) * strides[d]! + (kernel[d]! - 1) * dilations[d]! + 1 - inSpatial[d]!);
      const small = Math.floor(total / 2);
      pads[d] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[d + n] = total - pads[d]!;
    }
  } else if (autoPad === 'VALID') {
    pads = new Array<number>(2 * n).fill(0);
  } else if (autoPad !== 'NOTSET' && autoPad !== '') {
    throw new UnsupportedOpError(`node '${node.name}' (${node.op}): auto_pad '${autoPad}' is not supported`);
  }
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n) {
    throw new ShapeError(`node '${node.name}' (${node.op}): strides/dilations/pads do not match ${n} spatial dims`);
  }
  return { kernel, strides, dilations, pads, ceilMode };
}

export function windowPlan(node: GraphNode, inSpatial: number[], a: WindowAttrs): WindowPlan {
  const n = inSpatial.length;
  const outSpatial = inSpatial.map((len, d) => {
    const eff = (a.kernel[d]! - 1) * a.dilations[d]! + 1;
    const span = len + a.pads[d]! + a.pads[d + n]! - eff;
    if (span < 0) throw new ShapeError(`node '${node.name}' (${node.op}): kernel larger than padded input in dim ${d}`);
    let out = (a.ceilMode ? Math.ceil(span / a.strides[d]!) : Math.floor(span / a.strides[d]!)) + 1;
    // ceil_mode: a window that would start inside the end padding is dropped (ONNX / PyTorch rule)
    if (a.ceilMode && (out - 1) * a.strides[d]! >= len + a.pads[d]!) out--;
    return out;
  });
  const kSize = sizeOf(a.kernel);
  const nOut = sizeOf(outSpatial);
  const taps = new Int32Array(nOut * kSize);
  const inStr = stridesOf(inSpatial);
  const oStr = stridesOf(outSpatial);
  const kStr = stridesOf(a.kernel);
  for (let o = 0; o < nOut; o++) {
    for (let t = 0; t < kSize; t++) {
      let flat = 0;
      let status = 0; // 0 in, 1 pad, 2 out
      for (let d = 0; d < n; d++) {
        const od = Math.floor(o / oStr[d]!) % outSpatial[d]!;
        const kd = Math.floor(t / kStr[d]!) % a.kernel[d]!;
        const pos = od * a.strides[d]! - a.pads[d]! + kd * a.dilations[d]!;
        if (pos < -a.pads[d]! || pos >= inSpatial[d]! + a.pads[d + n]!) status = 2;
        else if (pos < 0 || pos >= inSpatial[d]!) status = Math.max(status, 1);
        else flat += pos * inStr[d]!;
      }
      taps[o * kSize + t] = status === 0 ? flat : status === 1 ? TAP_PAD : TAP_OUT;
    }
  }
  return { outSpatial, kSize, taps };
}
