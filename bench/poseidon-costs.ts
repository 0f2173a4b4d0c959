/**
 * Measures what the circuits' Poseidon, PoseidonLinear(n) of circuits/poseidon-linear.circom, costs under
 * circom --O1 (n = 1…16 inputs: the commitment chain uses 1…16) and writes src/estimate/poseidon-costs.json,
 * which the constraint estimator reads. Rerun when that template, circomlib's constants or the circom version
 * changes:
 *
 *   node --import tsx bench/poseidon-costs.ts
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CIRCOMLIB_DIR, CIRCUITS_DIR, PACKAGE_ROOT, commonAncestor } from '../src/compile.js';
import { compileCircuit, circomVersion } from '../src/toolchain/circom.js';
import { loadR1cs } from '../src/toolchain/r1cs.js';
import type { GadgetCost } from '../src/estimate/constraints.js';

const OUT = path.join(PACKAGE_ROOT, '.zkinfer', 'poseidon-costs');
await mkdir(OUT, { recursive: true });
const costs: Record<number, GadgetCost> = {};
for (let n = 1; n <= 16; n++) {
  const src = path.join(OUT, `poseidon${n}.circom`);
  await writeFile(src, `pragma circom 2.1.0;\ninclude "poseidon-linear.circom";\ntemplate Main() {\n  signal input x[${n}];\n  signal output o;\n  o <== PoseidonLinear(${n})(x);\n}\ncomponent main = Main();\n`);
  const c = await compileCircuit({ sourcePath: src, outDir: OUT, includeDirs: [CIRCUITS_DIR, CIRCOMLIB_DIR], projectRoot: commonAncestor([PACKAGE_ROOT, CIRCOMLIB_DIR]) });
  const r = await loadR1cs(c.r1csPath);
  const nnzAB = r.constraints.reduce((s, k) => s + k.a.length + k.b.length, 0);
  // wires besides the constant, the n inputs and the output: what one Poseidon adds inside a circuit
  costs[n] = { nonLinear: c.nonLinearConstraints, linear: c.linearConstraints, wires: c.wires - 1 - n - 1, nnzAB };
  process.stderr.write(`Poseidon(${n}): ${JSON.stringify(costs[n])}\n`);
}
const file = path.join(PACKAGE_ROOT, 'src', 'estimate', 'poseidon-costs.json');
await writeFile(file, `${JSON.stringify({ circom: await circomVersion(), optimize: 'O1', generatedBy: 'bench/poseidon-costs.ts', byInputs: costs }, null, 2)}\n`);
await rm(OUT, { recursive: true, force: true });
process.stderr.write(`wrote ${file}\n`);
