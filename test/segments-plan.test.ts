/** `--segments auto` picks the fewest segments within the limit (it starts its search at the bound the steps' constraints give). */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { planSegments } from '../src/compose/segments.js';
import { countConstraints } from '../src/estimate/constraints.js';
import { caseDir } from './helpers/conformance.js';

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
