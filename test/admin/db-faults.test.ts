import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAdminDaemon, startCorruptDaemon } from './helpers.js';

/**
 * The running daemon and database faults (issue 10 B9, D15). A full disk (simulated with `PRAGMA max_page_count` on
 * the daemon's own connection: SQLite then fails with SQLITE_FULL, exactly as on a full file system) refuses new
 * notifications with 507 naming the path, while the daemon, its connections and its probes carry on, and accepts
 * them again once there is room. A corrupt database file turns /readyz red with the path and the reason.
 */

const IMAGE = { backupId: 'vm1_1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 };

describe('database faults in the running daemon', () => {
  it('disk full: POST /api/notifications answers 507 "disk full" with the path; the daemon goes on; room again, delivery resumes', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }] });
    const ep = a.endpoints[0]!;
    const db = a.daemon.store.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    const many = Array.from({ length: 300 }, (_, i) => ({ ...IMAGE, backupId: `vm1_${i}`, clientName: 'x'.repeat(400) }));
    const full = await a.json<{ error: { code: string; message: string } }>('POST', '/api/notifications', { object: 'IMAGE', data: many });
    expect(full.status).toBe(507);
    expect(full.body.error.code).toBe('NBWSS_ERR_DB_FULL');
    expect(full.body.error.message).toMatch(new RegExp(`^disk full: cannot store notifications in ${a.daemon.store.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(SQLITE_FULL`));
    // still alive and connected; liveness and readiness are not about a full disk
    expect((await a.call('GET', '/healthz')).status).toBe(200);
    expect((await a.call('GET', '/readyz')).status).toBe(200);
    expect(a.daemon.scheduler.connections().get('G1')?.isOpen).toBe(true);

    db.pragma('max_page_count = 1073741823'); // space is back
    const received = ep.waitFor('notification', (n) => n.request.payload.some((e) => e.data.some((d) => d.backupId === 'vm1_299')));
    expect((await a.call('POST', '/api/notifications', { object: 'IMAGE', data: many })).status).toBe(202);
    await received;
  });

  it('a corrupt database file: the sends fail, and /readyz answers 503 naming the path and the reason', async () => {
    const { daemon, base, endpoint: ep, dir } = await startCorruptDaemon();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: { store: { ok: boolean; code: string; message: string } } };
    expect(body.status).toBe('fail');
    expect(body.checks.store).toMatchObject({ ok: false, code: 'NBWSS_ERR_DB_CORRUPT', message: expect.stringContaining(`the database ${join(dir, 'nbwss.db')} is corrupt (SQLITE_CORRUPT`) });
    expect(ep.stats().notificationsReceived).toBeGreaterThan(0);
    expect(ep.stats().notificationsReceived).toBeLessThan(3000);
  });
});
