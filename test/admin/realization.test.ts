import { describe, expect, it } from 'vitest';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { detailsOf, startAdminDaemon, whenRealizationWaited } from './helpers.js';

/**
 * Realization state: a change is in_progress until the scheduler has applied it, then in_sync; failed attempts are
 * reported meanwhile. connectionInfo.period is an hour here and the test runs the connection task itself
 * (scheduler.tickNow()), so "before" and "after" the run are exact, not a race with a timer.
 */

interface View {
  requestId: string;
  state: string;
  change: { kind: string; hostName?: string; inSyncAt?: string };
  details: { groupId: string; hostName: string | null; state: string; failureMessage?: string; connectedEndpoint?: string }[];
}

const HOUR = { 'connectionInfo.period': 3600 };

describe('realization state', () => {
  it('add: in_progress until the connection task connects the endpoint, then in_sync', async () => {
    const a = await startAdminDaemon({ overrides: HOUR });
    const ep = await createMockEndpoint({ host: '127.0.0.3', token: 't3' });
    try {
      const added = await a.call('POST', '/api/endpoints', { details: detailsOf(ep, 'G3'), fingerprint: ep.fingerprint256 });
      expect(added.status).toBe(201);
      const id = added.headers.get('x-request-id')!;
      const before = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(before.body).toMatchObject({ requestId: id, state: 'in_progress', change: { kind: 'add', hostName: '127.0.0.3' }, details: [{ groupId: 'G3', hostName: '127.0.0.3', state: 'in_progress' }] });
      expect(before.body.details[0]!.failureMessage).toBeUndefined();
      await a.daemon.scheduler.tickNow();
      const after = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(after.body).toMatchObject({ state: 'in_sync', details: [{ groupId: 'G3', hostName: '127.0.0.3', state: 'in_sync' }] });
      expect(Date.parse(after.body.change.inSyncAt!)).toBeGreaterThan(0);
      expect(ep.stats().connectedSockets).toBe(1);
    } finally {
      await ep.close();
    }
  });

  it('deactivate and delete: in_progress until the run that closes the connection has completed, then in_sync', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }, { host: '127.0.0.3', group: 'G2' }], overrides: HOUR });
    for (const [method, path, kind, host, group] of [
      ['POST', '/api/endpoints/127.0.0.2/deactivate', 'deactivate', '127.0.0.2', 'G1'],
      ['DELETE', '/api/endpoints/127.0.0.3', 'delete', '127.0.0.3', 'G2'],
    ] as const) {
      const res = await a.call(method, path);
      expect(res.status).toBe(202);
      const id = res.headers.get('x-request-id')!;
      const before = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(before.body).toMatchObject({ state: 'in_progress', change: { kind }, details: [{ groupId: group, hostName: host, state: 'in_progress' }] });
      expect(a.daemon.scheduler.connections().get(group)?.hostName).toBe(host); // still connected: nothing applied yet
      await a.daemon.scheduler.tickNow();
      const after = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(after.body).toMatchObject({ state: 'in_sync', details: [{ groupId: group, hostName: host, state: 'in_sync' }] });
      expect(a.daemon.scheduler.connections().has(group)).toBe(false);
    }
  });

  it('reports why a rejecting endpoint is not in sync ("valid: false"), and stays in_progress', async () => {
    const a = await startAdminDaemon({ overrides: HOUR });
    const ep = await createMockEndpoint({ host: '127.0.0.4', token: 't4', faults: { rejectToken: true } });
    try {
      const added = await a.call('POST', '/api/endpoints', { details: detailsOf(ep, 'G4'), acceptCertificate: true });
      const id = added.headers.get('x-request-id')!;
      const info = await a.daemon.scheduler.tickNow();
      expect(info.failures).toBe(1);
      const view = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(view.body.state).toBe('in_progress');
      expect(view.body.details).toEqual([{ groupId: 'G4', hostName: '127.0.0.4', state: 'in_progress', failureMessage: expect.stringMatching(/rejected the CONNECT REQUEST \(valid: false\)/) }]);
      // Fixed at the endpoint: the next run connects, and the request is in sync.
      ep.setFaults({ rejectToken: false });
      await a.daemon.scheduler.tickNow();
      expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body.state).toBe('in_sync');
    } finally {
      await ep.close();
    }
  });

  it('a standby endpoint added to a connected group is in sync once a run has seen it (no preemption)', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1', priority: 2 }], overrides: HOUR });
    const ep = await createMockEndpoint({ host: '127.0.0.3', token: 't3' });
    try {
      const added = await a.call('POST', '/api/endpoints', { details: detailsOf(ep, 'G1', 1), fingerprint: ep.fingerprint256 });
      const id = added.headers.get('x-request-id')!;
      expect((await a.json<View>('GET', `/api/realization?requestId=${id}`)).body.state).toBe('in_progress');
      await a.daemon.scheduler.tickNow();
      const view = await a.json<View>('GET', `/api/realization?requestId=${id}`);
      expect(view.body).toMatchObject({ state: 'in_sync', details: [{ hostName: '127.0.0.3', state: 'in_sync', connectedEndpoint: '127.0.0.2' }] });
    } finally {
      await ep.close();
    }
  });

  it('a later change of the same endpoint supersedes an earlier one still in progress', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: HOUR });
    const first = (await a.call('POST', '/api/endpoints/127.0.0.2/deactivate')).headers.get('x-request-id')!;
    const second = (await a.call('POST', '/api/endpoints/127.0.0.2/activate')).headers.get('x-request-id')!;
    const old = await a.json<View>('GET', `/api/realization?requestId=${first}`);
    expect(old.body).toMatchObject({ state: 'unknown', details: [{ failureMessage: expect.stringMatching(/superseded/) }] });
    // Activating a connected endpoint is in sync at once.
    expect((await a.json<View>('GET', `/api/realization?requestId=${second}`)).body.state).toBe('in_sync');
  });

  it('?wait= answers as soon as the change is applied by the periodic run (no polling, no sleep)', async () => {
    // The daemon's clock is the test's: the 20 s of the wait never pass, so only the change can end the wait.
    const clock = new ManualClock();
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 0.3 }, clock });
    const res = await a.call('POST', '/api/endpoints/127.0.0.2/deactivate');
    const id = res.headers.get('x-request-id')!;
    const waiting = whenRealizationWaited(a.admin.realization!);
    const answer = a.json<View>('GET', `/api/realization?requestId=${id}&wait=20`);
    await waiting; // the request waits on the tracker
    const started = clock.now();
    clock.advance(300); // the next run of the connection task: it closes the connection
    const view = await answer;
    expect(view.body.state).toBe('in_sync');
    expect(clock.now() - started).toBe(300);
  });

  it('?wait= on a change that cannot complete answers in_progress when the wait is over', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 0.3 } });
    // A wait on a change that cannot complete returns in_progress when the wait is over.
    const ep = await createMockEndpoint({ host: '127.0.0.5', token: 't5', faults: { rejectToken: true } });
    try {
      const added = await a.call('POST', '/api/endpoints', { details: detailsOf(ep, 'G5'), acceptCertificate: true });
      const pending = await a.json<View>('GET', `/api/realization?requestId=${added.headers.get('x-request-id')}&wait=0.5`);
      expect(pending.body.state).toBe('in_progress');
    } finally {
      await ep.close();
    }
  });
});
