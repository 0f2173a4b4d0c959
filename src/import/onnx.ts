/**
 * ONNX front end: model bytes → float graph IR. Reads initializers in `raw_data` (little-endian) and
 * in the typed `*_data` fields, Constant nodes, opsets as found in the conformance data, and resolves
 * symbolic dimensions (a batch dimension becomes 1).
 */
import { createRequire } from 'node:module';
import type { Graph, GraphNode, Tensor, AttrValue, ValueInfo } from '../ir/graph.js';
import { sizeOf, topoSort } from '../ir/graph.js';
import { ModelParseError } from '../errors.js';

const require = createRequire(import.meta.url);
// onnx-proto is a CommonJS protobufjs static module.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { onnx } = require('onnx-proto') as { onnx: any };

type Longish = number | { toNumber(): number } | string;
const num = (x: Longish | null | undefined): number =>
  x == null ? 0 : typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : x.toNumber();

export const ML_DOMAIN = 'ai.onnx.ml';

const DTYPE: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

export const dtypeName = (code: number): string => DTYPE[code] ?? `dtype#${code}`;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decode an onnx.TensorProto (raw_data or typed fields) to a float64 tensor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function tensorFromProto(t: any, where: string): Tensor {
  const shape: number[] = (t.dims ?? []).map(num);
  const n = sizeOf(shape);
  const dt: number = t.dataType ?? 0;
  const data = new Float64Array(n);
  const dtype = dtypeName(dt);
  const raw: Uint8Array | undefined = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (t.dataLocation === 1) throw new ModelParseError(`${where}: tensor '${t.name}' uses external data`, { hint: 'save the model with weights embedded (onnx.save(..., save_as_external_data=False))' });
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
    const w = width[dt];
    if (!w) throw new ModelParseError(`${where}: tensor '${t.name}' has unsupported data type ${dtypeName(dt)}`);
    if (raw.byteLength !== n * w) throw new ModelParseError(`${where}: tensor '${t.name}' has ${raw.byteLength} bytes of raw_data, expected ${n * w} for shape [${shape}] of ${dtypeName(dt)}`, { hint: 'the file may be truncated or corrupt' });
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (dt) {
        case 1: data[i] = dv.getFloat32(o, true); break;
        case 2: case 9: data[i] = dv.getUint8(o); break;
        case 3: data[i] = dv.getInt8(o); break;
        case 4: data[i] = dv.getUint16(o, true); break;
        case 5: data[i] = dv.getInt16(o, true); break;
        case 6: data[i] = dv.getInt32(o, true); break;
        case 7: data[i] = Number(dv.getBigInt64(o, true)); break;
        case 10: data[i] = halfToFloat(dv.getUint16(o, true)); break;
        case 16: data[i] = new Float32Array(new Uint32Array([dv.getUint16(o, true) << 16]).buffer)[0]!; break;
        case 11: data[i] = dv.getFloat64(o, true); break;
        case 12: data[i] = dv.getUint32(o, true); break;
        case 13: data[i] = Number(dv.getBigUint64(o, true)); break;
      }
    }
    return { shape, data, dtype };
  }
  let src: ArrayLike<Longish>;
  if (dt === 1) src = t.floatData;
  else if (dt === 11) src = t.doubleData;
  else if (dt === 7) src = t.int64Data;
  else if (dt === 13 || dt === 12) src = t.uint64Data;
  else if ([2, 3, 4, 5, 6, 9, 10, 16].includes(dt)) src = t.int32Data;
  else throw new ModelParseError(`${where}: tensor '${t.name}' has unsupported data type ${dtypeName(dt)}`);
  src = src ?? [];
  if (src.length !== n) throw new ModelParseError(`${where}: tensor '${t.name}' has ${src.length} values, expected ${n} for shape [${shape}]`, { hint: 'the file may be truncated or corrupt' });
  for (let i = 0; i < n; i++) {
    const v = num(src[i]);
    data[i] = dt === 10 ? halfToFloat(v) : dt === 16 ? new Float32Array(new Uint32Array([v << 16]).buffer)[0]! : v;
  }
  return { shape, data, dtype };
}

