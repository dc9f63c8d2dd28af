import { once } from 'node:events';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sample, startAdminDaemon } from './helpers.js';

/** Metrics change as traffic flows: scrape, act, scrape. */

const IMAGE = { backupId: 'vm1_1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 };

async function scrape(a: { call: (m: string, p: string) => Promise<Response> }): Promise<string> {
  const res = await a.call('GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('metrics', () => {
  it('connections, attempts, failures and disconnects follow the connection task', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'G1' },
        { host: '127.0.0.3', group: 'G2', faults: { rejectToken: true } },
      ],
      overrides: { 'connectionInfo.period': 3600 },
    });
    const m1 = await scrape(a);
    expect(sample(m1, 'nbwss_connections', { state: 'connected' })).toBe(1);
    expect(sample(m1, 'nbwss_endpoints', { state: 'activated', connection_state: 'connected' })).toBe(1);
    expect(sample(m1, 'nbwss_endpoints', { state: 'activated', connection_state: 'disconnected' })).toBe(1);
    expect(sample(m1, 'nbwss_connect_attempts_total', { group_id: 'G1' })).toBe(1);
    expect(sample(m1, 'nbwss_connect_failures_total', { group_id: 'G2', reason: 'rejected' })).toBe(1);
    expect(sample(m1, 'nbwss_scheduler_ticks_total')).toBe(1);

    expect((await a.call('POST', '/api/endpoints/127.0.0.2/deactivate')).status).toBe(202);
    await a.daemon.scheduler.tickNow();
    const m2 = await scrape(a);
    expect(sample(m2, 'nbwss_connections', { state: 'connected' })).toBe(0);
    expect(sample(m2, 'nbwss_endpoints', { state: 'deactivated', connection_state: 'disconnected' })).toBe(1);
    expect(sample(m2, 'nbwss_disconnects_total', { group_id: 'G1', code: '1000' })).toBe(1);
    expect(sample(m2, 'nbwss_connect_failures_total', { group_id: 'G2', reason: 'rejected' })).toBe(2);
    expect(sample(m2, 'nbwss_connect_attempts_total', { group_id: 'G2' })).toBe(2);
    expect(sample(m2, 'nbwss_scheduler_ticks_total')).toBe(2);
    expect(sample(m2, 'nbwss_scheduler_tick_duration_seconds_count')).toBe(2);

    // Bounded labels: no host name or connection id anywhere; its own registry, not prom-client's global one.
    expect(m2).not.toContain('127.0.0.');
    expect(m2).not.toMatch(/host|connection_id/i);
    expect(await globalRegistry.metrics()).not.toContain('nbwss_');
  });

  it('notifications raised, sent, acknowledged and resent; backlog and oldest pending age per group', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'G1' },
        { host: '127.0.0.3', group: 'G2', faults: { dropAcks: true } },
      ],
    });
    const m1 = await scrape(a);
    expect(sample(m1, 'nbwss_notifications_raised_total')).toBe(0);
    expect(sample(m1, 'nbwss_notification_backlog', { group_id: 'G1' })).toBe(0);
    expect(sample(m1, 'nbwss_notification_oldest_pending_age_seconds', { group_id: 'G2' })).toBe(0);

    // G1 acknowledges (its cursor moves: the daemon's batchAcked), G2 never does (it gets the batch again).
    const delivery = a.daemon.services.notifications.delivery;
    const ackedG1 = once(delivery, 'batchAcked');
    const resent = a.endpoints[1]!.waitFor('notification', (n) => n.duplicate);
    const raised = await a.call('POST', '/api/notifications', { object: 'IMAGE', data: [IMAGE, { ...IMAGE, backupId: 'vm1_2' }, { ...IMAGE, backupId: 'vm1_3' }] });
    expect(raised.status).toBe(202);
    const [ack] = (await ackedG1) as [{ groupId: string }];
    expect(ack.groupId).toBe('G1');
    await resent;

    const m2 = await scrape(a);
    expect(sample(m2, 'nbwss_notifications_raised_total')).toBe(3);
    expect(sample(m2, 'nbwss_notifications_sent_total', { group_id: 'G1' })).toBe(3);
    expect(sample(m2, 'nbwss_notifications_sent_total', { group_id: 'G2' })).toBe(3);
    expect(sample(m2, 'nbwss_notification_batches_sent_total', { group_id: 'G1' })).toBe(1);
    expect(sample(m2, 'nbwss_notifications_acked_total', { group_id: 'G1' })).toBe(3);
    expect(sample(m2, 'nbwss_notifications_acked_total', { group_id: 'G2' })).toBeUndefined();
    expect(sample(m2, 'nbwss_notification_ack_latency_seconds_count', { group_id: 'G1' })).toBe(1);
    expect(sample(m2, 'nbwss_notification_ack_latency_seconds_count', { group_id: 'G2' })).toBeUndefined();
    expect(sample(m2, 'nbwss_notification_batches_resent_total', { group_id: 'G2', reason: 'timeout' })).toBeGreaterThanOrEqual(1);
    expect(sample(m2, 'nbwss_notification_backlog', { group_id: 'G1' })).toBe(0);
    expect(sample(m2, 'nbwss_notification_backlog', { group_id: 'G2' })).toBe(3);
    expect(sample(m2, 'nbwss_notification_inflight_batches', { group_id: 'G2' })).toBe(1);
    const age1 = sample(m2, 'nbwss_notification_oldest_pending_age_seconds', { group_id: 'G2' })!;
    expect(age1).toBeGreaterThan(0);
    expect(sample(m2, 'nbwss_notification_oldest_pending_age_seconds', { group_id: 'G1' })).toBe(0);

    // Computed at scrape time: the next scrape after another resend shows an older oldest notification.
    await a.endpoints[1]!.waitFor('notification', (n) => n.duplicate && n.timesSeen >= 3);
    const m3 = await scrape(a);
    expect(sample(m3, 'nbwss_notification_oldest_pending_age_seconds', { group_id: 'G2' })).toBeGreaterThan(age1);
  });

  it('pings, pongs and RTT; COMMANDs by method and status; frames over 2 MB and undecodable frames', async () => {
    const a = await startAdminDaemon({
      endpoints: [{ host: '127.0.0.2', group: 'G1' }],
      overrides: { 'keepAlive.scheduledRate': 0.05, 'netbackup.mock': true, 'netbackup.baseUrl': 'https://127.0.0.1:0' },
    });
    const conn = a.daemon.scheduler.connections().get('G1')!;
    await once(conn, 'pong');
    const m1 = await scrape(a);
    expect(sample(m1, 'nbwss_pings_sent_total', { group_id: 'G1' })).toBeGreaterThanOrEqual(1);
    expect(sample(m1, 'nbwss_pongs_received_total', { group_id: 'G1' })).toBeGreaterThanOrEqual(1);
    expect(sample(m1, 'nbwss_ping_rtt_seconds_count', { group_id: 'G1' })).toBeGreaterThanOrEqual(1);
    expect(sample(m1, 'nbwss_commands_total', { method: 'get', status: '401' })).toBeUndefined();

    const ep = a.endpoints[0]!;
    expect((await ep.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' })).responseCode).toBe(401);
    expect((await ep.sendCommand({ method: 'TRACE', uri: '/netbackup/admin/jobs' })).responseCode).toBe(400);
    await once(conn, 'pong');
    const m2 = await scrape(a);
    expect(sample(m2, 'nbwss_commands_total', { group_id: 'G1', method: 'get', status: '401' })).toBe(1);
    expect(sample(m2, 'nbwss_commands_total', { group_id: 'G1', method: 'other', status: '400' })).toBe(1);
    expect(sample(m2, 'nbwss_command_duration_seconds_count', { method: 'get' })).toBe(1);
    expect(sample(m2, 'nbwss_pongs_received_total', { group_id: 'G1' })).toBeGreaterThan(sample(m1, 'nbwss_pongs_received_total', { group_id: 'G1' })!);

    // An undecodable frame closes the connection (exception.ignoreDecoder=false) and is counted.
    const closed = once(a.daemon.scheduler, 'disconnected');
    // (and the connection after it will get a frame over 2 MB right after CONNECT, see below)
    ep.setFaults({ oversizeFrame: true });
    ep.sendRaw('this is not JSON');
    await closed;
    await conn.closed;
    const m3 = await scrape(a);
    expect(sample(m3, 'nbwss_decoder_errors_total', { group_id: 'G1', action: 'closed' })).toBe(1);
    expect(sample(m3, 'nbwss_decoder_errors_total', { group_id: 'G1', action: 'ignored' })).toBeUndefined();
    expect(sample(m3, 'nbwss_disconnects_total', { group_id: 'G1', code: '1007' })).toBe(1);
    // Ping counters keep the closed connection's pings.
    expect(sample(m3, 'nbwss_pings_sent_total', { group_id: 'G1' })).toBeGreaterThanOrEqual(sample(m2, 'nbwss_pings_sent_total', { group_id: 'G1' })!);

    // The next connection gets a frame over 2 MB right after CONNECT: closed with 1009, counted.
    const oversize = new Promise<void>((resolve) => {
      const on = (_c: unknown, info: { code: number }) => {
        if (info.code !== 1009) return;
        a.daemon.scheduler.off('disconnected', on);
        resolve();
      };
      a.daemon.scheduler.on('disconnected', on);
    });
    await oversize;
    const m4 = await scrape(a);
    expect(sample(m4, 'nbwss_frames_oversize_total', { group_id: 'G1' })).toBeGreaterThanOrEqual(1);
    expect(sample(m4, 'nbwss_disconnects_total', { group_id: 'G1', code: '1009' })).toBeGreaterThanOrEqual(1);
  });

  it('undecodable frames ignored (exception.ignoreDecoder=true) are counted with action="ignored"; the connection stays up', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'exception.ignoreDecoder': true } });
    const conn = a.daemon.scheduler.connections().get('G1')!;
    const ep = a.endpoints[0]!;
    const m1 = await scrape(a);
    expect(sample(m1, 'nbwss_decoder_errors_total', { group_id: 'G1' })).toBeUndefined();
    for (const frame of ['this is not JSON', '[1,2]']) {
      const seen = once(conn, 'decodeError');
      ep.sendRaw(frame);
      await seen;
    }
    const m2 = await scrape(a);
    expect(sample(m2, 'nbwss_decoder_errors_total', { group_id: 'G1', action: 'ignored' })).toBe(2);
    expect(sample(m2, 'nbwss_decoder_errors_total', { group_id: 'G1', action: 'closed' })).toBeUndefined();
    expect(sample(m2, 'nbwss_connections', { state: 'connected' })).toBe(1);
    expect(conn.isOpen).toBe(true);
    expect(sample(m2, 'nbwss_disconnects_total', { group_id: 'G1' })).toBeUndefined();
  });
});
