/**
 * Reading user inputs: JSON (`{"input": nested arrays}`, EZKL's `{"input_data": [[...]]}`, or a
 * name → array object) or a serialized ONNX TensorProto (`.pb`). Every value is checked: finite,
 * right count, and inside the range the circuit was compiled for.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import { loadTensorProto } from '../import/onnx.js';
import { ZkinferError } from '../errors.js';
import { checkTensor } from '../quantize/input.js';
import type { InputTensorSpec } from '../quantize/input.js';

function flatten(x: unknown, out: number[], where: string): number[] {
  if (Array.isArray(x)) {
    for (const v of x) flatten(v, out, where);
  } else if (typeof x === 'number') {
    out.push(x);
  } else if (x === null || x === 'NaN') {
    out.push(NaN); // JSON has no NaN; null (or Python's bare NaN, quoted on parse) is how it arrives
  } else if (x === 'Infinity' || x === '-Infinity') {
    out.push(x === 'Infinity' ? Infinity : -Infinity);
  } else {
    throw new InputError(`${where}: expected numbers or nested arrays of numbers, found ${typeof x}`);
  }
  return out;
}

/** Nested-array shape (for the error message when counts differ). */
function nestedShape(x: unknown): number[] {
  const s: number[] = [];
  let cur = x;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0];
  }
  return s;
}

/** Shapes of the tensors in an input file (for resolving symbolic batch dimensions from samples). */
export function readInputShapes(path: string, count: number): number[][] | undefined {
  try {
    const bytes = readFileSync(path);
    if (path.endsWith('.pb')) return [loadTensorProto(bytes, path).shape];
    const obj = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if ('input' in obj) return count === 1 ? [nestedShape(obj.input)] : (obj.input as unknown[]).map(nestedShape);
    return undefined; // EZKL's input_data is flat: no shape to learn from
  } catch {
    return undefined;
  }
}

/**
 * Parse an input file into one flat float array per graph input (in spec order).
 * @example const xs = readInputFile('input.json', specs);
 */
export function readInputFile(path: string, specs: InputTensorSpec[]): number[][] {
  if (existsSync(path) && statSync(path).isDirectory()) {
    // ONNX backend-test layout: DIR/input_0.pb, input_1.pb, … in graph input order
    const files = readdirSync(path).filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => Number(a.slice(6, -3)) - Number(b.slice(6, -3)));
    if (files.length !== specs.length) throw new InputError(`${path}: found ${files.length} input_K.pb file(s), the model has ${specs.length} input(s)`);
    return files.map((f, i) => readInputFile(join(path, f), [specs[i]!])[0]!);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read input file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const name = basename(path);
  if (name.endsWith('.pb')) {
    if (specs.length !== 1) throw new InputError(`${path}: a .pb file holds one tensor, but the model has ${specs.length} inputs`, { hint: 'use a JSON input file with one array per input' });
    let t;
    try {
      t = loadTensorProto(bytes, path);
    } catch (e) {
      throw e instanceof ZkinferError ? new InputError(e.message) : e;
    }
    return [checkTensor(Array.from(t.data), t.shape, specs[0]!, path)];
  }
  let doc: unknown;
  const text = bytes.toString('utf8');
  try {
    try {
      doc = JSON.parse(text);
    } catch {
      // Python's json.dump writes bare NaN / Infinity: read them so they get a precise error below.
      doc = JSON.parse(text.replace(/(?<=[[,:\s])(-?Infinity|NaN)(?=[\s,\]}])/g, '"$1"'));
    }
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`, { hint: 'expected {"input": [[...]]} or a .pb TensorProto' });
  }
  return parseInputDoc(doc, specs, path);
}

/**
 * A parsed input document (`{"input": …}`, `{"input_data": …}` or one field per input) as one flat,
 * checked float array per graph input; `where` names the source in errors (a file, a request body).
 * @example const xs = parseInputDoc({ input: [[0, 1, 2]] }, specs, 'request body');
 */
export function parseInputDoc(doc: unknown, specs: InputTensorSpec[], path: string): number[][] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`${path}: expected a JSON object such as {"input": [[...]]}`);
  const obj = doc as Record<string, unknown>;
  let arrays: unknown[];
  if ('input' in obj) arrays = specs.length === 1 ? [obj.input] : (obj.input as unknown[]);
  else if ('input_data' in obj) arrays = obj.input_data as unknown[];
  else if (specs.every((s) => s.name in obj)) arrays = specs.map((s) => obj[s.name]);
  else throw new InputError(`${path}: no "input" or "input_data" field, and no field per input (${specs.map((s) => s.name).join(', ')})`, { hint: 'write {"input": [[...]]}' });
  if (!Array.isArray(arrays) || arrays.length !== specs.length) {
    const batch = specs.length > 1 && specs.every((s) => /#\d+$/.test(s.name)); // a batch circuit: inputs <name>#k (compose/batch.ts)
    throw new InputError(`${path}: expected ${specs.length} input array(s), found ${Array.isArray(arrays) ? arrays.length : typeof arrays}`, batch ? { hint: `the circuit proves a batch: give one array per inference (and model input), in the order ${specs.map((s) => s.name).slice(0, 3).join(', ')}, …, as {"input_data": [x0, x1, …]}, or compile with another --batch` } : undefined);
  }
  return specs.map((spec, i) => {
    const where = `${path}: input '${spec.name}'`;
    return checkTensor(flatten(arrays[i], [], where), nestedShape(arrays[i]), spec, path);
  });
}
