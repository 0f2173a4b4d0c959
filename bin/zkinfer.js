#!/usr/bin/env node
// zkinfer CLI entry: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
