import { describe, expect, it } from 'vitest';
import { sample, startAdminDaemon } from './helpers.js';

/**
 * Issue 10 B9 through the admin surface: outbox rows and database bytes in the metrics, and a group over
 * `notification.backlogWarning` flagged in the metrics and in `GET /api/groups` (with the sentence the console
 * and `nbwss status` show). Computed at request time from sequence arithmetic: no wait, no count of the outbox.
 */

const IMAGE = { backupId: 'vm1_1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 };

interface Groups {
  groups: { groupId: string; backlog: number; backlogWarning: boolean; holdsPruningBack: boolean }[];
  outbox: { rows: number };
  database: { bytes: number };
  warnings: string[];
}

describe('backlog warnings on the admin surface', () => {
  it('metrics and /api/groups show outbox rows, database bytes and the group over the threshold', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'G1' },
        { host: '127.0.0.3', group: 'G2', faults: { dropAcks: true } },
      ],
      overrides: { 'notification.backlogWarning': 2 },
    });
    const resent = a.endpoints[1]!.waitFor('notification', (n) => n.duplicate);
    const raised = await a.call('POST', '/api/notifications', { object: 'IMAGE', data: [IMAGE, { ...IMAGE, backupId: 'vm1_2' }, { ...IMAGE, backupId: 'vm1_3' }] });
    expect(raised.status).toBe(202);
    await resent; // G2 got the batch and will never acknowledge it

    const text = await (await a.call('GET', '/metrics')).text();
    expect(sample(text, 'nbwss_outbox_rows')).toBe(3);
    expect(sample(text, 'nbwss_database_bytes')).toBeGreaterThan(4096);
    expect(sample(text, 'nbwss_notification_backlog_warning', { group_id: 'G2' })).toBe(1);
    expect(sample(text, 'nbwss_notification_backlog_warning', { group_id: 'G1' })).toBe(0);
    expect(sample(text, 'nbwss_notification_pruning_held_back', { group_id: 'G2' })).toBe(0); // younger than the retention

    const groups = await a.json<Groups>('GET', '/api/groups');
    expect(groups.body.outbox.rows).toBe(3);
    expect(groups.body.database.bytes).toBe(sample(text, 'nbwss_database_bytes'));
    expect(groups.body.groups.find((g) => g.groupId === 'G2')).toMatchObject({ backlog: 3, backlogWarning: true, holdsPruningBack: false });
    expect(groups.body.warnings).toEqual([
      expect.stringMatching(/^server group G2: 3 notifications wait for its acknowledgement \(over notification.backlogWarning=2\), the oldest for .+; its endpoint 127\.0\.0\.3 is connected but has not acknowledged them yet$/),
    ]);
  });
});
