/** The one registry of ops: ONNX op type → OpDef. */
import type { OpDef } from './types.js';
import { Gemm, MatMul } from './matmul.js';
import { Add, Relu } from './elementwise.js';
import { Reshape } from './reshape.js';

const ALL: OpDef[] = [Gemm, MatMul, Add, Relu, Reshape];

export const OPS: ReadonlyMap<string, OpDef> = new Map(ALL.flatMap((d) => d.onnx.map((n) => [n, d] as const)));

export const supportedOps = (): string[] => [...OPS.keys()].sort();
