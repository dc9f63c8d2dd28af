import { defineConfig } from 'vitest/config';

/**
 * The slow verifications, kept out of `npm test` (they reach the npm registry, build images, boot systemd):
 * `npm run verify:package`, `verify:container`, `verify:systemd`, each run by `.ci/run`. One file at a time, in
 * order; their steps print what they measure.
 */
export default defineConfig({
  test: {
    include: ['test/packaging/**/*.verify.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 10 * 60_000,
    hookTimeout: 20 * 60_000,
  },
});
