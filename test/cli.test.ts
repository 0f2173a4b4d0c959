/** The CLI as a user runs it: real processes, exit codes, --json on stdout, one-line errors on stderr. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, caseDir } from './helpers/conformance.js';
import { tempDir } from './helpers/pipeline.js';
import { writeOnnxModel } from '../src/export/onnx-writer.js';

const BIN = path.join(ROOT, 'bin', 'zkinfer.js');
const MODEL = path.join(ROOT, 'models', 'mnist-mlp', 'model.onnx');

function zk(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ZKINFER_CACHE: path.join(tempDir(), 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user-caused failure: exit 2 and exactly one line on stderr, typed, no stack trace. */
function expectOneLineError(r: ReturnType<typeof zk>, code: string, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('['));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error\\[${code}\\]: `));
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let work: string;
let dir: string;
let runJson: { verified: boolean; constraints: number; outputs: { name: string; data: number[] }[]; seconds: Record<string, number>; dir: string };

beforeAll(() => {
  work = tempDir('zkinfer-cli-');
  dir = path.join(work, 'mlp');
  const r = zk(['run', MODEL, '--input', path.join(ROOT, 'models/mnist-mlp/input.json'), '--dir', dir, '-o', path.join(work, 'receipt.json'), '--json']);
  expect(r.code, r.stderr).toBe(0);
  runJson = JSON.parse(r.stdout);
});

describe('zkinfer CLI', () => {
  it('run proves the bundled model and prints a machine-readable summary', () => {
    expect(runJson.verified).toBe(true);
    expect(runJson.constraints).toBeLessThanOrEqual(8400);
    const logits = runJson.outputs[0]!.data;
    expect(logits.indexOf(Math.max(...logits))).toBe(7); // input.json is a 7
    for (const k of ['compile', 'setup', 'witness', 'prove', 'verify']) expect(runJson.seconds[k]).toBeGreaterThanOrEqual(0);
  });

  it('proves the other bundled digits with the cached artifacts and the right labels', () => {
    for (const d of [0, 3, 4, 8]) {
      const out = path.join(work, `r${d}.json`);
      const r = zk(['prove', dir, '--input', path.join(ROOT, `models/mnist-mlp/inputs/digit-${d}.json`), '-o', out, '--json']);
      expect(r.code).toBe(0);
      const logits = JSON.parse(r.stdout).outputs[0].data as number[];
      expect(logits.indexOf(Math.max(...logits))).toBe(d);
      expect(zk(['verify', out, '--dir', dir]).code).toBe(0);
    }
  });

  it('prove-many proves several digits in one process, one verified receipt each', () => {
    const out = path.join(work, 'many');
    const inputs = [0, 3].flatMap((d) => ['--input', path.join(ROOT, `models/mnist-mlp/inputs/digit-${d}.json`)]);
    const r = zk(['prove-many', dir, ...inputs, '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { proofs: { receipt: string; verified: boolean }[]; proofsPerMinute: number };
    expect(j.proofs.map((p) => path.basename(p.receipt))).toEqual(['digit-0.receipt.json', 'digit-3.receipt.json']);
    expect(j.proofs.every((p) => p.verified)).toBe(true);
    expect(j.proofsPerMinute).toBeGreaterThan(0);
    [0, 3].forEach((d, i) => {
      const logits = (JSON.parse(readFileSync(j.proofs[i]!.receipt, 'utf8')) as { outputs: { data: number[] }[] }).outputs[0]!.data;
      expect(logits.indexOf(Math.max(...logits))).toBe(d);
    });
    expect(zk(['verify', j.proofs[1]!.receipt, '--dir', dir]).code).toBe(0);
  });

  it('verify: exit 0 for a valid receipt with a trusted key, 4 with only its own key, 1 naming the failed check for a tampered one', () => {
    const file = path.join(work, 'receipt.json');
    const ok = zk(['verify', file, '--dir', dir, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ verified: true, verdict: 'verified', devSetup: true, trust: { trusted: true, by: `the artifacts in ${dir}` } });
    const own = zk(['verify', file, '--json']);
    expect(own.code).toBe(4);
    expect(JSON.parse(own.stdout)).toMatchObject({ verified: false, verdict: 'untrusted', trust: { trusted: false } });
    const byHash = zk(['verify', file, '--vk-hash', JSON.parse(readFileSync(file, 'utf8')).vkHash]);
    expect(byHash.code).toBe(0);
    expect(byHash.stderr).toMatch(/key: trusted by the key hash you gave/);
    const r = JSON.parse(readFileSync(file, 'utf8'));
    r.outputs[0].integers[3] = String(BigInt(r.outputs[0].integers[3]) + 1n);
    r.outputs[0].data[3] = Number(BigInt(r.outputs[0].integers[3])) / 2 ** Number(r.outputs[0].scale);
    const bad = path.join(work, 'tampered.json');
    writeFileSync(bad, JSON.stringify(r));
    const v = zk(['verify', bad, '--json']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout)).toMatchObject({ verified: false, failed: 'outputs' });
    const human = zk(['verify', bad]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/FAIL outputs .*'logits'\[3\] = .* is not the proved value/);
    expect(human.stderr).toMatch(/NOT VERIFIED: outputs/);
  });

  it('never overwrites an existing receipt without --force', () => {
    const file = path.join(work, 'receipt.json');
    const before = readFileSync(file, 'utf8');
    const r = zk(['prove', dir, '--input', path.join(ROOT, 'models/mnist-mlp/input.json'), '-o', file]);
    expectOneLineError(r, 'input', /already exists/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('export-verifier writes a Solidity verifier', () => {
    const out = path.join(work, 'Verifier.sol');
    const r = zk(['export-verifier', dir, '-o', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/contract Groth16Verifier/);
  });

  it('inspect prints the same hashes for the model file, the artifacts and the receipt', () => {
    const m = JSON.parse(zk(['inspect', MODEL, '--json']).stdout);
    const d = JSON.parse(zk(['inspect', dir, '--json']).stdout);
    const r = JSON.parse(zk(['inspect', path.join(work, 'receipt.json'), '--json']).stdout);
    expect(m.fileSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.model.fileSha256).toBe(m.fileSha256);
    expect(r.model.fileSha256).toBe(m.fileSha256);
    expect(d.circuitHash).toBe(m.circuitHash);
    expect(r.circuitHash).toBe(m.circuitHash);
    expect(r.model.quantizedSha256).toBe(m.quantizedSha256);
    expect(r.vkHash).toBe(d.vkHash);
    expect(r.vkHashMatchesEmbeddedKey).toBe(true);
    expect(zk(['inspect', MODEL]).stderr).toMatch(/circuitHash\s+[0-9a-f]{64}/);
  });

  it('verify --model rebuilds the circuit from the model file', () => {
    const file = path.join(work, 'receipt.json');
    const ok = zk(['verify', file, '--model', MODEL, '--dir', dir, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).checks.at(-1)).toMatchObject({ name: 'model-file', ok: true });
    const other = zk(['verify', file, '--model', caseDir('models', 'ezkl', '1l_mlp', 'model.onnx'), '--json']);
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject({ verified: false, failed: 'model-file' });
  });

  it('prove --sign-key signs; verify reports the signer and enforces --expect-signer', () => {
    const key = path.join(work, 'prover.key');
    writeFileSync(key, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n');
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const out = path.join(work, 'signed.json');
    const p = zk(['prove', dir, '--input', path.join(ROOT, 'models/mnist-mlp/input.json'), '-o', out, '--sign-key', key, '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).signer).toBe(address);
    const v = zk(['verify', out, '--dir', dir, '--expect-signer', address, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).signer).toBe(address);
    const w = zk(['verify', out, '--dir', dir, '--expect-signer', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/NOT VERIFIED: signature: signed by 0x7099.*, expected 0x3C44/);
    const env = zk(['prove', dir, '--input', path.join(ROOT, 'models/mnist-mlp/input.json'), '-o', path.join(work, 'e.json'), '--sign-key', 'env:ZK_NO_SUCH_VAR']);
    expectOneLineError(env, 'input', /--sign-key: environment variable ZK_NO_SUCH_VAR is not set/);
  });

  it('hashed input: the receipt holds a commitment, the opening file stays with the prover', () => {
    const d = path.join(work, 'hashed');
    const out = path.join(work, 'hashed.json');
    const r = zk(['run', MODEL, '--input', path.join(ROOT, 'models/mnist-mlp/input.json'), '--dir', d, '-o', out, '--input-visibility', 'hashed', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const receipt = JSON.parse(readFileSync(out, 'utf8'));
    expect(receipt.inputs).toBeUndefined();
    expect(receipt.commitments.input).toMatch(/^\d+$/);
    const opening = out.replace(/\.json$/, '.opening.json');
    expect(JSON.parse(readFileSync(opening, 'utf8')).input.salt).toMatch(/^\d+$/);
    expect(zk(['verify', out, '--dir', d, '--opening', opening]).code).toBe(0);
  });

  it('--help explains every command', () => {
    const top = zk(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['compile', 'setup', 'prove', 'verify', 'export-verifier', 'run', 'inspect', 'web']) {
      expect(top.stdout).toContain(c);
      const h = zk([c, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/Usage: zkinfer/);
    }
    expect(zk(['compile', '--help']).stdout).toMatch(/--calibration/);
  });

  it('unknown commands and missing arguments are usage errors', () => {
    expect(zk(['bogus']).code).toBe(2);
    expect(zk(['prove', dir]).code).toBe(2);
  });
});

describe('bad input gets a one-line typed error and exit 2', () => {
  const input = (name: string, body: string): string => {
    const f = path.join(work, name);
    writeFileSync(f, body);
    return f;
  };
  const pixels = (v: string, n = 784) => `{"input": [[${Array.from({ length: n }, (_, i) => (i === 5 ? v : '0')).join(',')}]]}`;

  it('truncated model', () => {
    const f = path.join(work, 'cut.onnx');
    writeFileSync(f, readFileSync(MODEL).subarray(0, 5000));
    expectOneLineError(zk(['compile', f, '-o', path.join(work, 'x')]), 'model-parse', /cut\.onnx: not a valid ONNX model/);
  });

  it('random bytes', () => {
    const f = path.join(work, 'random.onnx');
    writeFileSync(f, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)));
    expectOneLineError(zk(['compile', f, '-o', path.join(work, 'y')]), 'model-parse', /random\.onnx/);
  });

  it('missing model file', () => {
    expectOneLineError(zk(['compile', path.join(work, 'nope.onnx')]), 'model-parse', /nope\.onnx: cannot read model file \(ENOENT\)/);
  });

  it('unknown op', () => {
    // LSTM: a recurrent op zkinfer does not lower (a model written here, so new ops never make this case pass)
    const f = path.join(work, 'lstm.onnx');
    writeFileSync(f, writeOnnxModel({
      graphName: 'lstm', inputs: [{ name: 'x', shape: [1, 1, 2] }], outputs: [{ name: 'y', shape: [1, 1, 1, 3] }],
      initializers: [
        { name: 'W', shape: [1, 12, 2], data: new Float32Array(24).fill(0.1) },
        { name: 'R', shape: [1, 12, 3], data: new Float32Array(36).fill(0.1) },
      ],
      nodes: [{ opType: 'LSTM', name: 'LSTM_0', inputs: ['x', 'W', 'R'], outputs: ['y'], attributes: { hidden_size: { int: 3 } } }],
    }));
    expectOneLineError(zk(['compile', f, '-o', path.join(work, 'z')]), 'unsupported-op', /node 'LSTM_0' uses op LSTM.*supported ops: Add, .*Conv, .*Gemm/);
  });

  it('input of the wrong shape', () => {
    expectOneLineError(zk(['prove', dir, '--input', input('short.json', pixels('0', 783)), '-o', path.join(work, 'o1.json')]), 'input', /input 'pixels' has 783 values \(shape \[1,783\]\), expected 784 \(shape \[1,784\]\)/);
  });

  it('NaN and Infinity', () => {
    expectOneLineError(zk(['prove', dir, '--input', input('nan.json', pixels('NaN')), '-o', path.join(work, 'o2.json')]), 'input', /'pixels'\[5\] is NaN, expected a finite number/);
    expectOneLineError(zk(['prove', dir, '--input', input('inf.json', pixels('-Infinity')), '-o', path.join(work, 'o3.json')]), 'input', /'pixels'\[5\] is -Infinity/);
    expectOneLineError(zk(['prove', dir, '--input', input('null.json', pixels('null')), '-o', path.join(work, 'o4.json')]), 'input', /'pixels'\[5\] is NaN/);
  });

  it('out-of-range values', () => {
    expectOneLineError(zk(['prove', dir, '--input', input('big.json', pixels('300')), '-o', path.join(work, 'o5.json')]), 'input', /'pixels'\[5\] = 300 is outside the range \[0, 255\]/);
    expectOneLineError(zk(['prove', dir, '--input', input('neg.json', pixels('-1')), '-o', path.join(work, 'o6.json')]), 'input', /'pixels'\[5\] = -1 is outside/);
  });

  it('not JSON, and a receipt that is not JSON', () => {
    expectOneLineError(zk(['prove', dir, '--input', input('bad.json', '{"input": [[1,2'), '-o', path.join(work, 'o7.json')]), 'input', /bad\.json: not valid JSON/);
    expectOneLineError(zk(['verify', input('r.json', 'nope')]), 'receipt-format', /r\.json: not valid JSON/);
  });

  it('prove before setup says what to run', () => {
    const d = path.join(work, 'nosetup');
    const c = zk(['compile', caseDir('models', 'ezkl', '1l_relu', 'model.onnx'), '-o', d, '--calibration', caseDir('models', 'ezkl', '1l_relu', 'input.json')]);
    expect(c.code).toBe(0);
    expectOneLineError(zk(['prove', d, '--input', caseDir('models', 'ezkl', '1l_relu', 'input.json'), '-o', path.join(work, 'o8.json')]), 'artifact', /setup\.json not found.*zkinfer setup/);
  });
});
