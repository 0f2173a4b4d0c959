/** Smoke test of the benchmark and estimate paths (no timing assertions: the machine is shared). */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { runBench } from '../src/bench/run.js';
import { writeBenchResults } from '../src/bench/report.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { MODELS_DIR, referenceModels } from '../bench/models.js';
import { ROOT, caseDir } from './helpers/conformance.js';
import { tempDir } from './helpers/pipeline.js';
import { predictVerifyGas } from '../src/chain/gas.js';
import { cpuSample, othersCores } from '../src/bench/contention.js';

describe('bench', () => {
  it('measures a model, reports an unsupported one as skipped, and writes JSON, Markdown and SVG', async () => {
    const work = tempDir('zkinfer-bench-');
    const odd = path.join(work, 'odd.onnx');
    writeFileSync(odd, writeOnnxModel({ graphName: 'odd', inputs: [{ name: 'x', shape: [1, 2] }], outputs: [{ name: 'y', shape: [1, 2] }], initializers: [], nodes: [{ opType: 'NotAnOp', name: 'n', inputs: ['x'], outputs: ['y'] }] }));
    const relu = caseDir('models', 'ezkl', '1l_relu');
    const report = await runBench({
      models: [
        { name: 'relu', group: 'bench', modelPath: path.join(relu, 'model.onnx'), calibration: path.join(relu, 'input.json'), inputs: [path.join(relu, 'input.json')], target: { constraints: 1000 } },
        { name: 'odd', group: 'bench', modelPath: odd, inputs: [odd] },
      ],
      runs: 1,
      manyProofs: 2,
      workDir: path.join(work, 'w'),
    });
    const [ran, skipped] = report.models;
    expect(ran!.status, ran!.reason).toBe('ok');
    expect(ran!.measured!.constraints.total).toBe(ran!.estimate!.constraints.total);
    expect(ran!.measured!.zkeyBytes).toBe(ran!.estimate!.sizes.provingKeyBytes);
    expect(ran!.measured!.proveMany.proofs).toBe(2);
    expect(ran!.measured!.maxAbsError).toBeLessThan(1e-2);
    for (const s of ['compile', 'setup', 'witness', 'prove', 'verify'] as const) expect(ran!.measured!.steps[s].peakRssMB).toBeGreaterThan(report.baselineRssMB / 2);
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'unsupported op NotAnOp' });

    const files = writeBenchResults(report, path.join(work, 'results'));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['bench.json', 'bench.md', 'compile-memory-vs-terms.svg', 'constraints-by-op-relu.svg', 'memory-vs-constraints.svg', 'prove-vs-constraints.svg']);
    const md = readFileSync(path.join(work, 'results', 'bench.md'), 'utf8');
    expect(md).toMatch(/\| relu constraints \| 101 \| ≤ 1,000 \| pass \|/);
    expect(md).toContain('**odd**: skipped: unsupported op NotAnOp');
    expect(readFileSync(path.join(work, 'results', 'prove-vs-constraints.svg'), 'utf8')).toMatch(/^<svg[^>]*>/);
  });

  it('measures the CPU other processes take during a step, not the step\'s own', async () => {
    // another busy process (still running, so none of its time is in our children's counters): counted as others
    const busy = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const a = cpuSample();
      await new Promise((r) => setTimeout(r, 1500));
      expect(othersCores(a, cpuSample())).toBeGreaterThan(0.3);
    } finally {
      busy.kill('SIGKILL');
    }
    // this process burning CPU: counted as its own
    const c = cpuSample()!;
    const t = performance.now();
    while (performance.now() - t < 500);
    expect(cpuSample()!.own - c.own).toBeGreaterThan(0.3);
  });

  it('estimate prints exact counts without compiling (CLI --json)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'zkinfer.js'), 'estimate', path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx'), '--input-visibility', 'hashed', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as { constraints: { total: number; nPublic: number }; verifyGas: { gas: number }; sizes: { provingKeyBytes: number } };
    expect(e.constraints.nPublic).toBe(3); // input commitment + 2 packed output elements
    expect(e.verifyGas.gas).toBe(predictVerifyGas(3).gas);
    expect(e.sizes.provingKeyBytes).toBeGreaterThan(0);
  });

  it('the committed reference models are what bench/models.ts generates', () => {
    for (const [name, bytes] of Object.entries(referenceModels())) {
      const f = path.join(MODELS_DIR, `${name}.onnx`);
      expect(existsSync(f), f).toBe(true);
      expect(Buffer.from(bytes).equals(readFileSync(f)), name).toBe(true);
    }
  });
});
