/** `zkinfer web`: serve the browser verifier/prover page, with an artifact directory at /files/. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { emit, log, say } from '../output.js';

const parsePort = (s: string): number => {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new InputError(`--port '${s}': expected an integer from 0 to 65535 (0: any free port)`);
  return v;
};

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('serve the browser page (verify receipts, prove small models) on 127.0.0.1; DIR is served at /files/')
    .option('--port <n>', 'port (0: any free port)', parsePort, 8080)
    .option('--dir <dir>', 'directory served at /files/, e.g. an artifact directory holding receipt.json')
    .addHelpText('after', `
Open http://127.0.0.1:PORT/?receipt=/files/receipt.json to verify DIR/receipt.json; the page uses the
verification key beside it (DIR/verification_key.json) when there is one, and proves with DIR's artifacts.
Stop with Ctrl-C.`)
    .action(async (o: { port: number; dir?: string }) => {
      const { buildPageIfMissing, serveWeb } = await import('../../web/server.js');
      await buildPageIfMissing(log);
      const server = await serveWeb({ port: o.port, filesDir: o.dir });
      const receipt = o.dir && existsSync(path.join(o.dir, 'receipt.json')) ? `${server.url}?receipt=/files/receipt.json` : undefined;
      say(`serving     ${server.url}${o.dir ? ` (files: ${o.dir} at /files/)` : ''}`);
      if (receipt) say(`receipt     ${receipt}`);
      say('            Ctrl-C to stop');
      emit({ url: server.url, port: server.port, files: o.dir ? path.resolve(o.dir) : null, receipt: receipt ?? null });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
