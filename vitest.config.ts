import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // One Node 20 polyfill for nock 15, loaded before every test file.
    setupFiles: ['test/setup/node20.ts'],
    // A scratch redis-server for the Redis-backed tests (skipped loudly when it is not installed).
    globalSetup: ['test/global-setup-redis.ts'],
  },
});
