/**
 * Issue 14's property on a fast subset of random graphs (test/helpers/random-graphs.ts, small profile): each
 * compiled at default settings and with calibration, dev setup, Groth16 proof, verification. Every receipt
 * verifies and every output is within 2^-6·(1 + max|onnxruntime output|), or compile declared before proving
 * that calibration could not meet its target (and the defaults do no better). The full run (≥ 500 graphs, with
 * a summary by failure class) is `npm run proptest -- --seed S --count N`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { randomGraph } from './helpers/random-graphs.js';
import { FAILURES, runGraph, workRoot } from './helpers/proptest.js';
import { terminateCurve } from './helpers/pipeline.js';

const SEED = 14;
const COUNT = 24;
const root = workRoot('test');
const cacheDir = path.join(os.tmpdir(), 'zkinfer-test-cache');

describe(`random graphs (seed ${SEED}): every receipt verifies, outputs within 2^-6·(1 + max|ref|)`, () => {
  afterAll(async () => {
    await terminateCurve();
    rmSync(root, { recursive: true, force: true });
  });
  for (let i = 0; i < COUNT; i++) {
    const g = randomGraph(SEED, i, { small: true });
    it(`${g.id}: ${g.description}`, async () => {
      const results = await runGraph(g, { root, cacheDir });
      for (const r of results) expect(FAILURES.includes(r.outcome) ? `${r.mode}: ${r.outcome}: ${r.detail}` : 'ok').toBe('ok');
    });
  }
});
