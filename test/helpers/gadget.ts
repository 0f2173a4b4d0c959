/** Compile one gadget of `circuits/` as `component main` with the real circom compiler, for witness-forging tests. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCircuit, type CircomOptimization } from '../../src/toolchain/circom.js';
import { loadR1cs, loadSymbols } from '../../src/toolchain/r1cs.js';
import { CIRCOMLIB_DIR, commonAncestor } from '../../src/compile.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const GADGET_WORK = path.join(ROOT, '.zkinfer', 'test-circuits', 'gadgets');

/**
 * `pragma circom 2.1.0; include "<include>"; <templates> component main = <main>;` compiled under
 * GADGET_WORK/<key> (`circomlib`: its circuits are an include directory too), with its R1CS, symbols and a
 * wire lookup that fails loudly on an unknown name.
 * @example const { r1cs, idx } = await compileGadget({ key: 'sqrt-8', include: 'sqrt.circom', main: 'SqrtFloor(8)' });
 */
export async function compileGadget(p: { key: string; include: string; main: string; optimize?: CircomOptimization; file?: string; circomlib?: boolean; templates?: string }) {
  const dir = path.join(GADGET_WORK, p.key);
  await mkdir(dir, { recursive: true });
  const sourcePath = path.join(dir, p.file ?? 't.circom');
  await writeFile(sourcePath, `pragma circom 2.1.0;\ninclude "${p.include}";\n${p.templates ?? ''}\ncomponent main = ${p.main};\n`);
  // circomlib (poseidon_constants.circom) lies wherever node_modules resolves to: run circom from a common ancestor
  const includeDirs = p.circomlib ? [path.join(ROOT, 'circuits'), CIRCOMLIB_DIR] : ['circuits'];
  const projectRoot = p.circomlib ? commonAncestor([ROOT, CIRCOMLIB_DIR]) : ROOT;
  const c = await compileCircuit({ sourcePath, outDir: dir, includeDirs, optimize: p.optimize ?? 'O1', projectRoot });
  const r1cs = await loadR1cs(c.r1csPath);
  const sym = await loadSymbols(c.symPath);
  const idx = (name: string): number => {
    const i = sym.get(name);
    if (i === undefined) throw new Error(`no wire ${name}`);
    return i;
  };
  return { c, r1cs, sym, idx };
}
