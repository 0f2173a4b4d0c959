/** Messages between the page (main.ts) and the worker that runs snarkjs (worker.ts). */
import type { CompiledInfo } from '../../src/compile.js';
import type { SetupInfo } from '../../src/setup.js';
import type { Receipt } from '../../src/receipt.js';
import type { VerifyResult } from '../../src/verify/verify.js';

/** Artifacts found next to a receipt: the key, and compiled.json / setup.json when present too. */
export interface Trusted {
  vk: Record<string, unknown>;
  compiled?: CompiledInfo;
  setup?: SetupInfo;
}

/** What the page trusts for a verification: artifacts of its own server, and/or a key hash the user entered. */
export interface TrustSources {
  trusted?: Trusted;
  trustedVkHash?: string;
  /** In words, who vouches (shown on the page). */
  trustedBy?: string;
}

export type WorkerRequest =
  | ({ id: number; kind: 'verify'; receipt: unknown } & TrustSources)
  /** Prove one inference with the artifacts under `artifacts` (an absolute URL ending in '/'). */
  | { id: number; kind: 'prove'; artifacts: string; inputs: number[][] }
  /** Groth16 proof and public signals as the arguments of the Solidity verifier's verifyProof. */
  | { id: number; kind: 'calldata'; receipt: Receipt };

export interface ProveTimings {
  /** Milliseconds: artifacts fetched (0 when cached), witness, Groth16 proof, verification of the new receipt. */
  fetch: number;
  witness: number;
  prove: number;
  verify: number;
}

export interface ErrorInfo {
  name: string;
  code?: string;
  message: string;
  hint?: string;
}

export type SolidityCallData = [string[], string[][], string[], string[]];

export type WorkerReply =
  | { id: number; kind: 'progress'; stage: string; fraction: number }
  | { id: number; kind: 'verified'; result: VerifyResult; ms: number }
  | { id: number; kind: 'proved'; receipt: Receipt; result: VerifyResult; ms: ProveTimings }
  | { id: number; kind: 'calldata'; args: SolidityCallData }
  | { id: number; kind: 'error'; error: ErrorInfo };
