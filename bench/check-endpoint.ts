/**
 * How long `nbwss check-endpoint` takes against a conforming endpoint (issue 11: the quick profile within 30 s),
 * and what its `--load N` reports.
 *
 *   npx tsx bench/check-endpoint.ts [--runs 3] [--load 10000]
 *
 * The mock endpoint (`createMockEndpoint`, default mode, real TLS on 127.0.0.1) runs in this process; the checker
 * runs as the user runs it: the built CLI (`node dist/cli/main.js check-endpoint --file … --fingerprint …
 * --report json`) in a child process, with the shipped timings. Prints the wall time of each run (process start to
 * exit) and the report's own durationMs, then one `--load` run's line (throughput and acknowledgement latency).
 * Exits 1 when a run fails a check or the quick profile takes 30 s or more. `npm run build`
 * first (the CLI runs from dist/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckReport } from '../src/check-endpoint/index.js';
import { createMockEndpoint } from '../src/endpoint-mock/index.js';
import { benchArgs } from './_kit.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const QUICK_LIMIT_MS = 30_000;

function runChecker(args: string[], cwd: string): Promise<{ wallMs: number; report: CheckReport; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [MAIN, 'check-endpoint', ...args, '--report', 'json'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ wallMs: performance.now() - t0, report: JSON.parse(out) as CheckReport, code });
      } catch {
        reject(new Error(`check-endpoint exit ${code} printed no JSON report: ${out.slice(0, 500)}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const args = benchArgs();
  const runs = args.num('runs', 3);
  const load = args.num('load', 10_000);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');
  if (!Number.isInteger(load) || load < 1) throw new Error('--load must be a whole number ≥ 1');
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);

  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-check-'));
  const endpoint = await createMockEndpoint({ host: '127.0.0.1', token: 'bench-token' });
  try {
    const file = join(dir, 'endpoint.json');
    endpoint.writeEndpointFile(file, { group: 'G1', priority: 1 });
    const base = ['--file', file, '--fingerprint', endpoint.fingerprint256];

    console.log(`check-endpoint --profile quick against the mock endpoint (default mode), ${runs} runs`);
    const walls: number[] = [];
    let failed = false;
    for (let i = 0; i < runs; i++) {
      const { wallMs, report, code } = await runChecker(base, dir);
      walls.push(wallMs);
      const s = report.summary;
      failed ||= code !== 0;
      console.log(`  run ${i + 1}: ${(wallMs / 1000).toFixed(2)} s wall (report durationMs ${report.durationMs}), ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, exit ${code}`);
    }
    const worst = Math.max(...walls);
    console.log(`  slowest ${(worst / 1000).toFixed(2)} s: target quick < ${QUICK_LIMIT_MS / 1000} s ${worst < QUICK_LIMIT_MS ? 'met' : 'NOT met'}`);

    console.log(`check-endpoint --only load.throughput --load ${load}`);
    const { report, code } = await runChecker([...base, '--only', 'load.throughput', '--load', String(load)], dir);
    for (const c of report.checks.filter((c) => c.id.startsWith('load.'))) console.log(`  ${c.id}: ${c.status}: ${c.message}`);
    failed ||= code !== 0;
    if (failed || worst >= QUICK_LIMIT_MS) process.exitCode = 1;
  } finally {
    await endpoint.close({ terminate: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