/** Decode a serialized onnx.TensorProto (`.pb` file of the ONNX backend-test layout). */
export function loadTensorProto(bytes: Uint8Array, fileName: string): Tensor & { name: string; dtype: string } {
  let t;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new ModelParseError(`${fileName}: not a serialized ONNX TensorProto (${(e as Error).message})`, { cause: e });
  }
  const out = tensorFromProto(t, fileName);
  return { ...out, name: t.name ?? '', dtype: dtypeName(t.dataType ?? 0) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function attrValue(a: any, where: string): AttrValue {
  switch (a.type) {
    case 1: return a.f ?? 0;
    case 2: return num(a.i);
    case 3: return Buffer.from(a.s ?? []).toString('utf8');
    case 4: return tensorFromProto(a.t, where);
    case 6: return (a.floats ?? []).map(Number);
    case 7: return (a.ints ?? []).map(num);
    case 8: return (a.strings ?? []).map((s: Uint8Array) => Buffer.from(s).toString('utf8'));
    default:
      // Older exporters leave `type` unset: infer it from the populated field.
      if (a.ints?.length) return a.ints.map(num);
      if (a.floats?.length) return a.floats.map(Number);
      if (a.t) return tensorFromProto(a.t, where);
      if (a.s?.length) return Buffer.from(a.s).toString('utf8');
      if (a.i != null && num(a.i) !== 0) return num(a.i);
      return a.f ?? 0;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function valueInfo(v: any): ValueInfo & { dtype: string; symbolic: number[] } {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  const symbolic: number[] = [];
  dims.forEach((d: { dimValue?: Longish }, i: number) => num(d.dimValue) > 0 || symbolic.push(i));
  // Symbolic (batch) dimensions resolve to 1: zkinfer proves one inference at a time.
  const shape = dims.map((d: { dimValue?: Longish; dimParam?: string }) => {
    const x = num(d.dimValue);
    return x > 0 ? x : 1;
  });
  return { name: v.name, shape, dtype: dtypeName(tt?.elemType ?? 1), symbolic };
}

/** The value of a Constant node (value, value_float(s), value_int(s)). */
function constantValue(attrs: Record<string, AttrValue>, where: string): Tensor {
  const v = attrs.value;
  if (v !== undefined && typeof v === 'object' && !Array.isArray(v)) return v;
  for (const k of ['value_float', 'value_int']) {
    if (typeof attrs[k] === 'number') return { shape: [], data: new Float64Array([attrs[k] as number]) };
  }
  for (const k of ['value_floats', 'value_ints']) {
    const xs = attrs[k];
    if (Array.isArray(xs)) return { shape: [xs.length], data: Float64Array.from(xs as number[]) };
  }
  throw new ModelParseError(`${where}: unsupported Constant value (${Object.keys(attrs).join(', ') || 'none'})`);
}

/**
 * Parse ONNX model bytes into the float graph IR.
 * @example const graph = parseOnnx(readFileSync('model.onnx'), 'model.onnx');
 */
export function parseOnnx(bytes: Uint8Array, fileName: string): Graph {
  if (bytes.byteLength === 0) throw new ModelParseError(`${fileName}: file is empty`, { hint: 'pass an ONNX model (.onnx)' });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let m: any;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelParseError(`${fileName}: not a valid ONNX model (${(e as Error).message})`, { hint: 'the file may be truncated, or not an .onnx file', cause: e });
  }
  const g = m.graph;
  if (!g || !(g.node?.length > 0) || !(g.output?.length > 0)) {
    throw new ModelParseError(`${fileName}: not a valid ONNX model (no graph, nodes or outputs found)`, { hint: 'the file may be truncated, or not an .onnx file' });
  }
  const opsetEntry = (m.opsetImport ?? []).find((o: { domain?: string }) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? num(opsetEntry.version) : 1;
  const constants = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) constants.set(t.name, tensorFromProto(t, `${fileName}: initializer`));
  const nodes: GraphNode[] = [];
  (g.node as unknown[]).forEach((raw, idx) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const n = raw as any;
    const name: string = n.name || `${n.opType}_${idx}`;
    // ai.onnx.ml (scikit-learn / XGBoost / LightGBM exports) shares no op name with ai.onnx: its ops keep their
    // plain names; other domains stay qualified (and unsupported, by name).
    if (n.domain && n.domain !== 'ai.onnx' && n.domain !== ML_DOMAIN) {
      nodes.push({ name, op: `${n.domain}.${n.opType}`, inputs: n.input ?? [], outputs: n.output ?? [], attrs: {} });
      return;
    }
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name] = attrValue(a, `${fileName}: node '${name}' attribute '${a.name}'`);
    if (n.opType === 'Constant') {
      constants.set(n.output[0], constantValue(attrs, `${fileName}: node '${name}' (Constant)`));
      return;
    }
    // Softmax before opset 13 flattens to 2-D at `axis` (default 1); from 13 it acts on one axis (default −1).
    if (n.opType === 'Softmax' && opset < 13) attrs.coerce_2d = 1;
    // Resize of opset 10 takes (X, scales) and maps coordinates asymmetrically
    if (n.opType === 'Resize' && opset < 11) attrs.opset10 = 1;
    nodes.push({ name, op: n.opType, inputs: n.input ?? [], outputs: n.output ?? [], attrs });
  });
  const inputs = (g.input ?? []).map(valueInfo).filter((v: ValueInfo) => !constants.has(v.name));
  const outputs = (g.output ?? []).map(valueInfo);
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key] = p.value;
  const sorted = topoSort(nodes, [...constants.keys(), ...inputs.map((v: ValueInfo) => v.name)]);
  return { name: g.name || fileName, inputs, outputs, constants, nodes: sorted, opset, metadata };
}
