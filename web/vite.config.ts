/**
 * Builds the browser page (web/ → web/dist). The verification path must stay free of Node built-ins:
 * any import of one fails the build, in the page and in its worker.
 */
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function noNodeBuiltins(): Plugin {
  return {
    name: 'zkinfer:no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source.startsWith('node:') || NODE_BUILTINS.has(source)) {
        this.error(`${importer ?? 'an entry'} imports the Node built-in '${source}': the page's code must run in a browser`);
      }
      return null;
    },
  };
}

// circomlibjs's entry point pulls in its Node-only parts (assert, ethers v5); the page needs Poseidon only,
// whose module is browser-safe but not exported by the package: point the bare import at it.
const require = createRequire(import.meta.url);
const circomlibjsDir = path.dirname(path.dirname(require.resolve('circomlibjs')));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: [{ find: /^circomlibjs$/, replacement: path.join(circomlibjsDir, 'src', 'poseidon_wasm.js') }] },
  base: './',
  logLevel: 'warn',
  plugins: [noNodeBuiltins()],
  worker: { format: 'es', plugins: () => [noNodeBuiltins()] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
