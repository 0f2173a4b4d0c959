/** Reading user files for CLI commands: one typed error naming the file when it cannot be used. */
import { readFileSync } from 'node:fs';
import { ReceiptFormatError } from '../errors.js';

export function loadReceipt(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReceiptFormatError(`${file}: cannot read receipt (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ReceiptFormatError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
