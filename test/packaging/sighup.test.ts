import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { assertBuilt, killAll, spawnNbwss } from '../helpers/cli.js';
import { daemonConfig, storeEndpoints } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * SIGHUP to the built `nbwss run` (what `systemctl reload nbwss` sends): the properties file is read again, live
 * keys apply without dropping the connection, restart keys are named in a warning, an invalid file changes nothing.
 */

const endpoints: MockEndpoint[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

beforeAll(assertBuilt);

function properties(dir: string, extra: string[]): string {
  return [`db.path=${join(dir, 'nbwss.db')}`, `security.keyFile=${join(dir, 'nbwss.key')}`, 'admin.listen=', 'connectionInfo.period=0.2', 'notification.scheduledRate=0.2', ...extra, ''].join('\n');
}

describe('nbwss run + SIGHUP', () => {
  it('reloads notification.delay and log.level live, names connectionInfo.period as restart-only, keeps the old file on an error', async () => {
    const dir = tempDir();
    const endpoint = await createMockEndpoint({ host: '127.0.0.2', token: 'hup-token' });
    endpoints.push(endpoint);
    const file = join(dir, 'nbwss.properties');
    writeFileSync(file, properties(dir, ['notification.delay=3600', 'log.level=info']));
    storeEndpoints(daemonConfig(dir), { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 'hup-token', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });

    const connected = endpoint.waitFor('connected', () => true, 20_000);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await connected;
    await run.line(/"msg":"nbwss run: daemon in the foreground/);

    // Raised from another process while notification.delay=3600: held back for an hour.
    const store = Store.open(join(dir, 'nbwss.db'));
    new OutboxStore(store).append([{ rows: [{ object: 'JOB', data: JSON.stringify({ jobId: 1, parentJobId: 1, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' }) }], raisedAt: Date.now() }]);
    store.close();

    writeFileSync(file, properties(dir, ['notification.delay=0', 'log.level=debug', 'connectionInfo.period=0.3']));
    const delivered = endpoint.waitFor('notification', () => true, 10_000);
    run.signal('SIGHUP');
    const reloaded = JSON.parse(await run.line(/"msg":"configuration reloaded/)) as { applied: string[] };
    expect(reloaded.applied.sort()).toEqual(['log.level', 'notification.delay']);
    const restart = JSON.parse(await run.line(/"msg":"restart needed to apply/)) as { msg: string; restartNeeded: string[] };
    expect(restart.restartNeeded).toEqual(['connectionInfo.period']);
    expect(restart.msg).toContain('connectionInfo.period');
    await delivered; // the new delay applies at once
    await run.line(/"level":"debug",/); // debug lines now appear, with level names

    writeFileSync(file, properties(dir, ['notification.delay=soon']));
    run.signal('SIGHUP');
    const failed = JSON.parse(await run.line(/"msg":"configuration reload failed/)) as { err: string };
    expect(failed.err).toMatch(/invalid value for notification\.delay: "soon"/);

    // Through both reloads: one socket, never closed.
    expect(endpoint.stats()).toMatchObject({ totalConnections: 1, connectedSockets: 1 });
    expect(run.child.exitCode).toBeNull();
    run.signal('SIGTERM');
    expect((await run.exit).code).toBe(0);
  }, 40_000);
});
