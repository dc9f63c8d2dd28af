import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that spawn the built CLI run dist/: build it first, every run (incremental, so cheap when current).
    globalSetup: ['test/helpers/build-dist.ts'],
    // Native better-sqlite3 and real sockets: separate processes per file are the safest isolation.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
