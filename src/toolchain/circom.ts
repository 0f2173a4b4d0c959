/**
 * The circom compiler (circom2 npm package: circom 2.x built as WebAssembly, run under Node's WASI).
 * This module is the only place that runs it.
 *
 * circom2's CLI rewrites every path argument relative to its working directory and only pre-opens the
 * working directory and its ancestors, so `-l` include directories must lie below the working directory.
 * We therefore always run it with cwd = projectRoot and pass relative paths.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CircomCompileError, CompilerMemoryError } from '../errors.js';

/** circom2's memory: 32-bit WebAssembly, 4 GiB (MB of 2^20 bytes); ZKINFER_CIRCOM_MEMORY_MB caps it lower. */
export const CIRCOM_MEMORY_MB = 4096;

export type CircomOptimization = 'O0' | 'O1' | 'O2';

export interface CompileOptions {
  /** The main .circom file (must declare `component main`). */
  sourcePath: string;
  /** Output directory; created if missing. */
  outDir: string;
  /** Library directories for `include` (must lie inside projectRoot). */
  includeDirs?: string[];
  /** circom simplification level; default O1. */
  optimize?: CircomOptimization;
  /** Working directory of the compiler (the project root). */
  projectRoot: string;
}

export interface CompileResult {
  r1csPath: string;
  wasmPath: string;
  symPath: string;
  nonLinearConstraints: number;
  linearConstraints: number;
  wires: number;
  labels: number;
  templateInstances: number;
  publicInputs: number;
  privateInputs: number;
  /** Outputs of `component main` (all public). */
  outputs: number;
  /** Wall-clock seconds of the compiler run. */
  seconds: number;
  /** circom compiler version, e.g. "2.2.3". */
  compilerVersion: string;
  /** Warning headlines printed by the compiler (e.g. "warning[CA01]: ..."). */
  warnings: string[];
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Remove terminal colour codes from compiler output. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Absolute path of circom2's CLI script. */
export function circomCliPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('circom2/package.json')), 'cli.js');
}

/** Version of the circom2 npm package (the wrapper, not the compiler). */
export function circom2PackageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('circom2/package.json') as { version: string }).version;
}

/**
 * circom2's WASI shim reads the compiler's pointer arguments as JavaScript numbers from signed 32-bit wasm
 * values, so once the compiler's memory passes 2 GiB a pointer above it is negative and the shim throws
 * (`RangeError: Start offset -2078738112 is outside the bounds of the buffer` opening an output file): the
 * compiler could use only 2 of its 4 GiB. Every i32 argument of a WASI call is unsigned (pointers, lengths,
 * descriptors, flags; 64-bit ones arrive as BigInt), so the launcher reads them as such (`x >>> 0`) before
 * running circom2's own CLI.
 */
const UNSIGNED_WASI = [
  'const instantiate = WebAssembly.instantiate;',
  'WebAssembly.instantiate = function (m, imports) {',
  '  for (const ns of ["wasi_snapshot_preview1", "wasi_unstable"]) { const w = imports && imports[ns]; if (!w) continue;',
  '    for (const k of Object.keys(w)) { const f = w[k]; if (typeof f === "function") w[k] = (...a) => f(...a.map((x) => (typeof x === "number" ? x >>> 0 : x))); } }',
  '  return instantiate.call(this, m, imports);',
  '};',
  'require(process.argv[1]);', // process.argv under -e: [node, cli, …the compiler's arguments], what cli.js reads
].join('\n');

/** Node arguments running circom2's CLI `cli` (circomCliPath) with unsigned WASI pointers; the compiler's arguments follow. */
export const circomLaunchArgs = (cli: string): string[] => ['-e', UNSIGNED_WASI, cli];

/**
 * What in circom2's output says it ran out of memory, or undefined. Seen: Rust's `memory allocation of N
 * bytes failed` then `RuntimeError: unreachable` (its abort) when the 4 GiB are used up, or a smaller
 * ZKINFER_CIRCOM_MEMORY_MB cap (V8's --wasm-max-mem-pages: tests provoke it on small circuits);
 * `Start offset -N is outside the bounds of the buffer` past 2 GiB without the unsigned launcher; V8's own
 * refusals to grow; the process killed by the system (SIGKILL).
 */
export function compilerMemoryFailure(output: string, signal: NodeJS.Signals | null = null): string | undefined {
  const m = /memory allocation of \d+ bytes failed|Start offset -\d+ is outside the bounds of the buffer|Cannot enlarge memory[^\n]*|WebAssembly\.Memory[^\n]*(grow|allocate)[^\n]*|Maximum memory size exceeded|Out of memory[^\n]*|JavaScript heap out of memory|_rust_alloc_error_handler|_rg_oom/.exec(output);
  if (m) return m[0].startsWith('_r') ? 'memory allocation failed' : m[0];
  return signal === 'SIGKILL' ? 'killed by SIGKILL (the system out of memory?)' : undefined;
}

function runCli(args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Argument array, never a shell string: paths with spaces or metacharacters stay inert.
    const cap = Number(process.env.ZKINFER_CIRCOM_MEMORY_MB);
    const pages = Number.isFinite(cap) && cap > 0 ? [`--wasm-max-mem-pages=${Math.ceil(cap * 16)}`] : [];
    const child = spawn(process.execPath, [...pages, ...circomLaunchArgs(circomCliPath()), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: stripAnsi(Buffer.concat(out).toString('utf8')),
        stderr: stripAnsi(Buffer.concat(err).toString('utf8')),
      }),
    );
  });
}

let versionPromise: Promise<string> | undefined;

