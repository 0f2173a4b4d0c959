/**
 * Solidity → EVM bytecode with solc-js (the npm `solc` package: the compiler as WebAssembly, pinned in
 * package.json, never downloaded at run time). Refuses bytecode over the EIP-170 size limit.
 */
import { ContractSizeError, SolidityCompileError } from '../errors.js';

/** EIP-170: largest runtime bytecode a chain accepts. */
export const EIP170_LIMIT = 24_576;
/** EIP-3860: largest init code (constructor + runtime) a chain accepts. */
export const EIP3860_LIMIT = 49_152;

export interface CompiledContract {
  name: string;
  abi: readonly Record<string, unknown>[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
  /** Runtime size in bytes (what EIP-170 limits). */
  runtimeBytes: number;
  initBytes: number;
}

export interface CompileSolidityParams {
  /** File name → source text; imports resolve among these names. */
  sources: Record<string, string>;
  /** The file and contract to return, e.g. `{ file: 'Model.sol', contract: 'ZkinferModel' }`. */
  target: { file: string; contract: string };
  /** Check the EIP-170 / EIP-3860 limits (default true). */
  checkSize?: boolean;
}

/** solc-js is large (~1 s to load): loaded on first use only, so other commands stay fast. */
const loadSolc = async () => (await import('solc')).default;

/**
 * The solc-js compiler's version (pinned in package.json, so the same bytecode everywhere).
 * @example console.log(await solcVersion()); // 0.8.37+commit…
 */
export const solcVersion = async (): Promise<string> => (await loadSolc()).version();

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string; sourceLocation?: { file: string } }[];
  contracts?: Record<string, Record<string, { abi: Record<string, unknown>[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/**
 * Compile Solidity in-process and return one contract.
 * @example const c = await compileSolidity({ sources: { 'A.sol': src }, target: { file: 'A.sol', contract: 'A' } });
 */
export async function compileSolidity(params: CompileSolidityParams): Promise<CompiledContract> {
  const solc = await loadSolc();
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(params.sources).map(([k, content]) => [k, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      // No metadata hash appended: the bytecode is a function of what the code does, not of its comments or
      // file names, so a verifier generated from a key alone is byte-identical to one generated from DIR.
      metadata: { appendCBOR: false },
      outputSelection: { [params.target.file]: { [params.target.contract]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const out = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (p: string) => (p in params.sources ? { contents: params.sources[p]! } : { error: `${p} not found (only generated sources are available)` }),
    }),
  ) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) {
    throw new SolidityCompileError(`${params.target.file}: solc ${solc.version()} rejected the source: ${errors.map((e) => e.formattedMessage.trim().split('\n')[0]).join('; ')}`, {
      hint: 'this is generated code: please report it with the artifact directory',
    });
  }
  const c = out.contracts?.[params.target.file]?.[params.target.contract];
  if (!c) throw new SolidityCompileError(`${params.target.file}: contract ${params.target.contract} not found in solc output`);
  const runtimeBytes = c.evm.deployedBytecode.object.length / 2;
  const initBytes = c.evm.bytecode.object.length / 2;
  if (params.checkSize !== false) {
    if (runtimeBytes > EIP170_LIMIT) {
      throw new ContractSizeError(params.target.contract, runtimeBytes, 'EIP-170', EIP170_LIMIT, {
        hint: 'the Groth16 verifier grows by ~100 bytes per public signal: make fewer signals public (--input-visibility hashed|private, --output-visibility hashed, or a coarser --output-scale)',
      });
    }
    if (initBytes > EIP3860_LIMIT) {
      throw new ContractSizeError(params.target.contract, initBytes, 'EIP-3860', EIP3860_LIMIT, { hint: 'make fewer signals public' });
    }
  }
  return { name: params.target.contract, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, runtimeBytes, initBytes };
}
