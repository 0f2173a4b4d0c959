/**
 * `estimate --segments`: the cut compile would make (segment count, constraints, boundary sizes) and each
 * segment's predicted prove seconds from the machine's cost model, without compiling.
 */
import { listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams } from '../compile.js';
import { countConstraints } from '../estimate/constraints.js';
import { sourceTerms } from '../estimate/estimate.js';
import { loadCostModel, predict } from '../estimate/cost-model.js';
import type { CircuitFeatures } from '../estimate/cost-model.js';
import { generateCircom } from '../codegen/circom.js';
import { planSegments } from './segments.js';
import type { PlanOptions } from './segments.js';

export interface SegmentEstimate {
  from: number;
  to: number;
  constraints: number;
  boundaryIn: number;
  boundaryOut: number;
  nPublic: number;
  ptauPower: number;
  /** circom2's predicted peak memory compiling the segment, MB (compose/memory.ts). */
  compilerMB: number;
  /** Predicted idle-machine seconds (absent without a cost model). */
  witnessSeconds?: number;
  proveSeconds?: number;
}

/**
 * @example const segs = estimateSegments({ modelPath: 'm.onnx', segments: 4 }); segs.map((s) => s.proveSeconds)
 */
export function estimateSegments(params: Omit<CompileParams, 'outDir'> & PlanOptions & { costModelPath?: string }): SegmentEstimate[] {
  const bytes = readModelFile(params.modelPath);
  const q = quantizeModel(params, bytes, params.calibration ? listSampleFiles(params.calibration) : []);
  const model = loadCostModel(params.costModelPath);
  return planSegments(q.program, q.layout.visibility, params).map((s) => {
    const c = countConstraints({ program: s.program, layout: s.layout });
    const f: CircuitFeatures = { constraints: c.total, wires: c.wires, domain: 2 ** c.ptauPower, terms: sourceTerms(s.program), nPublic: c.nPublic, sourceBytes: Buffer.byteLength(generateCircom(s.program, { layout: s.layout })) };
    return {
      from: s.from, to: s.to, constraints: c.total, boundaryIn: s.boundaryIn, boundaryOut: s.boundaryOut, nPublic: c.nPublic, ptauPower: c.ptauPower, compilerMB: Math.round(s.memoryMB),
      ...(model ? { witnessSeconds: predict(model.steps.witness.seconds, f), proveSeconds: predict(model.steps.prove.seconds, f) } : {}),
    };
  });
}
