import type { Command } from 'commander';
import type { HealthReport } from '../admin/health.js';
import { adminRequest, adminTarget, type AdminAnswer } from './admin-client.js';
import { action, cliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { numberFlag } from './flags.js';

/**
 * `nbwss healthcheck [--ready]`: ask the running daemon's admin API (`admin.listen`, with `admin.token` when set)
 * for `/healthz` (or `/readyz`). Exit 0 when healthy, 1 otherwise — the docker HEALTHCHECK command.
 */

interface HealthcheckOptions extends GlobalOptions {
  ready?: boolean;
  timeout: string;
  json?: boolean;
}

/** What `healthcheck --json` prints (stdout, whatever the outcome; the exit code says healthy or not). */
export interface HealthcheckResult {
  healthy: boolean;
  /** The URL asked, or null when admin.listen is empty. */
  url: string | null;
  /** The HTTP status, or null when there was no answer. */
  status: number | null;
  /** The daemon's report when it sent one (status and checks). */
  report: unknown;
  /** Why it is not healthy, in words; null when healthy. */
  error: string | null;
}

/** The failed checks of a report, one phrase each. */
function failures(body: string): string {
  try {
    const report = JSON.parse(body) as HealthReport | { error?: { message?: string } };
    if ('checks' in report) {
      return Object.entries(report.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}: ${c.message ?? 'failed'}`)
        .join('; ');
    }
    return report.error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

async function healthcheck(opts: HealthcheckOptions): Promise<number> {
  const timeoutMs = numberFlag('--timeout', 'ms', opts.timeout)!;
  const config = cliConfig(opts);
  const target = adminTarget(config);
  const path = opts.ready ? '/readyz' : '/healthz';
  const done = (result: HealthcheckResult, text: string): number => {
    if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.healthy) process.stdout.write(`${text}\n`);
    else process.stderr.write(`nbwss: ${text}\n`);
    return result.healthy ? 0 : 1;
  };
  if (!target) {
    const error = 'admin.listen is empty (the admin API is off), so there is nothing to ask';
    return done({ healthy: false, url: null, status: null, report: null, error }, `unhealthy: ${error}`);
  }
  const where = `${target.base}${path}`;
  let res: AdminAnswer;
  try {
    res = await adminRequest(target, { method: 'GET', path, timeoutMs });
  } catch (err) {
    const error = (err as Error).message;
    return done({ healthy: false, url: where, status: null, report: null, error }, `unhealthy: ${where}: ${error}`);
  }
  let report: unknown = null;
  try {
    report = JSON.parse(res.body) as unknown;
  } catch {
    // not JSON: reported as text below
  }
  if (res.status === 200) return done({ healthy: true, url: where, status: 200, report, error: null }, `healthy: ${where} 200`);
  const error = failures(res.body);
  return done({ healthy: false, url: where, status: res.status, report, error }, `unhealthy: ${where} ${res.status}: ${error}`);
}

/** Register `nbwss healthcheck`. */
export function registerHealthcheckCommand(program: Command): void {
  withConfigOption(program.command('healthcheck'))
    .description("ask the running daemon's admin API for /healthz (or /readyz): exit 0 when healthy, 1 otherwise (docker HEALTHCHECK)")
    .option('--ready', 'check readiness (/readyz: migrations done, connection task running) instead of liveness')
    .option('--timeout <ms>', 'give up after this many milliseconds', '2500')
    .option('--json', 'print {healthy, url, status, report, error} as JSON on stdout (the exit code still says healthy or not)')
    .action(action(healthcheck));
}
