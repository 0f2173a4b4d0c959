/**
 * Commands beyond the core pipeline, one file each (`register<Name>(program)`), registered here.
 * Use ../output.ts for printing and throw ZkinferError subclasses for user errors.
 */
import type { Command } from 'commander';
import { registerDeploy } from './deploy.js';
import { registerRegistry } from './registry.js';
import { registerEstimateGas } from './estimate-gas.js';

export function registerCommands(program: Command): void {
  registerDeploy(program);
  registerRegistry(program);
  registerEstimateGas(program);
}
