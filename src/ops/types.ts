/**
 * The contract every op fills in (one file per op, one registry in ./index.ts):
 * the ONNX names it serves, its float reference (also used for constant folding and the float path),
 * and its lowering to the integer program (bounds and scales follow from the program builder).
 */
import type { GraphNode, Tensor } from '../ir/graph.js';
import type { ProgramBuilder } from '../quantize/program.js';
import type { Lin } from '../quantize/lin.js';

/** A quantized tensor: one linear combination per element, at a power-of-two scale (real ≈ int / 2^scale). */
export interface QTensor {
  shape: number[];
  scale: number;
  exprs: Lin[];
}

/** An op input during lowering: a constant (float) or a quantized signal tensor. */
export type Value = { kind: 'const'; t: Tensor } | { kind: 'q'; t: QTensor };

export interface LowerCtx {
  b: ProgramBuilder;
  node: GraphNode;
  /** Activation scale (bits) that rescales target. */
  scale: number;
  /** Quantize a constant: at the given scale, or at its own power-of-two scale chosen from its magnitude. */
  quantizeConst(t: Tensor, scale?: number): { ints: bigint[]; scale: number };
  /** The same tensor at a higher scale (exact: multiply by 2^(s − scale)). */
  alignUp(q: QTensor, s: number): QTensor;
  /** Rescale to the activation scale if above it (one decomposition per element), fusing ReLU. */
  requant(q: QTensor, relu: boolean): QTensor;
}

export interface OpDef {
  /** ONNX op types served. */
  onnx: string[];
  /**
   * Inputs that are trainable parameters (weights, biases) when they are initializers: with param
   * visibility private/hashed they become private signals, and the lowering must accept a signal there.
   */
  paramInputs?: number[];
  /**
   * The outputs depend only on the inputs' shapes (Shape, Size): they are constants even when an input is a
   * signal, computed by `float` on zero tensors of the signals' shapes, and later ops fold over them.
   */
  shapeOnly?: boolean;
  /** Float reference. Inputs are undefined where an optional input is absent. */
  float(node: GraphNode, inputs: (Tensor | undefined)[]): Tensor[];
  /** Integer lowering; called only when at least one input is a signal tensor. */
  lower(ctx: LowerCtx, inputs: (Value | undefined)[]): QTensor[];
}
