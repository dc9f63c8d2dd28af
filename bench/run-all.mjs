#!/usr/bin/env node
/**
 * `npm run bench`: run every benchmark in bench/, one after the other, each in its own process (via tsx), with
 * its default arguments. A benchmark is any `bench/*.ts` file except helpers: names ending in `-server.ts` or
 * `-child.ts`, or starting with `_`. Extra arguments are passed to every benchmark
 * (`npm run bench -- --quick`); `BENCH_ONLY=connections` runs only the files whose name contains that text.
 * Exit code: 1 when any benchmark failed (its own exit code says whether its targets were met).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH_ONLY;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_') && !/-(server|child)\.ts$/.test(f))
  .filter((f) => !only || f.includes(only))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== bench/${f} ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${f}: exit ${r.status ?? r.signal}\n`);
  }
}
process.stdout.write(`\n${files.length - failed}/${files.length} benchmarks passed\n`);
process.exitCode = failed > 0 ? 1 : 0;
