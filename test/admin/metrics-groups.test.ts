import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NBWSS_VERSION } from '../../src/version.js';
import { sample, startAdminDaemon, type AdminDaemon } from './helpers.js';

/** Metrics by server group (issue 12 item 4): every group-labelled series, build info, one casing, deleted groups. */

const IMAGE = { backupId: 'vm1_1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 };

async function scrape(a: AdminDaemon): Promise<string> {
  const res = await a.call('GET', '/metrics');
  expect(res.status).toBe(200);
  return res.text();
}

/** The label values of every sample of the exposition (comments skipped). */
function labelValues(text: string): { name: string; label: string; value: string }[] {
  const out: { name: string; label: string; value: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(nbwss_[a-z_]+)\{(.*)\} /.exec(line);
    if (!m) continue;
    for (const x of m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out.push({ name: m[1]!, label: x[1]!, value: x[2]! });
  }
  return out;
}

describe('metrics by server group', () => {
  it('build info; roles; ack latency, ping RTT and COMMANDs by group; label values in lower case', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'g1' },
        { host: '127.0.0.3', group: 'g1', priority: 2 },
        { host: '127.0.0.4', group: 'g2' },
      ],
      overrides: { 'keepAlive.scheduledRate': 0.05, 'netbackup.mock': true, 'netbackup.baseUrl': 'https://127.0.0.1:0' },
    });
    const delivery = a.daemon.services.notifications.delivery;
    const acked = new Set<string>();
    const bothAcked = new Promise<void>((resolve) => {
      delivery.on('batchAcked', (e: { groupId: string }) => {
        acked.add(e.groupId);
        if (acked.size === 2) resolve();
      });
    });
    expect((await a.call('POST', '/api/notifications', { object: 'IMAGE', data: IMAGE })).status).toBe(202);
    await bothAcked;
    await Promise.all(['g1', 'g2'].map((g) => once(a.daemon.scheduler.connections().get(g)!, 'pong')));
    const g2 = a.endpoints[2]!;
    expect((await g2.sendCommand({ method: 'get', uri: '/netbackup/admin/jobs' })).responseCode).toBe(401);

    const m = await scrape(a);
    expect(sample(m, 'nbwss_build_info', { version: NBWSS_VERSION, node_version: process.versions.node })).toBe(1);
    expect(sample(m, 'nbwss_endpoint_roles', { role: 'serving' })).toBe(2);
    expect(sample(m, 'nbwss_endpoint_roles', { role: 'standby' })).toBe(1);
    expect(sample(m, 'nbwss_endpoint_roles', { role: 'failing' })).toBe(0);
    for (const g of ['g1', 'g2']) {
      expect(sample(m, 'nbwss_notification_ack_latency_seconds_count', { group_id: g })).toBe(1);
      expect(sample(m, 'nbwss_ping_rtt_seconds_count', { group_id: g })).toBeGreaterThanOrEqual(1);
    }
    expect(sample(m, 'nbwss_commands_total', { group_id: 'g2', method: 'get', status: '401' })).toBe(1);
    // The per-group histograms have short bucket lists (a bucket is a series per group: docs/operator.md).
    const les = (name: string) =>
      m
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && l.includes('group_id="g1"'))
        .map((l) => /le="([^"]+)"/.exec(l)![1]);
    expect(les('nbwss_notification_ack_latency_seconds_bucket')).toEqual(['0.005', '0.025', '0.1', '0.5', '2.5', '10', '+Inf']);
    expect(les('nbwss_ping_rtt_seconds_bucket')).toEqual(['0.001', '0.005', '0.025', '0.1', '0.5', '+Inf']);
    expect(sample(m, 'nbwss_commands_total', { group_id: 'g1' })).toBeUndefined();

    // One casing: every label value nbwss chooses is lower case (group ids are the operator's, versions are numbers, a bucket's le is Prometheus's).
    const chosen = labelValues(m).filter((l) => !['group_id', 'version', 'node_version', 'le'].includes(l.label)); // le="+Inf" is Prometheus's
    expect(chosen.length).toBeGreaterThan(10);
    expect(chosen.filter((l) => l.value !== l.value.toLowerCase())).toEqual([]);
  });

  it('a group has no acknowledgement-latency series until it has acknowledged something', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'g1' }] });
    const before = await scrape(a);
    expect(sample(before, 'nbwss_notification_backlog', { group_id: 'g1' })).toBe(0);
    expect(before).not.toContain('nbwss_notification_ack_latency_seconds_count{');
    expect(before).not.toContain('nbwss_commands_total{');
    const acked = once(a.daemon.services.notifications.delivery, 'batchAcked');
    expect((await a.call('POST', '/api/notifications', { object: 'IMAGE', data: IMAGE })).status).toBe(202);
    await acked;
    expect(sample(await scrape(a), 'nbwss_notification_ack_latency_seconds_count', { group_id: 'g1' })).toBe(1);
  });

  it("a group whose last endpoint is deleted has no series left in /metrics; the other group's stay", async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'KEEP' },
        { host: '127.0.0.3', group: 'GONE', faults: { dropAcks: true } },
      ],
      overrides: { 'keepAlive.scheduledRate': 0.05, 'netbackup.mock': true, 'netbackup.baseUrl': 'https://127.0.0.1:0' },
    });
    const gone = a.endpoints[1]!;
    // GONE gets series of every kind: sent, resent, backlog, pings, a COMMAND.
    const resent = gone.waitFor('notification', (n) => n.duplicate);
    expect((await a.call('POST', '/api/notifications', { object: 'IMAGE', data: IMAGE })).status).toBe(202);
    await resent;
    await once(a.daemon.scheduler.connections().get('GONE')!, 'pong');
    expect((await gone.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' })).responseCode).toBe(401);
    const before = await scrape(a);
    expect(sample(before, 'nbwss_notification_backlog', { group_id: 'GONE' })).toBe(1);
    expect(sample(before, 'nbwss_commands_total', { group_id: 'GONE' })).toBe(1);
    expect(sample(before, 'nbwss_ping_rtt_seconds_count', { group_id: 'GONE' })).toBeGreaterThanOrEqual(1);

    const del = await a.json<{ lastOfGroup: boolean }>('DELETE', '/api/endpoints/127.0.0.3');
    expect(del.body.lastOfGroup).toBe(true);
    const after = await scrape(a);
    expect(after).not.toContain('group_id="GONE"');
    expect(sample(after, 'nbwss_notification_backlog', { group_id: 'KEEP' })).toBe(0);
    expect(sample(after, 'nbwss_connect_attempts_total', { group_id: 'KEEP' })).toBe(1);

    // The next run closes the deleted endpoint's connection (a disconnect of GONE): still no series of GONE.
    const closed = once(a.daemon.scheduler, 'disconnected');
    await a.daemon.scheduler.tickNow();
    await closed;
    const later = await scrape(a);
    expect(later).not.toContain('group_id="GONE"');
    expect(sample(later, 'nbwss_pings_sent_total', { group_id: 'KEEP' })).toBeGreaterThanOrEqual(1);
    // The group keeps its place for notification.retention (GET /api/groups), only its metrics go.
    const groups = await a.json<{ groups: { groupId: string; deleted: unknown }[] }>('GET', '/api/groups');
    expect(groups.body.groups.find((g) => g.groupId === 'GONE')?.deleted).not.toBeNull();
  });

  it('docs/operator.md lists every nbwss metric with each of its labels', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'g1' }] });
    const rows = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('| `nbwss_'));
    const metrics = (await a.admin.metrics!.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('nbwss_'));
    expect(metrics.length).toBeGreaterThan(25);
    for (const m of metrics) {
      const row = rows.find((r) => r.split('|')[1]!.includes(`\`${m.name}\``));
      expect(row, m.name).toBeDefined();
      // prom-client keeps each metric's declared label names (not in its typings)
      const labels = (a.admin.metrics!.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames;
      for (const label of labels) expect(row!.split('|')[3], `${m.name}{${label}}`).toContain(`\`${label}\``);
    }
  });
});
