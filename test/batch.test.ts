/**
 * Batches: K inferences in one circuit, proven and verified by the ordinary pipeline; each inference's
 * outputs are the single-inference integer program's, and hashed inputs/outputs keep two public signals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XS, proveBatch, tampered, tinyModel } from './helpers/batch.js';
import { quantizeModel, readModelFile } from '../src/compile.js';
import { evaluate, programFromJson } from '../src/quantize/program.js';
import { batchProgram, compileBatch } from '../src/compose/batch.js';
import { verifyReceipt } from '../src/verify/verify.js';
import { receiptSchemaValidator } from './helpers/schema.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';
import { artifactPaths } from '../src/artifacts/layout.js';
import { checkWitness, loadR1cs } from '../src/toolchain/r1cs.js';
import { WitnessCalculators } from '../src/toolchain/witness.js';

afterAll(terminateCurve);


describe('batches', () => {
  it('the batched program is K copies of the program: each inference gets its own outputs', () => {
    const model = tinyModel(tempDir());
    const q = quantizeModel({ modelPath: model }, readModelFile(model), []);
    const ints = XS.map((x) => x.map((v) => BigInt(Math.round(v * 2 ** 12))));
    const b = batchProgram(q.program, 3);
    expect(b.inputs.map((i) => i.name)).toEqual(['x#0', 'x#1', 'x#2']);
    expect(evaluate(b, ints.map((x) => x)).outputs).toEqual(ints.map((x) => evaluate(q.program, [x]).outputs[0]));
  });

  for (const paramVisibility of ['fixed', 'private'] as const) it(`the batch circuit writes the model once (a template instantiated K times) and constrains every wire of every instance (params ${paramVisibility})`, async () => {
    const work = tempDir('zkinfer-batch-');
    const dir = path.join(work, 'b3');
    const info = await compileBatch({ modelPath: tinyModel(work), outDir: dir, batch: 3, inputVisibility: 'public', outputVisibility: 'public', paramVisibility });
    const paths = artifactPaths(dir);
    const source = readFileSync(paths.source, 'utf8');
    expect(source.match(/template Inference\(\)/g)).toHaveLength(1);
    expect(source).toContain('component inf[3];');
    expect(source.match(/RescaleRelu\(/g)).toHaveLength(4); // the 4 hidden neurons: once, in the template (not 3 × 4)
    expect(info.batch).toBe(3);
    // forge each wire of an honest witness alone: some constraint must fail (nothing is left free)
    const r1cs = await loadR1cs(paths.r1cs);
    const calcs = new WitnessCalculators();
    const x = XS.map((v) => v.map((e) => BigInt(Math.round(e * 2 ** 12))));
    const params = programFromJson(JSON.parse(readFileSync(paths.program, 'utf8'))).params.map((p) => p.values);
    expect(params.length).toBe(paramVisibility === 'private' ? 2 : 0); // W1, W2: one set for the 3 instances
    const w = await calcs.calculateWitness(paths.wasm, { in0: x[0]!, in1: x[1]!, in2: x[2]!, ...Object.fromEntries(params.map((v, t) => [`param${t}`, v])) });
    calcs.clear();
    expect(checkWitness(r1cs, w)).toEqual({ ok: true });
    const free: number[] = [];
    for (let i = 1; i < r1cs.nVars; i++) {
      const f = [...w];
      f[i] = f[i]! + 1n;
      if (checkWitness(r1cs, f).ok) free.push(i);
    }
    expect(free).toEqual([]);
  }, 120_000);

  for (const vis of ['public', 'hashed'] as const) {
    it(`proves and verifies 3 inferences in one proof, listed in the receipt; tampered lists are rejected (input and output ${vis})`, async () => {
      const { info, receipt, outputs, opening } = await proveBatch(vis);
      const v = await verifyReceipt({ receipt, opening });
      expect(v.ok, v.failed?.detail).toBe(true);
      expect(v.checks.find((c) => c.name === 'batch')?.ok).toBe(true);
      const validate = receiptSchemaValidator(); // the published schema describes the batch listing
      expect(validate(receipt), JSON.stringify(validate.errors)).toBe(true);
      expect(outputs.map((o) => o.name)).toEqual(['y#0', 'y#1', 'y#2']);
      expect(receipt.batch!.inferences.map((i) => [i.index, i.inputs, i.outputs])).toEqual([0, 1, 2].map((k) => [k, [`x#${k}`], [`y#${k}`]]));
      expect(new Set(receipt.batch!.inferences.map((i) => i.outputsHash)).size).toBe(3);
      if (vis === 'public') expect(receipt.inputs!.map((t) => t.data)).toEqual(XS);
      else expect(opening!.input!.tensors.map((t) => t.data)).toEqual(XS);
      for (const [what, bad, check] of tampered(receipt)) {
        const w = await verifyReceipt({ receipt: bad });
        expect(w.ok, what).toBe(false);
        expect(w.failed!.name, what).toBe(check);
      }
      // an inference's outputs swapped with another's: the proof says otherwise
      if (vis === 'public') {
        const bad = structuredClone(receipt);
        [bad.outputs![1], bad.outputs![2]] = [{ ...bad.outputs![2]!, name: 'y#1' }, { ...bad.outputs![1]!, name: 'y#2' }];
        const w = await verifyReceipt({ receipt: bad });
        expect(w.ok).toBe(false);
        expect(w.failed!.name).toBe('outputs');
      } else {
        const bad = structuredClone(opening!);
        [bad.output!.tensors[1], bad.output!.tensors[2]] = [{ ...bad.output!.tensors[2]!, name: 'y#1' }, { ...bad.output!.tensors[1]!, name: 'y#2' }];
        const w = await verifyReceipt({ receipt, opening: bad });
        expect(w.ok).toBe(false);
        expect(w.failed!.name).toBe('opening');
      }
    }, 120_000);
  }
});
