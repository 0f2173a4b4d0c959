/** `zkinfer verify receipt.json --rpc URL [--address ADDR | --dir DIR]`: the on-chain half of verify. */
import { connectChain } from '../../chain/evm.js';
import { verifyOnChain } from '../../chain/deploy.js';
import type { OnChainVerifyResult } from '../../chain/deploy.js';
import type { Receipt } from '../../receipt.js';
import { InputError } from '../../errors.js';
import type { SegmentedReceipt } from '../../compose/receipt.js';
import { deployedAddress } from './chain-options.js';

/**
 * Ask the model's contract on a chain whether the receipt verifies (and what a verifying transaction costs).
 * The contract address comes from --address, else from DIR/deployments.json for the chain's id.
 */
export async function verifyReceiptOnChain(p: { receipt: Receipt; rpc: string; address?: string; dir?: string }): Promise<OnChainVerifyResult & { chainId: string; detail: string }> {
  const chain = await connectChain({ rpc: p.rpc });
  if (!p.address && !p.dir) throw new InputError('--rpc needs --address ADDR (the model contract) or --dir DIR (whose deployments.json names it)');
  const address = p.address ?? deployedAddress(p.dir!, chain);
  const r = await verifyOnChain({ receipt: p.receipt, chain, address, estimateGas: true });
  const detail = r.ok ? `contract ${address} on chain ${chain.chainId} says the proof verifies (a verifying transaction needs a gas limit of ${r.gas})` : `contract ${address} on chain ${chain.chainId}: ${r.reason}`;
  return { ...r, chainId: chain.chainId.toString(), detail };
}

/**
 * Ask a segmented model's contract (`zkinfer deploy` on a segmented directory) whether all the receipt's
 * segment proofs and links verify, naming the failed check as `verifySegmentedReceipt` does.
 */
export async function verifySegmentedReceiptOnChain(p: { receipt: SegmentedReceipt; rpc: string; address?: string; dir?: string }): Promise<{ ok: boolean; check?: string; reason?: string; gas?: bigint; address: string; chainId: string; detail: string }> {
  const chain = await connectChain({ rpc: p.rpc });
  if (!p.address && !p.dir) throw new InputError('--rpc needs --address ADDR (the segmented model contract) or --dir DIR (whose deployments.json names it)');
  const address = p.address ?? deployedAddress(p.dir!, chain);
  const { verifySegmentedOnChain } = await import('../../chain/segmented.js');
  const r = await verifySegmentedOnChain({ receipt: p.receipt, chain, address, estimateGas: true });
  const detail = r.ok ? `contract ${address} on chain ${chain.chainId} says all ${p.receipt.segments.length} segment proofs and their links verify (a verifying transaction needs a gas limit of ${r.gas})` : `contract ${address} on chain ${chain.chainId}: ${r.check}: ${r.reason}`;
  return { ...r, address, chainId: chain.chainId.toString(), detail };
}
