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
import { registerDeploy } from './deploy.js';
import { registerRegistry } from './registry.js';
import { registerEstimateGas } from './estimate-gas.js';
import { registerServe } from './serve.js';

export function registerCommands(program: Command): void {
  registerInspect(program);
  registerWeb(program);
  registerProveMany(program);
  registerEstimate(program);
  registerBench(program);
  registerDeploy(program);
  registerRegistry(program);
  registerEstimateGas(program);
  registerServe(program);
}
