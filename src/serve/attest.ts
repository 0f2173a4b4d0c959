/**
 * The service's attestation: an EIP-191 (personal_sign) signature over what it answered at once —
 * model id, verification-key hash, input reference, outputs hash and inference id — so a caller can act on
 * the outputs before the proof lands and hold the service to them. No Node built-ins (browser clients verify too).
 */
import { verifyMessage } from 'ethers';
import type { Wallet } from 'ethers';
import { canonicalJson } from '../artifacts/hash.js';

export const ATTESTATION_FORMAT = 'zkinfer.attestation/1';

export interface AttestationClaim {
  format: typeof ATTESTATION_FORMAT;
  /** Inference id. */
  id: string;
  modelId: string;
  vkHash: string;
  /** sha256 of the quantized input integers (canonical JSON). */
  inputHash: string;
  /** sha256 of the output integers (canonical JSON). */
  outputsHash: string;
}

export interface Attestation extends AttestationClaim {
  scheme: 'eip191-personal-sign';
  signer: string;
  signature: string;
}

/** The exact text that is signed. */
export const attestationMessage = (c: AttestationClaim): string =>
  `zkinfer attestation\n${canonicalJson({ format: c.format, id: c.id, modelId: c.modelId, vkHash: c.vkHash, inputHash: c.inputHash, outputsHash: c.outputsHash })}`;

/**
 * Sign an inference's claim.
 * @example const a = await attest(wallet, { format: ATTESTATION_FORMAT, id, modelId, vkHash, inputHash, outputsHash });
 */
export async function attest(wallet: Pick<Wallet, 'address' | 'signMessage'>, claim: AttestationClaim): Promise<Attestation> {
  return { ...claim, scheme: 'eip191-personal-sign', signer: wallet.address, signature: await wallet.signMessage(attestationMessage(claim)) };
}

/**
 * The address that signed an attestation (compare it with the service's published signer), or undefined when
 * the signature does not recover to `signer`.
 */
export function attestationSigner(a: Attestation): string | undefined {
  try {
    const who = verifyMessage(attestationMessage(a), a.signature);
    return who.toLowerCase() === a.signer.toLowerCase() ? who : undefined;
  } catch {
    return undefined;
  }
}
