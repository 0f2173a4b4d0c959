/**
 * The segmented receipt (`zkinfer.segmented-receipt/1`): one inference proven as K linked segment proofs.
 * Each segment is an ordinary receipt (its own proof, public signals and embedded key); `links[i]` is the
 * commitment segment i's output and segment i+1's input share, and `segmentKeysHash` binds the ordered
 * list of the segments' verification-key hashes (what `compile --segments` + `setup` produced).
 */
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import type { Visibility } from '../quantize/layout.js';

export const SEGMENTED_RECEIPT_FORMAT = 'zkinfer.segmented-receipt/1';

export interface SegmentedReceipt {
  format: typeof SEGMENTED_RECEIPT_FORMAT;
  model: { file: string; name: string; fileSha256: string; quantizedSha256: string };
  /** modelIdOf(model). */
  modelId: string;
  /** The user's visibility: the first segment's input, the last segment's output, the params of all. */
  visibility: Visibility;
  setup: { dev: boolean; note?: string };
  segmentKeysHash: string;
  /** Decoded model inputs / outputs when public (the first / last segment's). */
  inputs?: ReceiptTensor[];
  outputs?: ReceiptTensor[];
  /** The user-facing commitments (hashed model input / output). */
  commitments?: { input?: string; output?: string };
  /** Boundary commitments: links[i] joins segment i and i+1. */
  links: string[];
  segments: Receipt[];
  createdAt: string;
}

export type { Opening };
