/**
 * Minimal ONNX writer: builds a ModelProto from plain JS data and serializes it
 * with the static protobuf code shipped by `onnx-proto` (ONNX v1.10 schema).
 *
 * - ir_version 8, default opset 13 (domain "").
 * - Initializers are stored as raw_data, little-endian (FLOAT or INT64).
 * - Graph inputs/outputs are FLOAT tensors unless `elemType` says otherwise;
 *   a string dimension becomes a symbolic `dim_param`.
 * - Attributes: a plain integer number → INT, a non-integer number → FLOAT,
 *   an all-integer array → INTS, otherwise FLOATS, a string → STRING, `{ strings }` → STRINGS, `{ tensor }` → TENSOR. Because
 *   `1` and `1.0` are the same JS number, float attributes with integral
 *   values (e.g. Gemm alpha=1) must be wrapped: `{ float: 1 }` / `{ floats: [...] }`
 *   (and `{ int: n }` / `{ ints: [...] }` exist for symmetry).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT64: 7,
  DOUBLE: 11,
} as const;

export type OnnxAttributeValue =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { int: number }
  | { ints: number[] }
  | { strings: string[] }
  /** A TENSOR attribute (e.g. ai.onnx.ml TreeEnsemble's nodes_modes, nodes_splits, leaf_weights). */
  | { tensor: OnnxInitializer };

export interface OnnxValueInfo {
  name: string;
  /** Dimensions; a string is a symbolic dimension (dim_param). */
  shape: (number | string)[];
  /** TensorProto.DataType, default FLOAT (1). */
  elemType?: number;
}

export interface OnnxInitializer {
  name: string;
  shape: number[];
  /** Float32Array → FLOAT, Float64Array → DOUBLE, BigInt64Array → INT64, Uint8Array → UINT8. Stored as little-endian raw_data. */
  data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
}

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttributeValue>;
  /** Operator domain, default "" (ai.onnx). */
  domain?: string;
}

export interface OnnxModelSpec {
  graphName: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  nodes: OnnxNode[];
  /** ai.onnx opset version, default 13. */
  opset?: number;
  /** Other operator sets, e.g. `{ 'ai.onnx.ml': 3 }` for the tree / linear models of ONNX-ML. */
  domains?: Record<string, number>;
  metadata?: Record<string, string>;
  /** producer_name, default "zkinfer". */
  producer?: string;
  producerVersion?: string;
  docString?: string;
}

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 13;

const AttrType = onnx.AttributeProto.AttributeType;

function valueInfo(v: OnnxValueInfo): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType ?? OnnxDataType.FLOAT,
        shape: {
          dim: v.shape.map((d) => {
            if (typeof d === 'string') return { dimParam: d };
            if (!Number.isInteger(d) || d < 0) {
              throw new Error(`value ${v.name}: invalid dimension ${d}`);
            }
            return { dimValue: d };
          }),
        },
      },
    },
  });
}

