import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: build `dist/` before any test runs, so the tests that spawn the CLI (`node dist/cli/main.js`)
 * never run a stale build — whether the suite was started by `npm test`, `npx vitest run FILE` or `land.sh`.
 * The build is incremental (tsBuildInfoFile), so an up-to-date `dist/` costs a few seconds at most.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed (tsc -p tsconfig.build.json, exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}
