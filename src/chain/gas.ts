/**
 * Verification gas predicted from the public-signal count alone, without deploying anything.
 *
 * A transaction calling `verifyInference(proof, publicSignals)` on a model contract pays:
 *   21,000 intrinsic
 * + calldata: 4-byte selector + 32 bytes × (8 proof words + n signals), 16 gas per non-zero byte, 4 per zero byte
 * + execution = base + n × perSignal, where base is dominated by the 4-pair pairing check (EIP-1108 price
 *   45,000 + 4 × 34,000) and perSignal by one ecMul (6,000) and one ecAdd (150) precompile call plus the
 *   field check and memory work of snarkjs's verifier.
 * base and perSignal are measured (execution gas = gasUsed − the same transaction's gas when sent to an
 * account without code) on anvil 1.7 (cancun), contracts compiled by solc-js 0.8.37 (optimizer, 200 runs):
 * linear within 25 gas over 1, 2, 10 and 100 signals. test/chain-gas.test.ts re-measures them on every run.
 */
export const GAS = {
  intrinsic: 21_000,
  /** Execution gas independent of the signal count (measured). */
  base: 182_316,
  /** Execution gas per public signal (measured). */
  perSignal: 6_647,
  calldataNonZero: 16,
  calldataZero: 4,
  /** Head-room in the worst case: execution varies by a few dozen gas with the proof's values. */
  margin: 500,
} as const;

export interface GasEstimate {
  nPublic: number;
  /** Worst case: every calldata byte non-zero, plus a small margin (what to budget for). */
  total: number;
  /** Typical: proof words all non-zero, signals as small non-negative numbers (mostly zero bytes). */
  typical: number;
  breakdown: { intrinsic: number; calldata: number; base: number; perSignal: number };
  /** Calldata bytes of the transaction. */
  calldataBytes: number;
}

/**
 * Predict the gas of a verifying transaction for a model with `nPublic` public signals.
 * @example estimateVerifyGas(2).total // 222,294: an input commitment plus ≤ 10 small packed outputs
 */
export function estimateVerifyGas(nPublic: number): GasEstimate {
  const words = 8 + nPublic;
  const calldataBytes = 4 + 32 * words;
  const calldata = calldataBytes * GAS.calldataNonZero;
  const perSignal = nPublic * GAS.perSignal;
  const exec = GAS.base + perSignal;
  const total = GAS.intrinsic + calldata + exec + GAS.margin;
  // Typical signals: small values, 4 non-zero bytes of 32 each.
  const typicalCalldata = (4 + 32 * 8) * GAS.calldataNonZero + nPublic * (4 * GAS.calldataNonZero + 28 * GAS.calldataZero);
  return {
    nPublic,
    total,
    typical: GAS.intrinsic + typicalCalldata + exec,
    breakdown: { intrinsic: GAS.intrinsic, calldata, base: GAS.base, perSignal },
    calldataBytes,
  };
}

/** Exact calldata gas of the given words (proof + signals) and selector, as the chain charges it. */
export function calldataGas(words: bigint[]): number {
  let g = 4 * GAS.calldataNonZero; // selector: 4 non-zero bytes in practice
  for (const w of words) {
    const hex = w.toString(16).padStart(64, '0');
    for (let i = 0; i < 64; i += 2) g += hex.slice(i, i + 2) === '00' ? GAS.calldataZero : GAS.calldataNonZero;
  }
  return g;
}

export interface VerifyGasEstimate {
  gas: number;
  nPublic: number;
  formula: string;
}

/**
 * Predicted gas of a verifying transaction for a circuit with `nPublic` public signals (compiled.json
 * `nPublic`: public values are packed, a hashed tensor is one commitment): the worst case of estimateVerifyGas,
 * what estimate, bench and the gas target read.
 * @example predictVerifyGas(2).gas // 222294: an input commitment and ≤ 10 small packed outputs
 */
export function predictVerifyGas(nPublic: number): VerifyGasEstimate {
  const e = estimateVerifyGas(nPublic);
  return {
    gas: e.total,
    nPublic,
    formula: `${GAS.intrinsic} + calldata ${e.breakdown.calldata} + ${GAS.base} + ${GAS.perSignal} × ${nPublic} public signals + ${GAS.margin} margin`,
  };
}
