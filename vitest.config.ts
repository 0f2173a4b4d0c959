import { defineConfig } from 'vitest/config';

// snarkjs/ffjavascript cannot run inside worker_threads: use process forks.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: true,
  },
});
