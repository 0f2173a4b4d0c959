/** Writing receipts and printing their outputs: shared by the prove, run and prove-many commands. */
import { existsSync, writeFileSync } from 'node:fs';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import { InputError } from '../errors.js';
import { say } from './output.js';

export function printOutputs(outputs: ReceiptTensor[]): void {
  for (const o of outputs) {
    const vals = o.data.map((v) => Number(v.toFixed(4)));
    say(`output      ${o.name} [${o.shape}] = [${vals.join(', ')}]`);
    if (o.data.length > 1) {
      let best = 0;
      o.data.forEach((v, i) => v > o.data[best]! && (best = i));
      say(`            argmax ${best}`);
    }
  }
}

export const openingPath = (receiptFile: string): string => receiptFile.replace(/(\.json)?$/, '.opening.json');

export function refuseOverwrite(files: string[], force: boolean): void {
  for (const f of files) if (existsSync(f) && !force) throw new InputError(`${f} already exists`, { hint: 'pass --force to overwrite it, or choose another path with -o' });
}

/** Write the receipt (and, for hashed visibility, the private opening beside it). */
export function writeReceipt(file: string, r: Receipt, opening: Opening | undefined, force: boolean): void {
  refuseOverwrite(opening ? [file, openingPath(file)] : [file], force);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  if (opening) {
    writeFileSync(openingPath(file), `${JSON.stringify(opening, null, 2)}\n`, { mode: 0o600 });
    say(`opening     ${openingPath(file)} (salts and hidden values: keep it private; it opens the commitments)`);
  }
}
