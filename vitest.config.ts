import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/hardening has its own config and runs after this suite (see vitest.hardening.config.ts).
    exclude: ['test/hardening/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn real processes (server, simulator, redis); keep the 2-core machine from thrashing.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
