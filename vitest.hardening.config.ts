import { defineConfig } from 'vitest/config';

// The hardening suite (`npm run test:hardening`, also the last step of `npm test`): fuzzing, secrets, OAuth abuse,
// upstream faults, durability and load. One file at a time, so the load test has the machine to itself and
// every figure it prints is measured without other suites competing for the two cores.
export default defineConfig({
  test: {
    include: ['test/hardening/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
