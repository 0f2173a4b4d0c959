/**
 * TF.js layers front end: model.json (modelTopology + weightsManifest) and its weight files → the same
 * float graph IR as the ONNX importer. Sequential models of Dense, Conv2D, MaxPooling2D,
 * AveragePooling2D, GlobalAverage/MaxPooling2D, Flatten, Reshape, Activation, BatchNormalization, Dropout and
 * InputLayer. TF.js is channels-last (NHWC): the input keeps its NHWC shape, a Transpose to NCHW is
 * inserted before the first spatial layer and back to NHWC before Flatten/Dense, so flattening order and
 * every value match TF.js. Conv kernels [kh, kw, in, out] become ONNX [out, in, kh, kw].
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Graph, GraphNode, Tensor, AttrValue } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { ModelParseError, UnsupportedOpError } from '../errors.js';

interface Layer {
  class_name: string;
  config: Record<string, unknown> & { name?: string };
}

/** True when the bytes look like a TF.js model.json (a JSON object with modelTopology). */
export function isTfjsModel(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b; // '{'
}

/** Read the weights of a weightsManifest (files relative to the model.json) into named float tensors. */
function loadWeights(manifest: unknown, dir: string, file: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  if (!Array.isArray(manifest)) throw new ModelParseError(`${file}: weightsManifest is missing`);
  for (const group of manifest as { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[]) {
    const bufs = group.paths.map((p) => {
      try {
        return readFileSync(path.join(dir, p));
      } catch (e) {
        throw new ModelParseError(`${file}: cannot read weight file '${p}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { hint: 'keep the weight files next to model.json' });
      }
    });
    const all = Buffer.concat(bufs);
    let off = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new UnsupportedOpError(`${file}: weight '${w.name}' is quantized (${JSON.stringify(w.quantization)}); only float32 weights are supported`);
      if (w.dtype !== 'float32') throw new UnsupportedOpError(`${file}: weight '${w.name}' has dtype ${w.dtype}; only float32 weights are supported`);
      const n = sizeOf(w.shape);
      if (off + 4 * n > all.length) throw new ModelParseError(`${file}: weight files end before '${w.name}' (need ${off + 4 * n} bytes, have ${all.length})`);
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = all.readFloatLE(off + 4 * i);
      off += 4 * n;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  return out;
}

/** Permute a constant tensor's axes. */
function permute(t: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => t.shape[p]!);
  const inStr = t.shape.map((_, i) => sizeOf(t.shape.slice(i + 1)));
  const n = sizeOf(shape);
  const data = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d]! * inStr[perm[d]!]!;
    data[o] = t.data[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data };
}

const pair = (v: unknown, dflt: number[]): number[] => (v == null ? dflt : Array.isArray(v) ? (v as number[]) : [v as number, v as number]);

/**
 * Parse a TF.js layers model.json (bytes) whose weight files sit next to it.
 * @example const graph = parseTfjs(readFileSync('model.json'), 'model.json');
 */
export function parseTfjs(bytes: Uint8Array, filePath: string): Graph {
  let json: { modelTopology?: unknown; weightsManifest?: unknown };
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new ModelParseError(`${filePath}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const topo = json.modelTopology as any;
  const model = topo?.model_config ?? topo;
  if (!model || typeof model !== 'object') throw new ModelParseError(`${filePath}: no modelTopology (not a TF.js layers model)`, { hint: 'convert graph models with tfjs-converter to a layers model, or export ONNX' });
  if (model.class_name !== 'Sequential') throw new UnsupportedOpError(`${filePath}: model class ${model.class_name} is not supported (Sequential only)`);
  const layers: Layer[] = Array.isArray(model.config) ? model.config : model.config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new ModelParseError(`${filePath}: the model has no layers`);
  const weights = loadWeights(json.weightsManifest, path.dirname(filePath), filePath);
  const weight = (layer: string, w: string): Tensor => {
    const t = weights.get(`${layer}/${w}`);
    if (!t) throw new ModelParseError(`${filePath}: layer '${layer}': weight '${layer}/${w}' is not in the weights manifest`);
    return t;
  };

  const first = layers[0]!.config;
  const bis = (first.batch_input_shape ?? first.batchInputShape) as (number | null)[] | undefined;
  if (!bis) throw new ModelParseError(`${filePath}: the first layer has no batch_input_shape`);
  const inShape = bis.map((d) => d ?? 1);
  const inputName = `${first.name ?? 'input'}_input`;
  const constants = new Map<string, Tensor>();
  const nodes: GraphNode[] = [];
  let cur = inputName;
  let shape = [...inShape];
  let nchw = false; // the current tensor is a transposed NCHW view of TF's NHWC
  let k = 0;
  const add = (op: string, inputs: string[], attrs: Record<string, AttrValue>, name: string, outShape: number[]): void => {
    const out = `${name}:${k++}`;
    nodes.push({ name: `${name}/${op}`, op, inputs, outputs: [out], attrs });
    cur = out;
    shape = outShape;
  };
  const toNchw = (name: string) => {
    if (nchw || shape.length !== 4) return;
    add('Transpose', [cur], { perm: [0, 3, 1, 2] }, name, [shape[0]!, shape[3]!, shape[1]!, shape[2]!]);
    nchw = true;
  };
  const toNhwc = (name: string) => {
    if (!nchw) return;
    add('Transpose', [cur], { perm: [0, 2, 3, 1] }, name, [shape[0]!, shape[2]!, shape[3]!, shape[1]!]);
    nchw = false;
  };
  const constant = (name: string, t: Tensor): string => {
    constants.set(name, t);
    return name;
  };
  const activation = (act: unknown, name: string): void => {
    const a = (act ?? 'linear') as string;
    if (a === 'linear') return;
    const ops: Record<string, [string, Record<string, AttrValue>]> = {
      relu: ['Relu', {}],
      sigmoid: ['Sigmoid', {}],
      tanh: ['Tanh', {}],
      relu6: ['Clip', { min: 0, max: 6 }],
      hardSigmoid: ['HardSigmoid', { alpha: 0.2, beta: 0.5 }],
      hard_sigmoid: ['HardSigmoid', { alpha: 0.2, beta: 0.5 }],
      softmax: ['Softmax', { axis: nchw ? 1 : -1 }],
    };
    const op = ops[a];
    if (!op) throw new UnsupportedOpError(`${filePath}: layer '${name}': activation '${a}' is not supported`, { hint: `supported: linear, ${Object.keys(ops).join(', ')}` });
    add(op[0], [cur], op[1], name, shape);
  };
  /** Spatial output size for TF padding 'valid' / 'same'. */
  const spatial = (n: number, kk: number, s: number, d: number, pad: string) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - (kk - 1) * d - 1) / s) + 1);

  for (const layer of layers) {
    const c = layer.config;
    const name = c.name ?? `${layer.class_name}_${k}`;
    switch (layer.class_name) {
      case 'InputLayer':
      case 'Dropout':
      case 'SpatialDropout2D':
        break;
      case 'Dense': {
        toNhwc(name);
        if (shape.length !== 2) throw new UnsupportedOpError(`${filePath}: layer '${name}' (Dense): input of rank ${shape.length}; only rank 2 (add a Flatten)`);
        const W = weight(name, 'kernel');
        const units = W.shape[1]!;
        add('MatMul', [cur, constant(`${name}/kernel`, W)], {}, name, [shape[0]!, units]);
        if (c.use_bias !== false) add('Add', [cur, constant(`${name}/bias`, weight(name, 'bias'))], {}, name, shape);
        activation(c.activation, name);
        break;
      }
      case 'Conv2D': {
        if (c.data_format === 'channels_first') throw new UnsupportedOpError(`${filePath}: layer '${name}' (Conv2D): channels_first is not supported`);
        toNchw(name);
        const W = weight(name, 'kernel'); // [kh, kw, in, out]
        const [kh, kw, , out] = W.shape as [number, number, number, number];
        const strides = pair(c.strides, [1, 1]);
        const dil = pair(c.dilation_rate, [1, 1]);
        const pad = (c.padding as string) ?? 'valid';
        const inputs = [cur, constant(`${name}/kernel`, permute(W, [3, 2, 0, 1]))];
        if (c.use_bias !== false) inputs.push(constant(`${name}/bias`, weight(name, 'bias')));
        const oh = spatial(shape[2]!, kh, strides[0]!, dil[0]!, pad);
        const ow = spatial(shape[3]!, kw, strides[1]!, dil[1]!, pad);
        add('Conv', inputs, { kernel_shape: [kh, kw], strides, dilations: dil, auto_pad: pad === 'same' ? 'SAME_UPPER' : 'VALID' }, name, [shape[0]!, out, oh, ow]);
        activation(c.activation, name);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        toNchw(name);
        const ks = pair(c.pool_size, [2, 2]);
        const strides = pair(c.strides, ks);
        const pad = (c.padding as string) ?? 'valid';
        const op = layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        const oh = spatial(shape[2]!, ks[0]!, strides[0]!, 1, pad);
        const ow = spatial(shape[3]!, ks[1]!, strides[1]!, 1, pad);
        // TF's 'same' average pooling divides by the valid count (count_include_pad = 0, the ONNX default)
        add(op, [cur], { kernel_shape: ks, strides, auto_pad: pad === 'same' ? 'SAME_UPPER' : 'VALID' }, name, [shape[0]!, shape[1]!, oh, ow]);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        toNchw(name);
        const op = layer.class_name === 'GlobalMaxPooling2D' ? 'GlobalMaxPool' : 'GlobalAveragePool';
        add(op, [cur], {}, name, [shape[0]!, shape[1]!, 1, 1]);
        add('Flatten', [cur], { axis: 1 }, name, [shape[0]!, shape[1]!]);
        nchw = false;
        break;
      }
      case 'Flatten': {
        toNhwc(name);
        add('Flatten', [cur], { axis: 1 }, name, [shape[0]!, sizeOf(shape.slice(1))]);
        break;
      }
      case 'Reshape': {
        toNhwc(name);
        const target = [shape[0]!, ...(c.target_shape as number[])];
        add('Reshape', [cur, constant(`${name}/shape`, { shape: [target.length], data: Float64Array.from(target) })], {}, name, target);
        break;
      }
      case 'Activation':
        activation(c.activation, name);
        break;
      case 'ReLU':
        activation('relu', name);
        break;
      case 'BatchNormalization': {
        const axis = (Array.isArray(c.axis) ? c.axis[0] : c.axis) ?? -1;
        if (axis !== -1 && axis !== shape.length - 1) throw new UnsupportedOpError(`${filePath}: layer '${name}' (BatchNormalization): axis ${axis} is not supported (channels-last only)`);
        if (shape.length === 4) toNchw(name);
        const mean = weight(name, 'moving_mean');
        const n = mean.data.length;
        const ones = { shape: [n], data: new Float64Array(n).fill(1) };
        const zeros = { shape: [n], data: new Float64Array(n) };
        const gamma = c.scale === false ? ones : weight(name, 'gamma');
        const beta = c.center === false ? zeros : weight(name, 'beta');
        const ins = [cur, constant(`${name}/gamma`, gamma), constant(`${name}/beta`, beta), constant(`${name}/moving_mean`, mean), constant(`${name}/moving_variance`, weight(name, 'moving_variance'))];
        add('BatchNormalization', ins, { epsilon: (c.epsilon as number) ?? 1e-3 }, name, shape);
        break;
      }
      default:
        throw new UnsupportedOpError(`${filePath}: layer '${name}' has class ${layer.class_name}, which the TF.js importer does not support`, {
          hint: 'supported: Dense, Conv2D, MaxPooling2D, AveragePooling2D, Global*Pooling2D, Flatten, Reshape, Activation, ReLU, BatchNormalization, Dropout, InputLayer',
        });
    }
  }
  toNhwc('output');
  return {
    name: (model.config?.name as string) ?? path.basename(filePath),
    inputs: [{ name: inputName, shape: inShape }],
    outputs: [{ name: cur, shape }],
    constants,
    nodes,
    opset: 13,
    metadata: {},
  };
}
