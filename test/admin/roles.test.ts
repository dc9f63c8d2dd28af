import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { whenConnected } from '../helpers/daemon.js';
import { startAdminDaemon } from './helpers.js';

/**
 * "Why is it down" (issue 12 item 2): every endpoint row of GET /api/endpoints and of `nbwss endpoints list` (another
 * process, reading what the daemon recorded) carries role, since, lastError, lastErrorAt; a deactivated endpoint still
 * connected says how long until the next run closes it. The connection task runs when the test says (tickNow).
 */

interface Row {
  hostName: string;
  groupId: string;
  role: string;
  since: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  closesWithinMs: number | null;
  trust: string;
  certificateExpiresAt: string;
}

const byHost = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.hostName, r]));

describe('endpoint roles', () => {
  it('serving, standby, failing (with the reason), deactivated still connected; the same from the database in another process', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'G1', priority: 1 },
        { host: '127.0.0.3', group: 'G1', priority: 2 },
        { host: '127.0.0.4', group: 'G2', faults: { rejectToken: true } },
        { host: '127.0.0.5', group: 'G3' },
      ],
      overrides: { 'connectionInfo.period': 3600 },
    });
    const config = join(a.dir, 'nbwss.properties');
    writeFileSync(config, `db.path=${join(a.dir, 'nbwss.db')}\nsecurity.keyFile=${join(a.dir, 'nbwss.key')}\nconnectionInfo.period=3600\n`);
    expect((await a.call('POST', '/api/endpoints/127.0.0.5/deactivate')).status).toBe(202);

    const api = byHost((await a.json<{ endpoints: Row[] }>('GET', '/api/endpoints')).body.endpoints);
    expect(api['127.0.0.2']).toMatchObject({ role: 'serving', lastError: null, lastErrorAt: null, trust: 'pinned' });
    expect(Date.parse(api['127.0.0.2']!.since!)).toBeGreaterThan(0);
    expect(Date.parse(api['127.0.0.2']!.certificateExpiresAt)).toBeGreaterThan(Date.now());
    expect(api['127.0.0.3']).toMatchObject({ role: 'standby', lastError: null });
    expect(api['127.0.0.4']).toMatchObject({ role: 'failing', lastError: expect.stringMatching(/rejected the CONNECT REQUEST \(valid: false\)/) });
    expect(Date.parse(api['127.0.0.4']!.lastErrorAt!)).toBeGreaterThan(0);
    // deactivated but still connected: the daemon knows its next run (an hour away here)
    expect(api['127.0.0.5']).toMatchObject({ role: 'deactivated' });
    expect(api['127.0.0.5']!.closesWithinMs).toBeGreaterThan(3_500_000);
    expect(api['127.0.0.5']!.closesWithinMs).toBeLessThanOrEqual(3_600_000);

    // the CLI, in another process, derives the same from the database
    const listed = await runCli(['endpoints', 'list', '--json', '--config', config]);
    expect(listed.code).toBe(0);
    const cli = byHost(JSON.parse(listed.stdout) as Row[]);
    for (const host of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      expect(cli[host], host).toMatchObject({ role: api[host]!.role, lastError: api[host]!.lastError, lastErrorAt: api[host]!.lastErrorAt, since: api[host]!.since });
    }
    expect(cli['127.0.0.5']!.closesWithinMs).toBeGreaterThan(3_500_000); // within a period of the deactivation
    const table = await runCli(['endpoints', 'list', '--config', config]);
    expect(table.stdout.split('\n')[0]).toMatch(/^HOST NAME\s+URL\s+GROUP ID\s+PRIORITY\s+STATE\s+CONNECTION\s+ROLE\s+SINCE\s+LAST ERROR$/);
    expect(table.stdout).toMatch(/127\.0\.0\.4 .*DISCONNECTED\s+failing\s+\S+\s+127\.0\.0\.4 rejected the CONNECT REQUEST/);
    expect(table.stdout).toMatch(/127\.0\.0\.5 .*CONNECTED\s+deactivated, closes within \d+ s /);
    expect((await runCli(['endpoints', 'show', '127.0.0.5', '--config', config])).stdout).toMatch(/Role:\s+deactivated, still connected until the next run of the connection task \(within \d+ s\)/);
    const shown = await runCli(['endpoints', 'show', '127.0.0.3', '--config', config]);
    expect(shown.stdout).toMatch(/Role:\s+standby \(since \d{4}-/);

    // the serving endpoint goes away: the next run fails it over to the standby
    const dropped = once(a.daemon.scheduler, 'disconnected');
    await a.endpoints[0]!.close();
    await dropped;
    await a.daemon.scheduler.tickNow();
    await whenConnected(a.daemon, 'G1', '127.0.0.3');
    const after = byHost((await a.json<{ endpoints: Row[] }>('GET', '/api/endpoints')).body.endpoints);
    expect(after['127.0.0.2']).toMatchObject({ role: 'failing', lastError: 'Unable to establish connection with host: 127.0.0.2 (ECONNREFUSED)' });
    expect(after['127.0.0.3']).toMatchObject({ role: 'serving', lastError: null });
    expect(after['127.0.0.5']).toMatchObject({ role: 'deactivated', closesWithinMs: null }); // that run closed it
    const one = await a.json<Row>('GET', '/api/endpoints/127.0.0.2');
    expect(one.body).toMatchObject({ role: 'failing', lastError: after['127.0.0.2']!.lastError });
  });
});
