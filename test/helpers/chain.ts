/** A real EVM for the tests: anvil (from its npm package) on 127.0.0.1, verifiers compiled with solc-js, deployed with ethers. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { ContractFactory, JsonRpcProvider } from 'ethers';

const require = createRequire(import.meta.url);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/**
 * Start anvil; `stop()` ends it. The code-size limit is off: a verifier with hundreds of public signals
 * (the MNIST MLP's public pixels) is larger than mainnet's 24 KiB.
 */
export async function startAnvil(): Promise<{ rpcUrl: string; stop(): Promise<void> }> {
  const bin = path.join(path.dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
  const port = await freePort();
  const proc = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--disable-code-size-limit', '--silent'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 100 || proc.exitCode !== null) throw new Error(`anvil did not start on ${rpcUrl}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    rpcUrl,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Compile a Solidity file with solc-js and deploy its contract `name` from anvil's first account. */
export async function deploySolidity(rpcUrl: string, solPath: string, name: string): Promise<string> {
  const solc = require('solc') as { compile(input: string): string };
  const input = { language: 'Solidity', sources: { [path.basename(solPath)]: { content: readFileSync(solPath, 'utf8') } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts[path.basename(solPath)]![name]!;
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    const factory = new ContractFactory(c.abi as never, c.evm.bytecode.object, await provider.getSigner(0));
    const contract = await factory.deploy();
    await contract.waitForDeployment();
    return await contract.getAddress();
  } finally {
    provider.destroy();
  }
}
