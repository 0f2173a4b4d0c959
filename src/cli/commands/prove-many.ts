/** `zkinfer prove-many DIR --input a.json --input b.json …`: many proofs, one process, the key loaded once. */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { emit, log, say } from '../output.js';
import { refuseOverwrite, writeReceipt } from '../receipts.js';
import { PROVER_HELP, proverFor } from '../options.js';

// Loaded when one of these commands runs (not to define them): see loadCore in ../main.ts.
let proveMany!: typeof import('../../prove/batch.js').proveMany;
let verifyReceipt!: typeof import('../../verify/verify.js').verifyReceipt;
let loadSigningKey!: typeof import('../../prove/sign.js').loadSigningKey;
let signReceipt!: typeof import('../../prove/sign.js').signReceipt;
let readCompiled!: typeof import('../../setup.js').readCompiled;
async function load(): Promise<void> {
  ({ proveMany } = await import('../../prove/batch.js'));
  ({ verifyReceipt } = await import('../../verify/verify.js'));
  ({ loadSigningKey, signReceipt } = await import('../../prove/sign.js'));
  ({ readCompiled } = await import('../../setup.js'));
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** receipt file for an input: <out-dir>/<input stem>.receipt.json (numbered when stems repeat). */
function receiptPaths(inputs: string[], outDir: string): string[] {
  const seen = new Map<string, number>();
  return inputs.map((f) => {
    const stem = path.basename(f).replace(/\.[^.]+$/, '') || 'input';
    const n = seen.get(stem) ?? 0;
    seen.set(stem, n + 1);
    return path.join(outDir, `${stem}${n ? `-${n}` : ''}.receipt.json`);
  });
}

export function registerProveMany(program: Command): void {
  program
    .command('prove-many')
    .description('prove several inputs in one process (proving key and witness generator loaded once); one receipt per input')
    .argument('<dir>', 'artifact directory (after compile and setup)')
    .requiredOption('--input <file>', 'an input file (as for prove); repeat for more', collect, [])
    .option('--out-dir <dir>', 'directory for the receipts (<input name>.receipt.json)', '.')
    .option('--sign-key <key>', 'sign every receipt with an Ethereum key: a file holding the hex key, or env:VAR')
    .option('--prover <addr>', PROVER_HELP)
    .option('--force', 'overwrite existing receipt files')
    .action(async (dir: string, o: { input: string[]; outDir: string; signKey?: string; prover?: string; force?: boolean }) => {
    await load();
      const wallet = o.signKey ? loadSigningKey(o.signKey) : undefined;
      const files = receiptPaths(o.input, o.outDir);
      refuseOverwrite(files, Boolean(o.force));
      mkdirSync(o.outDir, { recursive: true });
      const rows: { input: string; receipt: string; verified: boolean; seconds: { witness: number; prove: number } }[] = [];
      const r = await proveMany({
        dir,
        inputPaths: o.input,
        prover: proverFor(readCompiled(dir), o.prover, wallet),
        onProgress: log,
        keepResults: false,
        async onProof(i, p) {
          if (wallet) await signReceipt(p.receipt, wallet);
          // p.verified: the prover's self-check against DIR (a receipt that fails it throws, and nothing is written)
          writeReceipt(files[i]!, p.receipt, p.opening, Boolean(o.force));
          rows.push({ input: o.input[i]!, receipt: files[i]!, verified: p.verified.ok, seconds: p.seconds });
          say(`receipt     ${files[i]} verified against ${dir}`);
        },
      });
      const groth16 = r.seconds.proofs.map((p) => p.prove);
      say(`proved      ${o.input.length} input(s) in ${r.seconds.total.toFixed(2)} s (load ${r.seconds.load.toFixed(2)} s): ${r.proofsPerMinute.toFixed(1)} proofs/min`);
      if (groth16.length) say(`            Groth16 ${Math.min(...groth16).toFixed(2)}–${Math.max(...groth16).toFixed(2)} s per proof`);
      emit({ dir, proofs: rows, seconds: r.seconds, proofsPerMinute: r.proofsPerMinute, verified: rows.every((x) => x.verified) });
    });
}
