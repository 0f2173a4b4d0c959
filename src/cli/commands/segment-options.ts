/** The segment options' types and parsers, apart from segments.ts so that defining the commands loads nothing heavy. */
import { InputError } from '../../errors.js';

export interface SegmentOpts {
  segments?: 'auto' | number;
  maxConstraints?: number;
}

export function parseSegments(s: string): 'auto' | number {
  if (s === 'auto') return 'auto';
  const k = Number(s);
  if (!Number.isInteger(k) || k < 1 || k > 64) throw new InputError(`--segments '${s}': expected 'auto' or an integer from 1 to 64`);
  return k;
}

export function parsePositive(name: string) {
  return (s: string): number => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${name} '${s}': expected a positive integer`);
    return v;
  };
}
