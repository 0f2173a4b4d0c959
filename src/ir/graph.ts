/**
 * Float graph IR: what an importer (ONNX, TF.js) produces and every later stage reads.
 * Shapes are fully resolved (symbolic batch dimensions become 1); constants are float64.
 */

/** A dense float tensor, row-major. */
export interface Tensor {
  shape: number[];
  data: Float64Array;
  /** Element type in the file (e.g. `uint8`) where it matters: integer ops take their output range from it. */
  dtype?: string;
}

export type AttrValue = number | string | number[] | string[] | Tensor;

export interface GraphNode {
  /** Unique name (the ONNX node name, or `<op>_<index>` when the file has none). */
  name: string;
  /** The ONNX op type, e.g. `Gemm`. */
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  shape: number[];
  /** Dimensions that were symbolic in the file (resolved to 1 unless sample inputs say otherwise). */
  symbolic?: number[];
  /** Element type in the file (`float32`, `uint8`, …): integer-typed inputs are exact integers (scale 0). */
  dtype?: string;
}

/** Inclusive value range of an integer element type; undefined for float types. */
export function intRange(dtype: string | undefined): [number, number] | undefined {
  const r: Record<string, [number, number]> = {
    uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1], bool: [0, 1],
  };
  return dtype === undefined ? undefined : r[dtype];
}

export interface Graph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Initializers and Constant-node values, by tensor name. */
  constants: Map<string, Tensor>;
  nodes: GraphNode[];
  opset: number;
  metadata: Record<string, string>;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const tensor = (shape: number[], data?: ArrayLike<number>): Tensor => {
  const n = sizeOf(shape);
  const t = { shape: [...shape], data: new Float64Array(n) };
  if (data) {
    if (data.length !== n) throw new Error(`tensor: ${data.length} values for shape [${shape}]`);
    t.data.set(data);
  }
  return t;
};

/** Row-major strides of a shape. */
export const stridesOf = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
};

export const fmtShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/**
 * Nodes in a dependency order (stable: file order where the file is already sorted). Some exporters
 * write nodes in reverse; every later stage walks nodes in order.
 */
export function topoSort(nodes: GraphNode[], available: Iterable<string>): GraphNode[] {
  const have = new Set(available);
  const out: GraphNode[] = [];
  let rest = nodes;
  while (rest.length) {
    const next: GraphNode[] = [];
    for (const n of rest) {
      if (n.inputs.every((i) => i === '' || have.has(i))) {
        out.push(n);
        n.outputs.forEach((o) => have.add(o));
      } else next.push(n);
    }
    if (next.length === rest.length) return [...out, ...next]; // a cycle or a missing input: reported later, by name
    rest = next;
  }
  return out;
}