/** The circom compiler version (e.g. "2.2.3"), asked once per process. */
export function circomVersion(): Promise<string> {
  versionPromise ??= (async () => {
    const r = await runCli(['--version'], process.cwd());
    const m = /circom compiler (\d+\.\d+\.\d+)/.exec(r.stdout + r.stderr);
    if (r.code !== 0 || !m) {
      versionPromise = undefined;
      throw new CircomCompileError(`could not determine the circom version: ${(r.stderr || r.stdout).trim()}`, {
        hint: 'check that the circom2 package is installed (npm ci)',
      });
    }
    return m[1]!;
  })();
  return versionPromise;
}

/** A path relative to root, refusing paths outside it (circom2 cannot see them as include dirs). */
function relativeInside(root: string, p: string, what: string): string {
  const rel = path.relative(root, path.resolve(root, p));
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new CircomCompileError(`${what} ${p} lies outside the project root ${root}`, {
      hint: 'circom2 (WebAssembly) only sees include directories below its working directory',
    });
  }
  return rel === '' ? '.' : rel;
}

function countOf(stdout: string, label: string): number | undefined {
  // e.g. "private inputs: 1 (none belong to witness)" under --O2
  const re = new RegExp(`^\\s*${label}:\\s*(\\d+)\\b.*$`, 'm');
  const m = re.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/**
 * The compiler's diagnostic, reduced to its first error(s): the `error[...]` headline(s) with their
 * source excerpt, without colour codes or the trailing "previous errors were found".
 */
export function summarizeCompilerErrors(output: string, maxLines = 24): string {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => !/^previous errors were found$/.test(l.trim()));
  const first = lines.findIndex((l) => /^(error|Error)/.test(l.trim()));
  const body = (first >= 0 ? lines.slice(first) : lines).filter((l, i, a) => !(l === '' && a[i - 1] === ''));
  const text = body.slice(0, maxLines).join('\n').trim();
  return text || 'the compiler failed without a message';
}

/** Compile a circom main to r1cs + witness wasm + sym. Throws CircomCompileError with the compiler's message. */
export async function compileCircuit(opts: CompileOptions): Promise<CompileResult> {
  const root = path.resolve(opts.projectRoot);
  const source = path.resolve(root, opts.sourcePath);
  const outDir = path.resolve(root, opts.outDir);
  const optimize = opts.optimize ?? 'O1';
  if (!source.endsWith('.circom')) {
    throw new CircomCompileError(`not a .circom file: ${opts.sourcePath}`);
  }
  await mkdir(outDir, { recursive: true });

  const args = [
    path.relative(root, source),
    '--r1cs',
    '--wasm',
    '--sym',
    `--${optimize}`,
    '-o',
    path.relative(root, outDir) || '.',
  ];
  for (const dir of opts.includeDirs ?? []) args.push('-l', relativeInside(root, dir, 'include directory'));

  const compilerVersion = await circomVersion();
  const t0 = performance.now();
  const r = await runCli(args, root);
  const seconds = (performance.now() - t0) / 1000;

  const everything = `${r.stderr}\n${r.stdout}`;
  const memory = r.code !== 0 ? compilerMemoryFailure(everything, r.signal) : undefined;
  if (memory) {
    const cap = Number(process.env.ZKINFER_CIRCOM_MEMORY_MB) || CIRCOM_MEMORY_MB;
    throw new CompilerMemoryError(`circom ${compilerVersion} ran out of memory compiling ${path.relative(root, source)} (${memory}; circom2 has at most ${cap} MB)`, {
      hint: 'the circuit is too big for circom2: compile the model in segments (--segments auto), or in smaller ones (--max-constraints)',
    });
  }
  const crash = /RuntimeError: ([^\n]*)/.exec(everything);
  if (crash) {
    // A trap inside the compiler's wasm, not a diagnostic. Seen: "memory access out of bounds" when an
    // expression is a flat chain of more than ~500 terms (the compiler recurses per operand).
    throw new CircomCompileError(
      `the circom ${compilerVersion} compiler crashed on ${path.relative(root, source)}: RuntimeError: ${crash[1]}`,
      {
        hint:
          'circom2 runs as WebAssembly with a small stack: write long sums as balanced trees ((a + b) + (c + d)) ' +
          'or accumulate them in a loop instead of one flat a + b + c + … expression',
      },
    );
  }
  if (r.code !== 0 || !/Everything went okay/.test(r.stdout)) {
    const why = r.signal ? ` (killed by ${r.signal})` : '';
    throw new CircomCompileError(
      `circom ${compilerVersion} failed to compile ${path.relative(root, source)}${why}:\n${summarizeCompilerErrors(everything)}`,
      { hint: 'the message above is the compiler diagnostic; the location refers to the .circom source' },
    );
  }

  const need = (label: string): number => {
    const v = countOf(r.stdout, label);
    if (v === undefined) {
      throw new CircomCompileError(`unexpected circom output: no "${label}" line in\n${r.stdout.trim()}`);
    }
    return v;
  };

  const name = path.basename(source, '.circom');
  const warnings = everything
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^warning\[/.test(l));

  return {
    r1csPath: path.join(outDir, `${name}.r1cs`),
    wasmPath: path.join(outDir, `${name}_js`, `${name}.wasm`),
    symPath: path.join(outDir, `${name}.sym`),
    nonLinearConstraints: need('non-linear constraints'),
    linearConstraints: need('linear constraints'),
    wires: need('wires'),
    labels: need('labels'),
    templateInstances: need('template instances'),
    publicInputs: need('public inputs'),
    privateInputs: need('private inputs'),
    outputs: need('public outputs'),
    seconds,
    compilerVersion,
    warnings,
  };
}
