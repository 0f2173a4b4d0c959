/** The published receipt JSON Schema (docs/receipt.schema.json), compiled with ajv as a user would. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from './conformance.js';

const readSchema = (file: string) => JSON.parse(readFileSync(path.join(ROOT, 'docs', file), 'utf8'));

function ajv() {
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
  const addFormats = (require('ajv-formats') as { default: (a: unknown) => void }).default;
  const a = new Ajv2020({ allErrors: true, strict: false });
  addFormats(a);
  return a;
}

export function receiptSchemaValidator(): ((data: unknown) => boolean) & { errors?: unknown } {
  return ajv().compile(readSchema('receipt.schema.json'));
}

/** docs/segmented-receipt.schema.json, which refers to the receipt schema for its segments. */
export function segmentedReceiptSchemaValidator(): ((data: unknown) => boolean) & { errors?: unknown } {
  return ajv().addSchema(readSchema('receipt.schema.json')).compile(readSchema('segmented-receipt.schema.json'));
}
