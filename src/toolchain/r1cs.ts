/**
 * Reading compiled constraint systems (.r1cs via r1csfile, .sym) and checking witnesses against them
 * with plain BigInt arithmetic — independent of the witness generator, so a forged witness (one entry
 * changed by hand) can be shown to violate a specific constraint.
 */
import { readFile } from 'node:fs/promises';
import { ArtifactError } from '../errors.js';

/** BN254 (alt_bn128) scalar field order: the prime circom and snarkjs use by default. */
export const BN254_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Σ coeff·w[wire], as (wire, coeff) pairs with coeff in [0, p). Wire 0 is the constant 1. */
export type LinearCombination = ReadonlyArray<readonly [wire: number, coeff: bigint]>;

/** One R1CS row: (A·w)·(B·w) − (C·w) = 0 mod p. */
export interface Constraint {
  a: LinearCombination;
  b: LinearCombination;
  c: LinearCombination;
}

export interface R1cs {
  prime: bigint;
  /** Number of wires = witness length (including w[0] = 1). */
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: number;
  nConstraints: number;
  constraints: Constraint[];
}

export type WitnessCheck = { ok: true } | { ok: false; constraint: number; reason?: string };

interface RawR1cs {
  prime: bigint;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: number;
  nConstraints: number;
  constraints: Array<[Record<string, bigint>, Record<string, bigint>, Record<string, bigint>]>;
}
type ReadR1cs = (fileName: string, options: Record<string, unknown>) => Promise<RawR1cs>;

/**
 * A minimal prime field for r1csfile: coefficients decoded to plain bigints. (Without it r1csfile builds
 * the full bn128 curve with worker threads just to hold the coefficients.)
 */
function bigintField(p: bigint) {
  return {
    p,
    fromRprLE(buff: Uint8Array, o = 0, n8 = 32): bigint {
      let v = 0n;
      for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buff[o + i]!);
      return v;
    },
  };
}

/** Load an .r1cs file (constraints with bigint coefficients). */
export async function loadR1cs(path: string): Promise<R1cs> {
  const spec = 'r1csfile'; // non-literal: r1csfile ships no type declarations
  const { readR1cs } = (await import(spec)) as { readR1cs: ReadR1cs };
  let raw: RawR1cs;
  try {
    raw = await readR1cs(path, {
      loadConstraints: true,
      loadMap: false,
      loadCustomGates: false,
      getFieldFromPrime: (p: bigint) => bigintField(p),
    });
  } catch (e) {
    throw new ArtifactError(`cannot read r1cs ${path}: ${(e as Error).message}`, {
      hint: 'recompile the circuit',
      cause: e,
    });
  }
  const lc = (o: Record<string, bigint>): LinearCombination =>
    Object.entries(o)
      .map(([k, v]) => [Number(k), BigInt(v)] as const)
      .filter(([, v]) => v !== 0n);
  return {
    prime: BigInt(raw.prime),
    nVars: raw.nVars,
    nOutputs: raw.nOutputs,
    nPubInputs: raw.nPubInputs,
    nPrvInputs: raw.nPrvInputs,
    nLabels: Number(raw.nLabels),
    nConstraints: raw.nConstraints,
    constraints: raw.constraints.map(([a, b, c]) => ({ a: lc(a), b: lc(b), c: lc(c) })),
  };
}

/** Evaluate a linear combination on a witness, mod p. */
export function evalLc(lc: LinearCombination, w: readonly bigint[], p: bigint): bigint {
  let s = 0n;
  for (const [i, k] of lc) s += k * w[i]!;
  return ((s % p) + p) % p;
}

/** Whether constraint i holds for witness w (entries are taken mod p, so negative forgeries are allowed). */
export function constraintHolds(r1cs: R1cs, i: number, w: readonly bigint[]): boolean {
  const { a, b, c } = r1cs.constraints[i]!;
  const p = r1cs.prime;
  return (evalLc(a, w, p) * evalLc(b, w, p) - evalLc(c, w, p)) % p === 0n;
}