function tensor(init: OnnxInitializer): InstanceType<typeof onnx.TensorProto> {
  const { name, shape, data } = init;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`initializer ${name}: invalid dimension ${d}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`initializer ${name}: shape [${shape}] has ${count} elements but data has ${data.length}`);
  }
  let raw: Uint8Array;
  let dataType: number;
  if (data instanceof Float32Array) {
    dataType = OnnxDataType.FLOAT;
    raw = new Uint8Array(data.length * 4);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  } else if (data instanceof Float64Array) {
    dataType = OnnxDataType.DOUBLE;
    raw = new Uint8Array(data.length * 8);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) dv.setFloat64(i * 8, data[i]!, true);
  } else if (data instanceof Uint8Array) {
    dataType = OnnxDataType.UINT8;
    raw = Uint8Array.from(data);
  } else if (data instanceof BigInt64Array) {
    dataType = OnnxDataType.INT64;
    raw = new Uint8Array(data.length * 8);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) dv.setBigInt64(i * 8, data[i]!, true);
  } else {
    throw new Error(`initializer ${name}: data must be a Float32Array, Float64Array, BigInt64Array or Uint8Array`);
  }
  return onnx.TensorProto.create({ name, dims: shape, dataType, rawData: raw });
}

function attribute(name: string, value: OnnxAttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const checkFinite = (x: number): number => {
    if (!Number.isFinite(x)) throw new Error(`attribute ${name}: non-finite value ${x}`);
    return x;
  };
  const checkInt = (x: number): number => {
    if (!Number.isSafeInteger(x)) throw new Error(`attribute ${name}: ${x} is not a safe integer`);
    return x;
  };
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: AttrType.STRING, s: new TextEncoder().encode(value) });
  }
  if (typeof value === 'number') {
    checkFinite(value);
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: AttrType.INT, i: checkInt(value) })
      : onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: value });
  }
  if (Array.isArray(value)) {
    value.forEach(checkFinite);
    return value.every((x) => Number.isInteger(x))
      ? onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: value.map(checkInt) })
      : onnx.AttributeProto.create({ name, type: AttrType.FLOATS, floats: value });
  }
  if ('float' in value) return onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: checkFinite(value.float) });
  if ('floats' in value) {
    return onnx.AttributeProto.create({ name, type: AttrType.FLOATS, floats: value.floats.map(checkFinite) });
  }
  if ('int' in value) return onnx.AttributeProto.create({ name, type: AttrType.INT, i: checkInt(value.int) });
  if ('ints' in value) return onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: value.ints.map(checkInt) });
  if ('strings' in value) return onnx.AttributeProto.create({ name, type: AttrType.STRINGS, strings: value.strings.map((x) => new TextEncoder().encode(x)) });
  if ('tensor' in value) return onnx.AttributeProto.create({ name, type: AttrType.TENSOR, t: tensor(value.tensor) });
  throw new Error(`attribute ${name}: unsupported value ${JSON.stringify(value)}`);
}

/** Checks names are unique and the node list is topologically ordered. */
function validate(spec: OnnxModelSpec): void {
  const defined = new Set<string>();
  const define = (n: string, what: string): void => {
    if (!n) throw new Error(`${what}: empty name`);
    if (defined.has(n)) throw new Error(`${what}: name "${n}" defined twice`);
    defined.add(n);
  };
  for (const i of spec.inputs) define(i.name, 'graph input');
  for (const t of spec.initializers) define(t.name, 'initializer');
  const nodeNames = new Set<string>();
  for (const node of spec.nodes) {
    if (nodeNames.has(node.name)) throw new Error(`node name "${node.name}" used twice`);
    nodeNames.add(node.name);
    for (const inp of node.inputs) {
      // "" marks an omitted optional input.
      if (inp !== '' && !defined.has(inp)) {
        throw new Error(`node ${node.name} (${node.opType}): input "${inp}" is not defined before use`);
      }
    }
    for (const out of node.outputs) define(out, `node ${node.name} output`);
  }
  for (const o of spec.outputs) {
    if (!defined.has(o.name)) throw new Error(`graph output "${o.name}" is not produced by any node`);
  }
}

/** Serializes `spec` into ONNX ModelProto bytes. */
export function writeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  validate(spec);
  const graph = onnx.GraphProto.create({
    name: spec.graphName,
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: spec.initializers.map(tensor),
    node: spec.nodes.map((n) =>
      onnx.NodeProto.create({
        opType: n.opType,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
  });
  const model = onnx.ModelProto.create({
    irVersion: DEFAULT_IR_VERSION,
    opsetImport: [{ domain: '', version: spec.opset ?? DEFAULT_OPSET }, ...Object.entries(spec.domains ?? {}).map(([domain, version]) => ({ domain, version }))],
    producerName: spec.producer ?? 'zkinfer',
    producerVersion: spec.producerVersion ?? '',
    docString: spec.docString ?? '',
    graph,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  // protobufjs may hand back a Node Buffer or a view into a larger pool: return an exact, plain copy.
  return new Uint8Array(bytes);
}
