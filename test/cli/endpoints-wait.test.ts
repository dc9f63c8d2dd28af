import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { conventionProblems } from '../helpers/json-conventions.js';
import { detailsOf, startAdminDaemon, whenRealizationWaited, type AdminDaemon } from '../admin/helpers.js';

/**
 * Issue 12 item 5: `nbwss endpoints add|update|activate|deactivate|delete --wait` against a real daemon (admin API
 * on) and real mock endpoints. The connection task runs once an hour here: the test runs it (tickNow) once the CLI
 * waits on the daemon (the realization tracker gets its listener), so "before" and "after" are exact.
 */

/** The daemon with G1 = 127.0.0.2 (priority 1, serving) + 127.0.0.3 (priority 2), and a config file for the CLI. */
async function setup(): Promise<{ a: AdminDaemon; file: string }> {
  const a = await startAdminDaemon({
    endpoints: [
      { host: '127.0.0.2', group: 'G1' },
      { host: '127.0.0.3', group: 'G1', priority: 2 },
    ],
    overrides: { 'connectionInfo.period': 3600 },
  });
  const c = a.daemon.config;
  const file = join(a.dir, 'cli.properties');
  const listen = a.base.replace(/^http:\/\//, '');
  writeFileSync(file, [`db.path=${c.db.path}`, `security.keyFile=${c.security.keyFile}`, `admin.listen=${listen}`, 'connectionInfo.period=3600', ''].join('\n'));
  return { a, file };
}

/** Run the CLI; once it waits on the daemon, run the connection task once. */
async function waitedRun(a: AdminDaemon, args: string[]): Promise<CliResult> {
  const waiting = whenRealizationWaited(a.admin.realization!);
  const run = runCli(args);
  await Promise.race([waiting, run.then((r) => Promise.reject(new Error(`nbwss ${args.join(' ')} ended before it waited: ${JSON.stringify(r)}`)))]);
  await a.daemon.scheduler.tickNow();
  return run;
}

const stateOf = (a: AdminDaemon, host: string) => new EndpointStore(a.daemon.store).get(host)?.state;

describe('nbwss endpoints … --wait', () => {
  it('deactivate --wait: prints once the daemon applied it, with the endpoint now serving the group (failover)', async () => {
    const { a, file } = await setup();
    const r = await waitedRun(a, ['endpoints', 'deactivate', '127.0.0.2', '--wait', '--config', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('127.0.0.2 deactivated\nApplied: G1 now served by 127.0.0.3\n');
    expect(r.code).toBe(0);
    expect(a.daemon.scheduler.connections().get('G1')?.hostName).toBe('127.0.0.3');

    // activate --wait --json: the priority-1 endpoint stands by (no preemption); the applied state says so
    const j = await waitedRun(a, ['endpoints', 'activate', '127.0.0.2', '--wait', '--json', '--config', file]);
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      hostName: '127.0.0.2',
      groupId: 'G1',
      state: 'ACTIVATED',
      applied: { state: 'in_sync', groupId: 'G1', servedBy: '127.0.0.3', failureMessage: null, inSyncAt: expect.stringMatching(/Z$/), requestId: expect.any(String) },
    });
    expect(conventionProblems(out, 'endpoints activate --wait --json')).toEqual([]);
  });

  it('add --wait: a new group served by the new endpoint; update --wait and delete --wait follow the next run', async () => {
    const { a, file } = await setup();
    const ep = await createMockEndpoint({ host: '127.0.0.5', token: 'token-5' });
    onTestFinished(() => ep.close());
    const details = join(a.dir, 'ep5.json');
    writeFileSync(details, JSON.stringify(detailsOf(ep, 'G5')));
    const added = await waitedRun(a, ['endpoints', 'add', '--file', details, '--accept-certificate', '--wait', '--config', file]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^Added 127\.0\.0\.5 \(group G5, priority 1, ACTIVATED\); certificate pinned: SHA-256 [0-9A-F:]+\nApplied: G5 now served by 127\.0\.0\.5\n$/);

    const updated = await waitedRun(a, ['endpoints', 'update', '127.0.0.5', '--priority', '4', '--wait', '--config', file]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/\nApplied: G5 now served by 127\.0\.0\.5\n$/);

    const deleted = await waitedRun(a, ['endpoints', 'delete', '127.0.0.5', '--wait', '--json', '--config', file]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ hostName: '127.0.0.5', deleted: true, lastOfGroup: true, applied: { state: 'in_sync', servedBy: null } });
    expect(stateOf(a, '127.0.0.5')).toBeUndefined();
    expect(a.daemon.scheduler.connections().has('G5')).toBe(false);
  });

  it('--timeout runs out: a clear message and exit 3; the change stays stored', async () => {
    const { a, file } = await setup();
    const r = await runCli(['endpoints', 'deactivate', '127.0.0.2', '--wait', '--timeout', '0.2', '--config', file]);
    expect(r.stdout).toBe('127.0.0.2 deactivated\n');
    expect(r.stderr).toBe(
      'nbwss: not applied within 0.2 s (the connection task has not completed a run since the change); the change is stored and the daemon keeps applying it (exit 3)\n',
    );
    expect(r.code).toBe(3);
    expect(stateOf(a, '127.0.0.2')).toBe('DEACTIVATED');
    // --json: the object, with the state reached (stdout), and the message (stderr)
    const j = await runCli(['endpoints', 'deactivate', '127.0.0.3', '--wait', '--timeout', '0.2', '--json', '--config', file]);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ hostName: '127.0.0.3', state: 'DEACTIVATED', applied: { state: 'in_progress', inSyncAt: null, servedBy: null, groupId: 'G1' } });
    expect(j.stderr).toMatch(/^nbwss: not applied within 0\.2 s/);
  });

  it('without --wait: says when the change takes effect (the configured period)', async () => {
    const { a, file } = await setup();
    const r = await runCli(['endpoints', 'deactivate', '127.0.0.2', '--config', file]);
    expect(r.stdout).toBe("127.0.0.2 deactivated\nApplied by the running daemon at the next run of the daemon's connection task, within 3600 s (connectionInfo.period); --wait waits for it.\n");
    const j = await runCli(['endpoints', 'activate', '127.0.0.2', '--json', '--config', file]);
    expect(JSON.parse(j.stdout)).toEqual({ appliesWhen: "at the next run of the daemon's connection task, within 3600 s (connectionInfo.period)", hostName: '127.0.0.2', groupId: 'G1', state: 'ACTIVATED' });
    expect((await runCli(['endpoints', 'activate', '127.0.0.2', '--timeout', '5', '--config', file])).stderr).toBe('nbwss: --timeout applies only with --wait\n');
  });

  it('no daemon answers: --wait fails at once with a clear error (exit 1) and changes nothing', async () => {
    const { a, file } = await setup();
    // a port nothing listens on: bound, then closed
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await runCli(['endpoints', 'deactivate', '127.0.0.2', '--wait', '--config', file], { env: { NBWSS_ADMIN_LISTEN: `127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^nbwss: no nbwss daemon answers at http://127\\.0\\.0\\.1:${port} \\(admin\\.listen\\) \\(--wait needs the running daemon; nothing was changed; start the daemon \\(nbwss run\\) or leave out --wait\\): connect ECONNREFUSED`));
    expect(stateOf(a, '127.0.0.2')).toBe('ACTIVATED');

    const off = await runCli(['endpoints', 'deactivate', '127.0.0.2', '--wait', '--config', file], { env: { NBWSS_ADMIN_LISTEN: '' } });
    expect(off.code).toBe(1);
    expect(off.stderr).toBe("nbwss: --wait follows the change through the daemon's admin API, and admin.listen is empty: nothing was changed; start the daemon (nbwss run) or leave out --wait\n");
    expect(stateOf(a, '127.0.0.2')).toBe('ACTIVATED');
  });

  it("a daemon of another database refuses to follow the change (409), so the CLI does not wait for nothing", async () => {
    const { a } = await setup();
    const r = await a.json<{ error: { code: string; message: string } }>('POST', '/api/realization', { kind: 'activate', hostName: 'elsewhere.example.com', groupId: 'G9' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'NBWSS_ERR_HTTP_CONFLICT', message: expect.stringMatching(/has no endpoint elsewhere\.example\.com of group G9 in its database/) });
    const gone = await a.json<{ error: { message: string } }>('POST', '/api/realization', { kind: 'delete', hostName: '127.0.0.2', groupId: 'G1' });
    expect(gone.status).toBe(409);
    expect(gone.body.error.message).toMatch(/still has 127\.0\.0\.2 in its database/);
  });
});
