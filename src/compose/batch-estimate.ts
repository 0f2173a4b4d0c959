/**
 * `estimate --batch K`: constraints, prove seconds and gas of a batch circuit (compose/batch.ts) without
 * compiling. Constraints: the batched program's count (estimate/constraints.ts) plus what the template adds,
 * one linear constraint per output value that is a combination (`out[j] <== Σ`, see batchSource). Seconds:
 * the machine's cost model on the batch's features (the witness evaluates all K copies' terms; the source
 * holds the template once). Gas: one
 * verifying transaction (src/chain/gas.ts), and the registry's submitBatch, which adds a call and one
 * InferenceVerified log per inference (BATCH_GAS, measured on anvil by scripts/batch-gas.ts).
 */
import os from 'node:os';
import { listSampleFiles, quantizeModel, readModelFile } from '../compile.js';
import type { CompileParams } from '../compile.js';
import { countConstraints, feed } from '../estimate/constraints.js';
import { sourceTerms } from '../estimate/estimate.js';
import { loadCostModel, predict, slowdown } from '../estimate/cost-model.js';
import type { CircuitFeatures } from '../estimate/cost-model.js';
import { makeLayout } from '../quantize/layout.js';
import { predictVerifyGas } from '../chain/gas.js';
import { batchPlan, batchSource } from './batch.js';

/**
 * Gas the registry's submitBatch adds to the predicted verifying transaction (predictVerifyGas), measured on
 * anvil (cancun) with two public signals at K = 1, 8, 32 (239,908, 264,608 and 349,283 gas on the bundled MLP:
 * linear within 20 gas): a fixed part (the registry's calldata, its cold call into the verifier and two storage reads,
 * verifySignals' copy of the signals and self-call) and, per inference, one InferenceVerified log (4 topics,
 * 96 bytes of data: 375 + 4 × 375 + 8 × 96 = 2,643 gas, the floor) plus its reference pair (two keccak256,
 * returned as two arrays and decoded by the registry).
 */
export const BATCH_GAS = { fixed: 14_090, perInference: 3_528 } as const;

export interface BatchEstimate {
  batch: number;
  constraints: number;
  nPublic: number;
  ptauPower: number;
  /** Predicted seconds on an idle machine, and under the load now (absent without a cost model). */
  witnessSeconds?: number;
  proveSeconds?: number;
  proveSecondsLoaded?: number;
  /** One verifyInference transaction (the proof alone), and the registry's submitBatch (K logs). */
  verifyGas: number;
  submitGas: number;
}

/**
 * @example const e = estimateBatch({ modelPath: 'm.onnx', batch: 32, inputVisibility: 'hashed', outputVisibility: 'hashed' }); e.submitGas / 32
 */
export function estimateBatch(params: Omit<CompileParams, 'outDir'> & { batch: number; costModelPath?: string; load1?: number }): BatchEstimate {
  const K = params.batch;
  const q = quantizeModel(params, readModelFile(params.modelPath), params.calibration ? listSampleFiles(params.calibration) : []);
  const plan = batchPlan(q.program, K);
  const layout = makeLayout(plan.program, q.layout.visibility, { bindProver: params.bindProver });
  const c = countConstraints({ program: plan.program, layout });
  const outs = q.program.outputs.reduce((a, o) => a + o.exprs.reduce((b, e) => b + feed(e).linear, 0), 0);
  const constraints = c.total + K * outs;
  const features: CircuitFeatures = { constraints, wires: c.wires + K * outs, domain: 2 ** c.ptauPower, terms: sourceTerms(plan.program), nPublic: c.nPublic, sourceBytes: Buffer.byteLength(batchSource(q.program, plan, layout, '').source) };
  const model = loadCostModel(params.costModelPath);
  const verifyGas = predictVerifyGas(c.nPublic).gas;
  const prove = model ? predict(model.steps.prove.seconds, features) : undefined;
  return {
    batch: K,
    constraints,
    nPublic: c.nPublic,
    ptauPower: c.ptauPower,
    ...(model ? { witnessSeconds: predict(model.steps.witness.seconds, features), proveSeconds: prove, proveSecondsLoaded: prove! * slowdown('prove', params.load1 ?? os.loadavg()[0]!, os.availableParallelism()) } : {}),
    verifyGas,
    submitGas: verifyGas + BATCH_GAS.fixed + K * BATCH_GAS.perInference,
  };
}
