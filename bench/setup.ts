/**
 * Setup benchmark: dev ptau generation, the direct dev proving key, and snarkjs newZKey on the same
 * circuit, filling ~3/4 of the domain. Two circuit shapes:
 *   sparse — 32-bit Num2Bits decompositions and a chain of multiplications (2–3 terms per constraint);
 *   dense  — what fixed-weight ML layers compile to: products of two 32-term linear combinations of the
 *            inputs (snarkjs's cost grows with the non-zeros, the direct setup's barely).
 *
 *   node --import tsx bench/setup.ts [--powers 12,13,14] [--shapes sparse,dense] [--runs 3] [--snarkjs-runs 1]
 *
 * Prints medians; circuits and keys go to .zkinfer/bench (git-ignored).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { compileCircuit } from '../src/toolchain/circom.js';
import { circuitPower, devSetup, writeDevPtau } from '../src/toolchain/devsetup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, '.zkinfer', 'bench');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const powers = arg('powers', '12,13,14').split(',').map(Number);
const shapes = arg('shapes', 'sparse,dense').split(',') as Array<'sparse' | 'dense'>;
const runs = Number(arg('runs', '3'));
const snarkjsRuns = Number(arg('snarkjs-runs', '1'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** A circuit with about 3/4 · 2^power constraints. */
function benchCircuit(power: number, shape: 'sparse' | 'dense'): string {
  const target = Math.round(0.75 * 2 ** power);
  if (shape === 'dense') {
    return `pragma circom 2.1.0;
template Dense(N, H) {
  signal input x[N];
  signal output out;
  signal y[H];
  for (var j = 0; j < H; j++) {
    var a = 0;
    var b = 0;
    for (var i = 0; i < N; i++) {
      a += ((j * 31 + i * 17) % 97 + 1) * x[i];
      b += ((j * 7 + i * 13) % 89 + 1) * x[i];
    }
    y[j] <== a * b;
  }
  out <== y[0] * y[H - 1];
}
component main = Dense(32, ${target - 1});
`;
  }
  const k = Math.max(1, Math.floor((target * 0.75) / 33));
  const m = Math.max(1, target - 33 * k);
  return `pragma circom 2.1.0;
include "bitify.circom";
template Bench(K, M) {
  signal input x[K];
  signal input s;
  signal output out;
  component nb[K];
  signal acc[M + 1];
  acc[0] <== s;
  for (var i = 0; i < K; i++) { nb[i] = Num2Bits(32); nb[i].in <== x[i]; }
  for (var j = 0; j < M; j++) { acc[j + 1] <== acc[j] * acc[j] + nb[j % K].out[j % 32]; }
  out <== acc[M];
}
component main {public [s]} = Bench(${k}, ${m});
`;
}

const zKey = snarkjs.zKey as unknown as { newZKey(r1cs: string, ptau: string, zkey: string): Promise<unknown> };

await mkdir(OUT, { recursive: true });
const rows: string[] = [];
for (const shape of shapes) {
  for (const power of powers) {
    const dir = path.join(OUT, `${shape}-p${power}`);
    await mkdir(dir, { recursive: true });
    const src = path.join(dir, 'bench.circom');
    await writeFile(src, benchCircuit(power, shape));
    const c = await compileCircuit({ sourcePath: src, outDir: dir, includeDirs: [path.join(ROOT, 'node_modules/circomlib/circuits')], projectRoot: ROOT });
    const nConstraints = c.nonLinearConstraints + c.linearConstraints;
    const cp = circuitPower(nConstraints, c.publicInputs + c.outputs);
    console.log(`${shape} ${power}: ${nConstraints} constraints, ${c.wires} wires, domain 2^${cp} (compiled in ${c.seconds.toFixed(1)} s)`);

    const ptau = path.join(dir, 'dev.ptau');
    const tPtau = await timeIt(runs, () => writeDevPtau({ power: cp, path: ptau }));
    console.log(`  dev ptau        ${tPtau.map((t) => t.toFixed(2)).join(' ')} s`);
    const tDirect = await timeIt(runs, () => devSetup({ r1csPath: c.r1csPath, zkeyPath: path.join(dir, 'direct.zkey') }));
    console.log(`  direct devSetup ${tDirect.map((t) => t.toFixed(2)).join(' ')} s`);
    const tNew = await timeIt(snarkjsRuns, () => zKey.newZKey(c.r1csPath, ptau, path.join(dir, 'newzkey.zkey')));
    console.log(`  snarkjs newZKey ${tNew.map((t) => t.toFixed(2)).join(' ')} s`);
    rows.push(
      `| ${shape} | 2^${cp} | ${nConstraints} | ${median(tPtau).toFixed(2)} | ${median(tDirect).toFixed(2)} | ${median(tNew).toFixed(2)} | ${(median(tNew) / median(tDirect)).toFixed(1)}× |`,
    );
    await rm(path.join(dir, 'newzkey.zkey'), { force: true });
  }
}

console.log(`\nmedians (runs: ours ${runs}, snarkjs ${snarkjsRuns}), seconds`);
console.log('| shape | domain | constraints | dev ptau | direct devSetup (incl. vkey export) | snarkjs newZKey | newZKey / direct |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
