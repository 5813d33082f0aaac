import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts one embedded PostgreSQL for the whole run when STORES includes postgres.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real databases, child processes and native modules: isolate files in processes, not threads.
    pool: 'forks',
    // isolated-vm (the function sandbox) on Node 20+ requires it: see docs/functions-sandbox.md.
    poolOptions: { forks: { execArgv: ['--no-node-snapshot'] } },
    fileParallelism: true,
    // 2 cores, and the shared PostgreSQL server needs CPU too.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
