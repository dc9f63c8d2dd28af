import { afterEach, describe, expect, it } from 'vitest';
import { EndpointService } from '../../src/endpoints/service.js';
import type { NotificationSubsystem } from '../../src/notifications/subsystem.js';
import { silentLogger } from '../../src/logger.js';
import { RetentionPruner } from '../../src/notifications/retention.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { daemonConfig, whenConnected } from '../helpers/daemon.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordingEndpoint, addEndpoint, startTestDaemon, type AckMode, type ReceivedRequest } from './endpoint.js';
import { job, openTestStore, rows, testConfig } from './helpers.js';

/**
 * Issue 10 B6: changing endpoints in the middle of delivery loses nothing and keeps the order. Deleting a group's
 * last endpoint keeps the group's place (cursor, in-flight batch) as a tombstone; adding an endpoint of the group
 * again resends the in-flight batch (same id) and continues. `endpoints update` of the url and certificate redials
 * at the next run of the connection task and resends the in-flight batch there. Real daemon, real wss:// endpoints.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function endpoint(host: string, ack: AckMode = 'manual'): Promise<RecordingEndpoint> {
  const ep = await RecordingEndpoint.start(host, ack);
  cleanup.push(() => ep.stop());
  return ep;
}

/** Resolves once the group's cursor has reached `seq` (on the acknowledgement events, no polling). */
function ackedThrough(notifications: NotificationSubsystem, groupId: string, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if ((notifications.status().groups.find((g) => g.groupId === groupId)?.cursor ?? 0) < seq) return;
      notifications.delivery.off('batchAcked', check);
      resolve();
    };
    notifications.delivery.on('batchAcked', check);
    check();
  });
}

/** The job ids of a request, in order. */
const ids = (r: ReceivedRequest) => r.msg.payload.flatMap((e) => e.data.map((d) => d.jobId as number));

/** Every request after the first of each id must continue exactly where the previous new batch ended. */
function expectInOrder(requests: readonly ReceivedRequest[], total: number): void {
  const seen = new Map<string, string>();
  let delivered = 0;
  for (const r of requests) {
    const payload = JSON.stringify(r.msg.payload);
    const earlier = seen.get(r.msg.id);
    if (earlier !== undefined) {
      expect(payload, `resend of ${r.msg.id}`).toBe(earlier);
      continue;
    }
    seen.set(r.msg.id, payload);
    expect(ids(r), `batch ${r.msg.id} after ${delivered}`).toEqual(ids(r).map((_, i) => delivered + 1 + i));
    delivered += ids(r).length;
  }
  expect(delivered).toBe(total);
}