function checkShape(r1cs: R1cs, w: readonly bigint[]): WitnessCheck | undefined {
  if (w.length !== r1cs.nVars) {
    throw new ArtifactError(`witness has ${w.length} entries, the r1cs has ${r1cs.nVars} wires`, {
      hint: 'the witness and the r1cs come from different compilations',
    });
  }
  if (((w[0]! % r1cs.prime) + r1cs.prime) % r1cs.prime !== 1n) {
    return { ok: false, constraint: -1, reason: 'w[0] must be 1 (the constant wire)' };
  }
  return undefined;
}

/**
 * Check A·w × B·w − C·w = 0 mod p for every constraint. Returns the first failing constraint index
 * (−1 if w[0] ≠ 1).
 */
export function checkWitness(r1cs: R1cs, witness: readonly bigint[]): WitnessCheck {
  const bad = checkShape(r1cs, witness);
  if (bad) return bad;
  for (let i = 0; i < r1cs.constraints.length; i++) {
    if (!constraintHolds(r1cs, i, witness)) return { ok: false, constraint: i };
  }
  return { ok: true };
}

/** All failing constraint indices (empty when the witness satisfies the system). */
export function failingConstraints(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const bad = checkShape(r1cs, witness);
  if (bad) return [-1];
  const out: number[] = [];
  for (let i = 0; i < r1cs.constraints.length; i++) if (!constraintHolds(r1cs, i, witness)) out.push(i);
  return out;
}

const onlyConstant = (lc: LinearCombination): boolean => lc.every(([i]) => i === 0);

/** A constraint is linear when A or B is a constant (circom writes linear ones with A = B = 0). */
export function isLinearConstraint(c: Constraint): boolean {
  return onlyConstant(c.a) || onlyConstant(c.b);
}

/** The wires a constraint mentions (without the constant wire 0). */
export function constraintWires(c: Constraint): Set<number> {
  const s = new Set<number>();
  for (const lc of [c.a, c.b, c.c]) for (const [i] of lc) if (i !== 0) s.add(i);
  return s;
}

export interface ConstraintCounts {
  total: number;
  nonLinear: number;
  linear: number;
  /** Non-zero coefficients over A, B, C (drives proving-key size and setup time). */
  nonZeros: number;
}

/** Count constraints by kind, as the compiler reports them. */
export function countConstraints(r1cs: R1cs): ConstraintCounts {
  let linear = 0;
  let nonZeros = 0;
  for (const c of r1cs.constraints) {
    if (isLinearConstraint(c)) linear++;
    nonZeros += c.a.length + c.b.length + c.c.length;
  }
  return { total: r1cs.constraints.length, nonLinear: r1cs.constraints.length - linear, linear, nonZeros };
}

export interface SymbolEntry {
  labelIdx: number;
  /** Witness index, or −1 when the compiler optimized the signal away. */
  varIdx: number;
  componentIdx: number;
  name: string;
}

/** All entries of a .sym file (lines `labelIdx,varIdx,componentIdx,name`). */
export async function loadSymbolEntries(symPath: string): Promise<SymbolEntry[]> {
  let text: string;
  try {
    text = await readFile(symPath, 'utf8');
  } catch (e) {
    throw new ArtifactError(`cannot read symbols ${symPath}: ${(e as Error).message}`, { cause: e });
  }
  const out: SymbolEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // The name is the 4th field; it never contains commas in circom 2 output, but be safe.
    const m = /^(-?\d+),(-?\d+),(-?\d+),(.*)$/.exec(line.trim());
    if (!m) throw new ArtifactError(`malformed line in ${symPath}: ${line}`);
    out.push({ labelIdx: Number(m[1]), varIdx: Number(m[2]), componentIdx: Number(m[3]), name: m[4]! });
  }
  return out;
}

/**
 * Signal name (e.g. "main.d.out[3]") → witness index. Signals the compiler optimized away (varIdx −1)
 * are left out; use loadSymbolEntries to see them.
 */
export async function loadSymbols(symPath: string): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  for (const e of await loadSymbolEntries(symPath)) if (e.varIdx >= 0) map.set(e.name, e.varIdx);
  return map;
}
