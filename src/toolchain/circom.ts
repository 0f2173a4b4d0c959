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
import { CircomCompileError } from '../errors.js';

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

function runCli(args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Argument array, never a shell string: paths with spaces or metacharacters stay inert.
    const child = spawn(process.execPath, [circomCliPath(), ...args], {
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
