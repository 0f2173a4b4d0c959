/**
 * Batches through the CLI as a user runs them: compile --batch, setup, prove (an input file with K arrays),
 * verify (exit 0; exit 1 naming the 'batch' check for a dropped inference), and estimate --batch, whose
 * constraint count must be the compiled one within the ±20% the issue allows (it is exact here).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers/conformance.js';
import { tempDir } from './helpers/pipeline.js';
import { XS, tinyModel } from './helpers/batch.js';

const BIN = path.join(ROOT, 'bin', 'zkinfer.js');
const work = tempDir('zkinfer-batch-cli-');
const zk = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, ZKINFER_CACHE: path.join(work, 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('zkinfer compile --batch / prove / verify / estimate --batch', () => {
  it('a batch of 3 with hashed input and output: proves, verifies, lists its inferences; a dropped one fails the batch check', () => {
    const model = tinyModel(work);
    const dir = path.join(work, 'b3');
    const vis = ['--input-visibility', 'hashed', '--output-visibility', 'hashed'];
    const c = zk(['compile', model, '--batch', '3', ...vis, '-o', dir, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const compiled = JSON.parse(c.stdout) as { constraints: { total: number }; nPublic: number; batch: number };
    expect(compiled).toMatchObject({ nPublic: 2, batch: 3 });
    const e = zk(['estimate', model, '--batch', '3', ...vis, '--json']);
    expect(e.code, e.stderr).toBe(0);
    const est = JSON.parse(e.stdout) as { constraints: number; verifyGas: number; submitGas: number };
    expect(Math.abs(est.constraints / compiled.constraints.total - 1)).toBeLessThanOrEqual(0.2);
    expect(est.submitGas).toBeGreaterThan(est.verifyGas);
    expect(zk(['setup', dir]).code).toBe(0);
    writeFileSync(path.join(work, 'short.json'), JSON.stringify({ input_data: XS.slice(0, 2) }));
    const short = zk(['prove', dir, '--input', path.join(work, 'short.json'), '-o', path.join(work, 'short-receipt.json')]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/expected 3 input array\(s\), found 2 \(hint: the circuit proves a batch: give one array per inference/);
    writeFileSync(path.join(work, 'in.json'), JSON.stringify({ input_data: XS }));
    const p = zk(['prove', dir, '--input', path.join(work, 'in.json'), '-o', path.join(work, 'receipt.json')]);
    expect(p.code, p.stderr).toBe(0);
    const receipt = path.join(work, 'receipt.json');
    const v = zk(['verify', receipt, '--dir', dir, '--opening', path.join(work, 'receipt.opening.json')]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/ok\s+batch\s+3 inferences, listed in order/);
    const r = JSON.parse(readFileSync(receipt, 'utf8'));
    expect(r.batch.inferences.map((i: { index: number }) => i.index)).toEqual([0, 1, 2]);
    r.batch.inferences.splice(2, 1);
    writeFileSync(path.join(work, 'dropped.json'), JSON.stringify(r));
    const bad = zk(['verify', path.join(work, 'dropped.json'), '--dir', dir, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ verified: false, failed: 'batch' });
  }, 180_000);
});
