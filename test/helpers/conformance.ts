/** Reading the shared conformance data (../shared/conformance, ONNX backend-test layout). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTensorProto } from '../../src/import/onnx.js';
import type { Tensor } from '../../src/ir/graph.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CONFORMANCE = path.resolve(ROOT, '..', 'shared', 'conformance');

export interface DataSet {
  dir: string;
  inputs: Tensor[];
  outputs: Tensor[];
}

export function caseDir(...parts: string[]): string {
  return path.join(CONFORMANCE, ...parts);
}

export function loadDataSets(dir: string): DataSet[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => {
      const full = path.join(dir, d);
      const read = (prefix: string) =>
        readdirSync(full)
          .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
          .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
          .map((f) => loadTensorProto(readFileSync(path.join(full, f)), f));
      return { dir: full, inputs: read('input_'), outputs: read('output_') };
    });
}

/** EZKL's own error level for a network (ezkl_vs_ort.tsv), undefined where not listed. */
export function ezklError(name: string): number | undefined {
  const tsv = readFileSync(caseDir('models', 'ezkl', 'ezkl_vs_ort.tsv'), 'utf8');
  const line = tsv.split('\n').find((l) => l.startsWith(`${name}\t`));
  const m = line?.match(/= ([0-9.e+-]+)/);
  return m ? Number(m[1]) : undefined;
}

export const hasConformance = existsSync(CONFORMANCE);
