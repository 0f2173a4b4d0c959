/**
 * `--segments auto` picks the fewest segments within the limits (it starts its search at the bound the steps' constraints
 * and predicted memory give); circom2 out of memory is a typed error.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { planSegments } from '../src/compose/segments.js';
import { countConstraints } from '../src/estimate/constraints.js';
import { caseDir } from './helpers/conformance.js';
import { tinyMlp } from './helpers/tiny-mlp.js';
import { tempDir } from './helpers/pipeline.js';
import { MEMORY_FIT, MEMORY_LOWER, memoryFeatures, predictCircomMemoryMB, sourceMemoryFeatures } from '../src/compose/memory.js';
import { generateCircom } from '../src/codegen/circom.js';
import { PACKAGE_ROOT as ROOT } from '../src/compile.js';
import { estimateSegments } from '../src/compose/estimate.js';
import { compileSegmented } from '../src/compose/compile.js';
import { compilerMemoryFailure } from '../src/toolchain/circom.js';
import { CompilerMemoryError } from '../src/errors.js';

describe('planSegments auto', () => {
  it('the fewest segments each within maxConstraints', () => {
    const model = path.join(caseDir('models', 'mnist-8'), 'model.onnx');
    const q = quantizeModel({ modelPath: model, inputRange: [0, 255], inputScale: 0, scale: 4, paramBits: 8 }, readModelFile(model), []);
    const total = countConstraints({ program: q.program, layout: q.layout }).total;
    const max = Math.ceil(total * 0.4);
    const segs = planSegments(q.program, q.layout.visibility, { segments: 'auto', maxConstraints: max });
    expect(segs.length).toBeGreaterThanOrEqual(3);
    for (const s of segs) expect(s.constraints).toBeLessThanOrEqual(max);
    const fewer = planSegments(q.program, q.layout.visibility, { segments: segs.length - 1 });
    expect(Math.max(...fewer.map((s) => s.constraints))).toBeGreaterThan(max);
  });
});

describe("segments within circom2's memory", () => {
  const work = tempDir('zkinfer-segmem-');
  const model = tinyMlp(work, 1);
  const q = quantizeModel({ modelPath: model }, readModelFile(model), []);

  it('auto cuts so that each segment stays within the predicted-memory budget (option or $ZKINFER_SEGMENT_MEMORY_MB)', () => {
    const mlp = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');
    const m = quantizeModel({ modelPath: mlp }, readModelFile(mlp), []);
    const whole = planSegments(m.program, m.layout.visibility, { segments: 1 })[0]!;
    const source = sourceMemoryFeatures(generateCircom(whole.program, { layout: whole.layout }));
    expect(whole.memoryMB).toBeCloseTo(predictCircomMemoryMB({ ...memoryFeatures(whole.program, whole.layout), ...source }), 6);
    expect(planSegments(m.program, m.layout.visibility, { segments: 'auto' })).toHaveLength(1); // default: 3 GiB
    const budget = MEMORY_FIT.intercept + (whole.memoryMB - MEMORY_FIT.intercept) * 0.75;
    const segs = planSegments(m.program, m.layout.visibility, { segments: 'auto', memoryBudgetMB: budget });
    expect(segs.length).toBeGreaterThanOrEqual(2);
    for (const s of segs) expect(s.memoryMB).toBeLessThanOrEqual(budget);
    process.env.ZKINFER_SEGMENT_MEMORY_MB = String(budget);
    try {
      expect(planSegments(m.program, m.layout.visibility, { segments: 'auto' }).map((s) => s.from)).toEqual(segs.map((s) => s.from));
    } finally {
      delete process.env.ZKINFER_SEGMENT_MEMORY_MB;
    }
  });

  it('a step alone over the budget is a typed error naming its node', () => {
    const e = (() => {
      try {
        planSegments(q.program, q.layout.visibility, { segments: 'auto', memoryBudgetMB: MEMORY_LOWER.intercept + 1e-6 });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(CompilerMemoryError);
    expect((e as CompilerMemoryError).code).toBe('compiler-memory');
    expect((e as CompilerMemoryError).message).toMatch(/node '(mm|relu)\d'[^]*over the budget of/);
    expect((e as CompilerMemoryError).hint).toMatch(/--param-visibility fixed/);
  });

  it('estimate reports each segment\'s predicted compiler memory', () => {
    const est = estimateSegments({ modelPath: model, segments: 2 });
    const plan = planSegments(q.program, q.layout.visibility, { segments: 2 });
    expect(est.map((s) => s.compilerMB)).toEqual(plan.map((s) => Math.round(s.memoryMB)));
  });

  it('circom2 out of memory is a CompilerMemoryError naming the segment, its predicted memory and a smaller cut', async () => {
    // real circom2 output (4 GiB used up on a Keras CNN segment, or a lower --wasm-max-mem-pages cap)
    expect(compilerMemoryFailure('memory allocation of 49283072 bytes failed\nRuntimeError: unreachable\n    at circom.wasm.abort (wasm://wasm/circom.wasm:wasm-function[6328]:0x4b11d0)')).toBe('memory allocation of 49283072 bytes failed');
    expect(compilerMemoryFailure('RangeError: Start offset -2078738112 is outside the bounds of the buffer\n    at new Uint8Array')).toMatch(/^Start offset/);
    expect(compilerMemoryFailure('RuntimeError: memory access out of bounds')).toBeUndefined(); // the stack overflow of a flat sum: not memory
    process.env.ZKINFER_CIRCOM_MEMORY_MB = '16'; // below what circom2 needs for a segment of 539 constraints: it fails in its first second
    try {
      const e = await compileSegmented({ modelPath: model, outDir: path.join(work, 'seg'), segments: 2 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CompilerMemoryError);
      const m = e as CompilerMemoryError;
      expect(m.message).toMatch(/^segment 1 of 2 \(steps 0\.\.\d+, \d+ constraints, predicted ≈ \d+ MB of circom2's memory\): circom [\d.]+ ran out of memory compiling .*\(memory allocation of \d+ bytes failed; circom2 has at most 16 MB\)$/);
      expect(m.hint).toMatch(/--segments auto --max-constraints \d+/);
      expect(m.message).not.toMatch(/^\s+at /m);
    } finally {
      delete process.env.ZKINFER_CIRCOM_MEMORY_MB;
    }
  });
});
