/**
 * Caches are keyed by the zkinfer build (src/artifacts/build.ts): the version, the artifact and key-binding
 * formats and a hash of the compiler's own sources. A changed compiler under the same version number must not
 * reuse the artifacts or keys an older one made (stale keys were once reused after a code-generation change).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compilerSourcesHash, MODULES_ROOT, runningSourcesHash } from '../src/artifacts/build.js';
import { buildToken, compileModel } from '../src/compile.js';
import { setupKeys, setupToken } from '../src/setup.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';
import { tempDir, terminateCurve } from './helpers/pipeline.js';

afterAll(terminateCurve);

describe('the zkinfer build token', () => {
  it('follows the compiler sources: an identical copy hashes the same, one changed byte in the code generator does not', () => {
    const copy = tempDir('zkinfer-build-');
    cpSync(MODULES_ROOT, copy, { recursive: true });
    expect(compilerSourcesHash(copy)).toBe(runningSourcesHash());
    const gen = path.join(copy, 'codegen', 'circom.ts');
    writeFileSync(gen, readFileSync(gen, 'utf8').replace('\n', '\n// changed\n'));
    expect(compilerSourcesHash(copy)).not.toBe(runningSourcesHash());
  });

  it('compile and setup reuse only what this build made: artifacts or keys stamped by another build are made anew', async () => {
    const dir = tempDir('zkinfer-build-');
    const modelPath = path.join(dir, 'm.onnx');
    writeFileSync(modelPath, writeOnnxModel({
      graphName: 'm', inputs: [{ name: 'x', shape: [1, 2] }], outputs: [{ name: 'y', shape: [1, 2] }],
      initializers: [{ name: 'w', shape: [2, 2], data: Float32Array.from([1, -0.5, 0.25, 2]) }],
      nodes: [{ opType: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
    }));
    const out = path.join(dir, 'c');
    const params = { modelPath, outDir: out, inputRange: [-1, 1] as [number, number] };
    const first = await compileModel(params);
    expect(first.cached).toBe(false);
    expect(first.info.build).toBe(buildToken());
    expect((await compileModel(params)).cached).toBe(true);
    // the same artifacts, stamped by another build: compiled again
    const compiledPath = path.join(out, 'compiled.json');
    writeFileSync(compiledPath, JSON.stringify({ ...JSON.parse(readFileSync(compiledPath, 'utf8')), build: 'another-build' }));
    const again = await compileModel(params);
    expect(again.cached).toBe(false);
    expect(again.info.build).toBe(buildToken());

    const s1 = await setupKeys({ dir: out });
    expect([s1.cached, s1.info.build]).toEqual([false, setupToken()]);
    expect((await setupKeys({ dir: out })).cached).toBe(true);
    const setupPath = path.join(out, 'setup.json');
    writeFileSync(setupPath, JSON.stringify({ ...JSON.parse(readFileSync(setupPath, 'utf8')), build: 'another-build' }));
    const s2 = await setupKeys({ dir: out });
    expect(s2.cached).toBe(false);
    expect(s2.info.build).toBe(setupToken());
    expect(s2.info.vkHash).not.toBe(s1.info.vkHash); // new keys, not the old ones relabelled
  }, 180_000);
});
