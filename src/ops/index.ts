/** The one registry of ops: ONNX op type → OpDef. */
import type { OpDef } from './types.js';
import { Gemm, MatMul } from './matmul.js';
import { Add, Mul, Relu } from './elementwise.js';
import { Clip, HardSigmoid, LeakyRelu, PRelu } from './activation.js';
import { Reshape } from './reshape.js';
import { Concat, Remaps } from './shape.js';
import { Conv } from './conv.js';
import { Pool } from './pool.js';
import { BatchNormalization } from './batchnorm.js';
import { Reduce, ReduceNonLinear } from './reduce.js';
import { Sigmoid, Softmax, Tanh } from './exp.js';
import { Sqrt } from './sqrt.js';
import { ArgMax } from './argmax.js';
import { TreeEnsemble } from './tree.js';
import { TreeEnsemble5 } from './tree5.js';
import { ArrayFeatureExtractor, Binarizer, LinearModel, Normalizer, PassThrough, Scaler } from './ml.js';
import { Cast } from './cast.js';
import { ConvTranspose } from './convtranspose.js';
import { ConstantOfShape, ExpandTile, ShapeOps, Split } from './layout.js';
import { Compare, Logic, Where } from './logic.js';
import { Exp, Log, Pow } from './power.js';
import { Einsum } from './einsum.js';
import { Resize } from './resize.js';
import { DynamicQuantizeLinear } from './dynquant.js';
import { LayerNormalization } from './layernorm.js';
import { Erf, Gelu } from './erf.js';
import { ConvInteger, DequantizeLinear, MatMulInteger, QLinearConv, QLinearMatMul, QuantizeLinear } from './quant.js';

const ALL: OpDef[] = [Gemm, MatMul, Add, Mul, Relu, Clip, HardSigmoid, LeakyRelu, PRelu, Reshape, Remaps, Concat, Conv, Pool, BatchNormalization, Reduce, Sigmoid, Tanh, Softmax, Sqrt, ArgMax, QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger, TreeEnsemble, TreeEnsemble5, LinearModel, Scaler, Binarizer, ArrayFeatureExtractor, PassThrough, Cast, ConvTranspose, ShapeOps, ConstantOfShape, ExpandTile, Split, Compare, Logic, Where, ReduceNonLinear, Pow, Exp, Einsum, Resize, LayerNormalization, Erf, Gelu, Log, Normalizer];

export const OPS: ReadonlyMap<string, OpDef> = new Map(ALL.flatMap((d) => d.onnx.map((n) => [n, d] as const)));

export const supportedOps = (): string[] => [...OPS.keys()].sort();
