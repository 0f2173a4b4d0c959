/** The published receipt JSON Schema (docs/receipt.schema.json), compiled with ajv as a user would. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from './conformance.js';

export function receiptSchemaValidator(): ((data: unknown) => boolean) & { errors?: unknown } {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs/receipt.schema.json'), 'utf8'));
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
  const addFormats = (require('ajv-formats') as { default: (a: unknown) => void }).default;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
