import { describe, expect, it } from 'vitest';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { startAdminDaemon } from './helpers.js';

/**
 * `PATCH /api/endpoints/{hostName}` (issue 10 B6): the same validation and error shapes as the other endpoint routes,
 * a request id to follow in `/api/realization`; `DELETE` of a group's last endpoint says what the group holds.
 * connectionInfo.period is an hour: the test runs the connection task itself (scheduler.tickNow()).
 */

const HOUR = { 'connectionInfo.period': 3600 };

interface View {
  state: string;
  change: { kind: string };
  details: { hostName: string; state: string; connectedEndpoint?: string }[];
}

describe('PATCH /api/endpoints/{hostName}', () => {
  it('changes the priority in place: 202, a request id in sync after the next run, the list shows it', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: HOUR });
    const conn = a.daemon.scheduler.connections().get('G1');
    const res = await a.json<Record<string, unknown>>('PATCH', '/api/endpoints/127.0.0.2', { priority: 4 });
    expect(res.status).toBe(202);
    const id = res.headers.get('x-request-id')!;
    expect(res.body).toMatchObject({
      endpoint: { hostName: '127.0.0.2', groupId: 'G1', priority: 4 },
      changed: ['priority'],
      redial: false,
      appliesWhen: expect.stringContaining('no preemption'),
      requestId: id,
    });
    expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body).toMatchObject({ state: 'in_progress', change: { kind: 'update' } });
    await a.daemon.scheduler.tickNow();
    expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body.state).toBe('in_sync');
    expect(a.daemon.scheduler.connections().get('G1')).toBe(conn); // kept: no preemption
    const list = await a.json<{ endpoints: { hostName: string; priority: number }[] }>('GET', '/api/endpoints');
    expect(list.body.endpoints).toEqual([expect.objectContaining({ hostName: '127.0.0.2', priority: 4 })]);
  });

  it('refuses bad bodies with 400 naming the member, an unknown host with 404, a certificate that does not match with 409', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: HOUR });
    const patch = (body: unknown, host = '127.0.0.2') => a.json<{ error: { code: string; message: string; detail?: string } }>('PATCH', `/api/endpoints/${host}`, body);
    expect(await patch({ groupId: 'G2' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('unexpected member groupId') } } });
    expect(await patch({})).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('nothing to update') } } });
    expect(await patch({ priority: '1' })).toMatchObject({ status: 400, body: { error: { message: 'priority must be a number' } } });
    expect(await patch({ acceptCertificate: true, fingerprint: 'AA' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('not both') } } });
    expect(await patch({ url: 'ws://127.0.0.2:1/' })).toMatchObject({ status: 400, body: { error: { code: 'NBWSS_ERR_INVALID_PROTOCOL', message: 'Invalid websocket protocol. Only wss protocol supported' } } });
    expect(await patch({ token: "it's" })).toMatchObject({ status: 400, body: { error: { code: 'NBWSS_ERR_JSON_NOT_VALID' } } });
    expect(await patch({ priority: 2 }, 'nope.test')).toMatchObject({ status: 404, body: { error: { message: 'no entity was found' } } });
    expect(await patch({ fingerprint: 'AB'.repeat(32) })).toMatchObject({ status: 409, body: { error: { code: 'NBWSS_ERR_CERTIFICATE_MISMATCH' } } });
    const list = await a.json<{ endpoints: { priority: number; url: string }[] }>('GET', '/api/endpoints');
    expect(list.body.endpoints).toEqual([expect.objectContaining({ priority: 1, url: a.endpoints[0]!.url })]);
  });

  it('a new url and certificate: in progress until the next run has closed the old connection and dialled the new url', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: HOUR });
    const moved = await createMockEndpoint({ host: '127.0.0.3', token: 'token-127.0.0.2' });
    try {
      const res = await a.json<Record<string, unknown>>('PATCH', '/api/endpoints/127.0.0.2', { url: moved.url, fingerprint: moved.fingerprint256 });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ changed: ['url', 'certificate'], redial: true, endpoint: { url: moved.url, fingerprint: moved.fingerprint256 }, certificate: { fingerprint256: moved.fingerprint256 } });
      expect(res.body.certificate).not.toHaveProperty('pem');
      const id = res.headers.get('x-request-id')!;
      expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body.state).toBe('in_progress');
      expect(a.endpoints[0]!.stats().connectedSockets).toBe(1); // still on the old url until the run
      await a.daemon.scheduler.tickNow();
      expect(a.endpoints[0]!.stats().connectedSockets).toBe(0);
      expect(moved.stats().connectedSockets).toBe(1);
      expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body).toMatchObject({ state: 'in_sync', details: [{ hostName: '127.0.0.2', state: 'in_sync' }] });
    } finally {
      await moved.close();
    }
  });
});

describe('DELETE /api/endpoints/{hostName}', () => {
  it("of a group's last endpoint: says how many notifications the group holds and until when its place is kept", async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { ...HOUR, 'notification.retention': 600 } });
    a.endpoints[0]!.setFaults({ dropAcks: true });
    const raised = await a.call('POST', '/api/notifications', { object: 'JOB', data: { jobId: 1, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' } });
    expect(raised.status).toBe(202);
    const res = await a.json<Record<string, unknown>>('DELETE', '/api/endpoints/127.0.0.2');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ hostName: '127.0.0.2', deleted: true, groupId: 'G1', lastOfGroup: true, undeliveredNotifications: 1 });
    expect(Date.parse(res.body.keptUntil as string) - Date.now()).toBeGreaterThan(590_000);
    const groups = await a.json<{ groups: { groupId: string; backlog: number }[] }>('GET', '/api/groups');
    expect(groups.body.groups).toEqual([expect.objectContaining({ groupId: 'G1', backlog: 1 })]);
  });
});
