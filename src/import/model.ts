/** Model file → float graph IR, by format: a TF.js layers model.json (JSON) or an ONNX protobuf. */
import type { Graph } from '../ir/graph.js';
import { parseOnnx } from './onnx.js';
import { isTfjsModel, parseTfjs } from './tfjs.js';

/**
 * Parse a model file's bytes, detecting the format (TF.js weight files are read next to `filePath`).
 * @example const graph = parseModel(readFileSync('model.json'), 'model.json');
 */
export const parseModel = (bytes: Uint8Array, filePath: string): Graph => (isTfjsModel(bytes) ? parseTfjs(bytes, filePath) : parseOnnx(bytes, filePath));
