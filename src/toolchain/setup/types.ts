/**
 * Parameters and results of the setup entry points.
 */
/** Toxic waste of a powers-of-tau file: field elements in (0, r). */
export interface PtauSecrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
}

/** Toxic waste of a proving key; δ random when omitted. δ = 1n reproduces snarkjs `zkey new` exactly. */
export interface KeySecrets extends PtauSecrets {
  delta?: bigint;
}

export interface SetupProgress {
  /** e.g. "ptau:tauG1", "zkey:A". */
  stage: string;
  done: number;
  total: number;
}

/**
 * Progress callback: a one-line human-readable message (stage starts, every ~25 %, stage ends) and the
 * same information structured.
 */
export type OnSetupProgress = (message: string, progress: SetupProgress) => void;

export function report(onProgress: OnSetupProgress | undefined, p: SetupProgress): void {
  onProgress?.(`setup: ${p.stage} ${p.done}/${p.total}`, p);
}

export interface WriteDevPtauParameters {
  /** The file holds 2^power tau powers (enough for circuits with < 2^power constraints + public signals). */
  power: number;
  /** Output path (written in place; use getDevPtau for an atomic, cached file). */
  path: string;
  /** Testing only: fixed secrets. Default: fresh random secrets, discarded afterwards. */
  secrets?: PtauSecrets;
  onProgress?: OnSetupProgress;
}

export interface WriteDevPtauReturnType {
  path: string;
  power: number;
  seconds: number;
}

export interface GetDevPtauParameters {
  power: number;
  /** Directory of the cache; created if missing. */
  cacheDir: string;
  onProgress?: OnSetupProgress;
}

export interface GetDevPtauReturnType {
  ptauPath: string;
  power: number;
  /** True when the file was already in the cache. */
  cached: boolean;
  seconds: number;
}

export interface DevSetupParameters {
  r1csPath: string;
  zkeyPath: string;
  /** Dev-ptau cache; only used by method "snarkjs" (the direct method needs no ptau). */
  cacheDir?: string;
  onProgress?: OnSetupProgress;
  /**
   * "direct" (default): compute the zkey from the secrets. "snarkjs": cached dev ptau + snarkjs newZKey +
   * one random contribution (slower; kept as a fallback and as a reference for benchmarks).
   */
  method?: 'direct' | 'snarkjs';
  /** Testing only (direct method): fixed secrets. */
  secrets?: KeySecrets;
  /**
   * Direct method: the power of the ptau the key is to correspond to byte for byte (default: the circuit
   * power). snarkjs derives the H points from the ptau's 2n-domain Lagrange section, which drops the
   * τ^(2n−1) coefficient when the ptau power equals the circuit power; both variants are valid keys.
   */
  ptauPower?: number;
}

export interface VerificationKey {
  protocol: string;
  curve: string;
  nPublic: number;
  [k: string]: unknown;
}

export interface SetupReturnType {
  zkeyPath: string;
  vkey: VerificationKey;
  /** Circuit domain power: ⌊log2(constraints + public signals)⌋ + 1 (the minimum ptau power). */
  power: number;
  seconds: number;
  /** True for a dev setup: the toxic waste was known to this process. Never use such a key in production. */
  dev: boolean;
  method: 'direct' | 'snarkjs' | 'production';
  /** JSON sidecar next to the zkey describing the setup (`<zkey>.setup.json`). */
  sidecarPath: string;
}

export interface ProductionSetupParameters {
  r1csPath: string;
  /** A *prepared* (phase-2) ptau from a public ceremony. */
  ptauPath: string;
  zkeyPath: string;
  /** Name recorded in the contribution. */
  name?: string;
  /** Extra entropy for the contribution (random bytes are always mixed in). */
  entropy?: string;
  /** Also run snarkjs `powersoftau verify` on the ptau (slow for large files). Default false. */
  verifyPtau?: boolean;
}

/** Name recorded in the contribution sections of dev files: the files say themselves that they are insecure. */
export const DEV_PTAU_CONTRIBUTION_NAME = 'zkinfer dev ptau: INSECURE, toxic waste was known';
export const DEV_ZKEY_CONTRIBUTION_NAME = 'zkinfer dev key: INSECURE, toxic waste was known';
