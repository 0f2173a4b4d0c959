/** The hash that binds a segmented model's ordered verification keys (no Node built-ins: the browser verifies too). */
import { canonicalJson, sha256 } from '../artifacts/hash.js';

export const SEGMENT_KEYS_FORMAT = 'zkinfer.segment-keys/1';

/** One hash of the ordered list of segment verification-key hashes. */
export const keysHashOf = (vkHashes: readonly string[]): string => sha256(canonicalJson({ format: SEGMENT_KEYS_FORMAT, vkHashes }));