describe('endpoint changes in the middle of delivery', () => {
  it("deleting the group's last endpoint keeps its in-flight batch; adding it again resends that batch and continues in order", async () => {
    const config = daemonConfig(tempDir(), { 'notification.maxBatchSize': 2 });
    const ep = await endpoint('127.0.0.2');
    addEndpoint(config, ep.server, 'ep1.test', 'G1');
    const { daemon: d, notifications } = await startTestDaemon(config);
    cleanup.push(() => d.stop());
    await whenConnected(d, 'G1');
    const first = ep.next();
    await notifications.source.raise('JOB', [job(1), job(2), job(3)]);
    const inflight = await first; // never acknowledged by this connection

    const closed = new Promise<void>((resolve) => d.scheduler.once('disconnected', () => resolve()));
    const deleted = d.endpoints.delete('ep1.test');
    expect(deleted).toEqual({ groupId: 'G1', lastOfGroup: true, undelivered: 3 });
    await closed; // the next run closed the connection
    await notifications.source.raise('JOB', [job(4), job(5)]); // raised while the group has no endpoint
    expect(notifications.status().groups).toEqual([expect.objectContaining({ groupId: 'G1', cursor: 0, backlog: 5, inflight: expect.objectContaining({ id: inflight.msg.id }), deleted: expect.objectContaining({ at: expect.any(Number) }) })]);

    const resent = ep.next((r) => r.msg.id === inflight.msg.id);
    addEndpoint(config, ep.server, 'ep1.test', 'G1'); // the guide's token renewal: delete, then add again
    ep.ack = 'auto';
    ep.respond(await resent);
    await ep.receivedAll([1, 2, 3, 4, 5]);
    await ackedThrough(notifications, 'G1', 5);
    expectInOrder(ep.requests, 5);
    expect(notifications.status().groups[0]).toMatchObject({ cursor: 5, backlog: 0, deleted: null });
  });

  it('endpoints update of url and certificate redials at the next run; the in-flight batch is resent there with the same id', async () => {
    const config = daemonConfig(tempDir(), { 'notification.maxBatchSize': 2 });
    const a = await endpoint('127.0.0.2');
    const b = await endpoint('127.0.0.3', 'auto');
    addEndpoint(config, a.server, 'ep1.test', 'G1');
    const { daemon: d, notifications } = await startTestDaemon(config);
    cleanup.push(() => d.stop());
    await whenConnected(d, 'G1');
    const first = a.next();
    await notifications.source.raise('JOB', [job(1), job(2), job(3), job(4), job(5)]);
    const inflight = await first;

    const service = new EndpointService({ endpoints: d.endpoints, cipher: d.cipher, logger: silentLogger() });
    const resentAtB = b.next((r) => r.msg.id === inflight.msg.id);
    const result = await service.update('ep1.test', { url: b.server.url('/'), fingerprint: b.server.fingerprint });
    expect(result).toMatchObject({ changed: ['url', 'certificate'], redial: true });
    await resentAtB;
    await b.receivedAll([1, 2, 3, 4, 5]);
    expectInOrder(b.requests, 5);
    expect(ids(b.requests[0]!)).toEqual([1, 2]);
    expect(a.requests.map((r) => r.msg.id)).toEqual([inflight.msg.id]); // nothing else went to the old url
    await ackedThrough(notifications, 'G1', 5);
    // a priority change alone keeps the open connection (no preemption)
    const conn = d.scheduler.connections().get('G1');
    expect((await service.update('ep1.test', { priority: 7 })).redial).toBe(false);
    await d.scheduler.tickNow();
    expect(d.scheduler.connections().get('G1')).toBe(conn);
  });
});

describe('tombstones', () => {
  it('a deleted group keeps its place and holds pruning back for notification.retention, then is dropped', async () => {
    const { store, outbox } = openTestStore([]);
    cleanup.push(() => store.close());
    const endpoints = new EndpointStore(store);
    const ep = { url: 'wss://x/', priority: 1, tokenEnc: Buffer.from('x'), certPem: 'pem', certFingerprint: 'AA', caPem: null };
    endpoints.insert({ ...ep, hostName: 'a1', groupId: 'GA' });
    endpoints.insert({ ...ep, hostName: 'b1', groupId: 'GB' });
    const clock = new ManualClock(1_000_000);
    outbox.append([{ rows: rows('JOB', [job(1), job(2), job(3)]), raisedAt: 0 }]);
    outbox.setInflight('GB', { id: 'B', firstSeq: 1, lastSeq: 3, count: 3, timeStamp: 1 }, 1);
    outbox.acknowledge('GB', 'B', 2);
    outbox.setInflight('GA', { id: 'A', firstSeq: 1, lastSeq: 2, count: 2, timeStamp: 1 }, 1);
    expect(endpoints.delete('a1', clock.now())).toEqual({ groupId: 'GA', lastOfGroup: true, undelivered: 3 });
    const pruner = new RetentionPruner({ outbox, config: () => testConfig({ retention: 10 }), clock, logger: silentLogger() });
    clock.advance(10_000);
    expect(await pruner.runOnce()).toBe(0); // GA (deleted 10 s ago, not more) still holds every row
    expect(outbox.group('GA')).toMatchObject({ cursorSeq: 0, deletedAt: 1_000_000, inflight: expect.objectContaining({ id: 'A' }) });
    clock.advance(1);
    expect(await pruner.runOnce()).toBe(3);
    expect(outbox.group('GA')).toBeUndefined();
    expect(outbox.stats()).toEqual({ rows: 0, oldestSeq: null, newestSeq: 3 });
    // a group added again after its tombstone expired starts after the newest seq, like any new group
    endpoints.insert({ ...ep, hostName: 'a1', groupId: 'GA' });
    expect(outbox.group('GA')).toMatchObject({ cursorSeq: 3, deletedAt: null, inflight: null });
  });
});
