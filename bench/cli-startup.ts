/**
 * CLI cold start (issue 12 item 8): how long `nbwss --help`, `nbwss --version` and `nbwss healthcheck` take from
 * spawn to exit, against a bare `node -e 0`, measured in the same run and interleaved so that a busy machine
 * slows every command alike. Prints the median and best of each, and each median as a ratio of node's.
 *
 *   npm run build && npx tsx bench/cli-startup.ts [--runs 30] [--target 2.5]
 *
 * `healthcheck` asks a closed port (admin.listen=127.0.0.1:1, connection refused at once), so the figure is the
 * cost of starting, loading the configuration and one refused TCP connect — what a docker HEALTHCHECK pays.
 * Exit code 1 when a median ratio is above `--target` (default 2.5): a figure to read, not a test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const runs = arg('runs', 30);
const target = arg('target', 2.5);
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
// An empty folder: no config/nbwss.properties is found, so every command sees the defaults.
const cwd = mkdtempSync(join(tmpdir(), 'nbwss-bench-cli-'));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NBWSS_'))), NBWSS_ADMIN_LISTEN: '127.0.0.1:1' };

const cases: { name: string; args: string[]; status: number }[] = [
  { name: 'node -e 0', args: ['-e', '0'], status: 0 },
  { name: 'nbwss --help', args: [main, '--help'], status: 0 },
  { name: 'nbwss --version', args: [main, '--version'], status: 0 },
  { name: 'nbwss healthcheck', args: [main, 'healthcheck'], status: 1 },
];

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  // One warm-up round (file system cache), then `runs` interleaved rounds.
  for (let round = -1; round < runs; round++) {
    for (const c of cases) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, c.args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== c.status) throw new Error(`${c.name}: exit ${r.status ?? r.signal}, expected ${c.status}: ${r.stderr.toString()}`);
      if (round >= 0) samples.get(c.name)!.push(ms);
    }
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const base = median(samples.get('node -e 0')!);
let over = false;
process.stdout.write(`cold start, ${runs} interleaved runs each (node ${process.version}):\n`);
for (const c of cases) {
  const xs = samples.get(c.name)!;
  const m = median(xs);
  const ratio = m / base;
  if (c.name !== 'node -e 0' && ratio > target) over = true;
  process.stdout.write(`  ${c.name.padEnd(18)} median ${m.toFixed(1).padStart(6)} ms  best ${Math.min(...xs).toFixed(1).padStart(6)} ms  ${ratio.toFixed(2)}x node -e 0\n`);
}
process.stdout.write(over ? `a median is above ${target}x node -e 0\n` : `every median is within ${target}x node -e 0\n`);
process.exitCode = over ? 1 : 0;
