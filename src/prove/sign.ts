/** Prover identity: an Ethereum key signs the receipt hash (EIP-191 personal_sign). */
import { existsSync, readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { receiptHash } from '../receipt.js';
import type { Receipt } from '../receipt.js';
import { signatureMessage } from '../verify/verify.js';
import { InputError } from '../errors.js';

/**
 * Resolve a key given as `env:NAME` (an environment variable), a file holding the hex key, or the
 * name of an environment variable.
 */
export function loadSigningKey(spec: string): Wallet {
  let hex: string | undefined;
  let where: string;
  if (spec.startsWith('env:')) {
    where = `environment variable ${spec.slice(4)}`;
    hex = process.env[spec.slice(4)];
  } else if (existsSync(spec)) {
    where = `file ${spec}`;
    hex = readFileSync(spec, 'utf8').trim();
  } else {
    where = `environment variable ${spec}`;
    hex = process.env[spec];
  }
  if (!hex) throw new InputError(`--sign-key: ${where} is not set or empty`, { hint: 'give a file holding a hex private key, or env:VAR' });
  try {
    return new Wallet(hex.startsWith('0x') ? hex : `0x${hex}`);
  } catch {
    throw new InputError(`--sign-key: ${where} does not hold a valid secp256k1 private key (32 bytes hex)`);
  }
}

/** Sign a receipt in place; returns the signer's address. */
export async function signReceipt(receipt: Receipt, wallet: Pick<Wallet, "address" | "signMessage">): Promise<string> {
  delete receipt.signature;
  const value = await wallet.signMessage(signatureMessage(receiptHash(receipt)));
  receipt.signature = { scheme: 'eip191-personal-sign', signer: wallet.address, value };
  return wallet.address;
}
