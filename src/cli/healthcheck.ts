import { request } from 'node:http';
import type { Command } from 'commander';
import { parseListen } from '../admin/access.js';
import type { HealthReport } from '../admin/health.js';
import { UsageError } from '../errors.js';
import { action, cliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { numberFlag } from './flags.js';

/**
 * `nbwss healthcheck [--ready]`: ask the running daemon's admin API (`admin.listen`, with `admin.token` when set)
 * for `/healthz` (or `/readyz`). Exit 0 when healthy, 1 otherwise — the docker HEALTHCHECK command.
 */

interface HealthcheckOptions extends GlobalOptions {
  ready?: boolean;
  timeout: string;
}

/** Where to dial for a listen address: a wildcard address is reached on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

function get(options: { host: string; port: number; path: string; token: string; timeoutMs: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host,
        port: options.port,
        path: options.path,
        method: 'GET',
        headers: { accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
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
  const listen = parseListen(config.admin.listen);
  const path = opts.ready ? '/readyz' : '/healthz';
  if (!listen) {
    process.stderr.write('nbwss: unhealthy: admin.listen is empty (the admin API is off), so there is nothing to ask\n');
    return 1;
  }
  const host = dialHost(listen.host);
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}${path}`;
  let res: { status: number; body: string };
  try {
    res = await get({ host, port: listen.port, path, token: config.admin.token, timeoutMs });
  } catch (err) {
    process.stderr.write(`nbwss: unhealthy: ${where}: ${(err as Error).message}\n`);
    return 1;
  }
  if (res.status === 200) {
    process.stdout.write(`healthy: ${where} 200\n`);
    return 0;
  }
  process.stderr.write(`nbwss: unhealthy: ${where} ${res.status}: ${failures(res.body)}\n`);
  return 1;
}

/** Register `nbwss healthcheck`. */
export function registerHealthcheckCommand(program: Command): void {
  withConfigOption(program.command('healthcheck'))
    .description("ask the running daemon's admin API for /healthz (or /readyz): exit 0 when healthy, 1 otherwise (docker HEALTHCHECK)")
    .option('--ready', 'check readiness (/readyz: migrations done, connection task running) instead of liveness')
    .option('--timeout <ms>', 'give up after this many milliseconds', '2500')
    .action(action(healthcheck));
}
