import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN, runCli, type CliResult } from '../helpers/cli.js';
import { startAdminDaemon } from './helpers.js';

/** `nbwss healthcheck …` with a properties file; resolves with the exit code and output. */
function healthcheck(dir: string, properties: string[], args: string[] = []): Promise<CliResult> {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}.properties`);
  writeFileSync(file, properties.join('\n') + '\n');
  return runCli(['healthcheck', '--config', file, ...args], { cwd: dir });
}

describe('nbwss healthcheck (the docker HEALTHCHECK)', () => {
  it('exits 0 for /healthz and /readyz of a running daemon, 1 when nothing answers or admin.listen is empty', async () => {
    expect(existsSync(MAIN), `${MAIN} missing: run npm run build`).toBe(true);
    const a = await startAdminDaemon();
    const listen = `admin.listen=${new URL(a.base).host}`;
    const live = await healthcheck(a.dir, [listen]);
    expect(live).toMatchObject({ code: 0, stdout: `healthy: ${a.base}/healthz 200\n` });
    const ready = await healthcheck(a.dir, [listen], ['--ready']);
    expect(ready).toMatchObject({ code: 0, stdout: `healthy: ${a.base}/readyz 200\n` });

    const off = await healthcheck(a.dir, ['admin.listen=']);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/admin\.listen is empty/);

    await a.daemon.stop();
    const down = await healthcheck(a.dir, [listen]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/unhealthy: .*\/healthz: .*ECONNREFUSED/);
  });

  it('sends admin.token, dials loopback for a wildcard admin.listen, and reports a refused token', async () => {
    const token = 'healthcheck-token-0123456789';
    const a = await startAdminDaemon({ overrides: { 'admin.listen': '0.0.0.0:0', 'admin.token': token } });
    const port = new URL(a.base).port;
    const ok = await healthcheck(a.dir, [`admin.listen=0.0.0.0:${port}`, `admin.token=${token}`], ['--ready']);
    expect(ok).toMatchObject({ code: 0, stdout: `healthy: http://127.0.0.1:${port}/readyz 200\n` });
    const refused = await healthcheck(a.dir, [`admin.listen=0.0.0.0:${port}`, 'admin.token=wrong-token-0123456789']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unhealthy: .* 401: a valid admin token is required/);
    expect(refused.stderr).not.toContain(token);
  });
});
