/**
 * Gas of a transaction that verifies one Groth16 proof with snarkjs's Solidity verifier: the one place the
 * prediction lives (estimate, bench and the targets read it; on-chain measurements refine the constants).
 *
 * The verifier does one pairing check (4 pairings, constant) and one G1 scalar multiplication + addition
 * per public signal (the ecMul/ecAdd precompiles), plus calldata: so gas ≈ base + perPublic · nPublic.
 * Constants measured on snarkjs 0.7 verifiers (transaction gas including the 21,000 intrinsic cost).
 */

export const VERIFY_GAS = {
  /** Transaction with zero public signals: pairing check, proof calldata, intrinsic gas. */
  base: 207_000,
  /** Per public signal: ecMul (6,000) + ecAdd (150) + calldata and field checks. */
  perPublic: 6_800,
} as const;

export interface VerifyGasEstimate {
  gas: number;
  nPublic: number;
  formula: string;
}

/**
 * Predicted gas of a verifying transaction for a circuit with `nPublic` public signals
 * (compiled.json `nPublic`: public values are packed, a hashed tensor is one commitment).
 * @example predictVerifyGas(3).gas // 227400
 */
export function predictVerifyGas(nPublic: number): VerifyGasEstimate {
  return {
    gas: VERIFY_GAS.base + VERIFY_GAS.perPublic * nPublic,
    nPublic,
    formula: `${VERIFY_GAS.base} + ${VERIFY_GAS.perPublic} × ${nPublic} public signals`,
  };
}
