/**
 * Commands beyond the core pipeline, one file each (`register<Name>(program)`), registered here.
 * Use ../output.ts for printing and throw ZkinferError subclasses for user errors.
 */
import type { Command } from 'commander';
import { registerInspect } from './inspect.js';
import { registerWeb } from './web.js';
import { registerProveMany } from './prove-many.js';
import { registerEstimate } from './estimate.js';
import { registerBench } from './bench.js';

export function registerCommands(program: Command): void {
  registerInspect(program);
  registerWeb(program);
  registerProveMany(program);
  registerEstimate(program);
  registerBench(program);
}
