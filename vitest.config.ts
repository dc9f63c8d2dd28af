import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native better-sqlite3 and real sockets: separate processes per file are the safest isolation.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that spawn the built CLI (dist/) rely on `npm test` building first (pretest).
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
