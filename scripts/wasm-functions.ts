/**
 * The largest function bodies of a WebAssembly file (V8 refuses to compile a function over 7,654,321 bytes:
 * circom writes each template's witness code as one function).
 *
 *   node --import tsx scripts/wasm-functions.ts build/x/circuit_js/circuit.wasm [N]
 */
import { readFileSync } from 'node:fs';
import { wasmFunctionSizes } from '../src/toolchain/wasm-size.js';

const [file, n] = process.argv.slice(2);
if (!file) {
  console.error('usage: wasm-functions.ts FILE.wasm [N]');
  process.exit(2);
}
const sizes = wasmFunctionSizes(readFileSync(file)).sort((a, b) => b - a);
console.log(`${file}: ${sizes.length} functions, ${(sizes.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} MB of code`);
for (const s of sizes.slice(0, Number(n ?? 5))) console.log(`  ${(s / 1e6).toFixed(3)} MB`);
