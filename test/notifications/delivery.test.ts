import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonHandle } from '../../src/daemon.js';
import type { NotificationRequest } from '../../src/protocol/messages.js';
import { runCli } from '../helpers/cli.js';
import { daemonConfig } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordingEndpoint, addEndpoint, type AckMode, startTestDaemon } from './endpoint.js';
import { image, job, withoutTimeStamp } from './helpers.js';

/**
 * Delivery through the real daemon (store, scheduler, pinned TLS connections) to real local wss:// endpoints.
 * Timings are shortened (scheduledRate 0.4 s, connectionInfo.period 0.2 s); every wait is on an event.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function endpoint(host: string, ack: AckMode = 'auto'): Promise<RecordingEndpoint> {
  const ep = await RecordingEndpoint.start(host, ack);
  cleanup.push(() => ep.stop());
  return ep;
}

async function daemon(config: Parameters<typeof startTestDaemon>[0]) {
  const d = await startTestDaemon(config);
  cleanup.push(() => d.daemon.stop());
  return d;
}

/** Resolves when the daemon's scheduler reports `groupId` CONNECTED. */
function connected(d: DaemonHandle, groupId: string): Promise<void> {
  if (d.scheduler.connections().get(groupId)?.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (c: { groupId: string }) => {
      if (c.groupId !== groupId) return;
      d.scheduler.off('connected', on);
      resolve();
    };
    d.scheduler.on('connected', on);
  });
}

describe('notification delivery through the daemon', () => {
  it('sends JOB, JOB, IMAGE, IMAGE raised together as one request with two payload elements; a later JOB waits for the next request', async () => {
    const config = daemonConfig(tempDir());
    const ep = await endpoint('127.0.0.2');
    addEndpoint(config, ep.server, 'ep1.test', 'G1');
    const { daemon: d, notifications } = await daemon(config);
    await connected(d, 'G1');
    const second = ep.next((r) => r.msg.payload.some((e) => e.data.some((x) => x.jobId === 3)));
    await Promise.all([notifications.source.raise('JOB', [job(1), job(2)]), notifications.source.raise('IMAGE', [image(1), image(2)]), notifications.source.raise('JOB', job(3))]);
    await second;
    const [first, next] = ep.requests.map((r) => r.msg);
    expect(first!.payload).toEqual([
      { notificationType: 'INFO', object: 'JOB', data: [job(1), job(2)] },
      { notificationType: 'INFO', object: 'IMAGE', data: [image(1), image(2)] },
    ]);
    // job 3 was raised after the images: in the first request it would have been read before them
    expect(next!.payload).toEqual([{ notificationType: 'INFO', object: 'JOB', data: [job(3)] }]);
    expect(first!.id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(ep.requests).toHaveLength(2);
  });

  it('holds notifications back for notification.delay', async () => {
    const config = daemonConfig(tempDir(), { 'notification.delay': 0.5 });
    const ep = await endpoint('127.0.0.2');
    addEndpoint(config, ep.server, 'ep1.test', 'G1');
    const { daemon: d, notifications } = await daemon(config);
    await connected(d, 'G1');
    const request = ep.next();
    const raisedAt = Date.now();
    await notifications.source.raise('JOB', job(1));
    const { at } = await request;
    expect(at - raisedAt).toBeGreaterThanOrEqual(490);
  });

  it('stop-and-wait; resend with the same id and payload bytes, timeStamp of the resend; wrong-id and non-empty acks ignored', async () => {
    const config = daemonConfig(tempDir());
    const ep = await endpoint('127.0.0.2', 'manual');
    addEndpoint(config, ep.server, 'ep1.test', 'G1');
    const { daemon: d, notifications } = await daemon(config);
    await connected(d, 'G1');
    const first = ep.next();
    await notifications.source.raise('JOB', job(1));
    const a = await first;
    const resent = ep.next();
    await notifications.source.raise('JOB', job(2)); // must wait: job 1 is unacknowledged
    ep.respond(a, [], '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872'); // another id
    ep.respond(a, [{ status: 'nope' }]); // a payload other than []
    const b = await resent;
    // same id and payload bytes; the timeStamp is the time of each send (integer epoch seconds)
    expect(withoutTimeStamp(b.raw)).toBe(withoutTimeStamp(a.raw));
    expect(b.msg.timeStamp).toBeGreaterThanOrEqual(a.msg.timeStamp);
    for (const r of [a, b]) expect(r.msg.timeStamp).toBeLessThanOrEqual(Math.floor(r.at / 1000));
    expect(ep.requests.map((r) => r.msg.id)).toEqual([a.msg.id, a.msg.id]);
    expect(notifications.status().groups[0]).toMatchObject({ cursor: 0, backlog: 2, inflight: { id: a.msg.id, sendCount: 2 } });
    const second = ep.next();
    ep.respond(b);
    const c = await second;
    expect(c.msg.id).not.toBe(a.msg.id);
    expect(c.msg.payload[0]!.data).toEqual([job(2)]);
  });

  it('fails over: the unacknowledged batch reaches the group\'s next endpoint with the same id', async () => {
    const config = daemonConfig(tempDir());
    const primary = await endpoint('127.0.0.2', 'manual');
    const backup = await endpoint('127.0.0.3', 'auto');
    addEndpoint(config, primary.server, 'ep1.test', 'G1', 1);
    addEndpoint(config, backup.server, 'ep2.test', 'G1', 2);
    const { daemon: d, notifications } = await daemon(config);
    await connected(d, 'G1');
    const sent = primary.next();
    await notifications.source.raise('IMAGE', [image(1), image(2)]);
    const unacked = await sent;
    const failedOver = backup.next();
    await primary.stop(); // the endpoint goes away without acknowledging
    const got = await failedOver;
    expect(got.msg.id).toBe(unacked.msg.id);
    expect(withoutTimeStamp(got.raw)).toBe(withoutTimeStamp(unacked.raw)); // same id and payload bytes
    expect(got.msg.timeStamp).toBeGreaterThanOrEqual(unacked.msg.timeStamp); // the time of the resend: not before the first send,
    expect(got.msg.timeStamp).toBeLessThanOrEqual(Math.floor(got.at / 1000)); // nor after its arrival
    await backup.receivedAll(['vm_1', 'vm_2']);
  });

  it('delivers every notification to every server group, in order', async () => {
    const config = daemonConfig(tempDir(), { 'notification.maxBatchSize': 7 });
    const g1 = await endpoint('127.0.0.2');
    const g2 = await endpoint('127.0.0.3');
    addEndpoint(config, g1.server, 'ep1.test', 'G1');
    addEndpoint(config, g2.server, 'ep2.test', 'G2');
    const { daemon: d, notifications } = await daemon(config);
    await Promise.all([connected(d, 'G1'), connected(d, 'G2')]);
    const ids = Array.from({ length: 60 }, (_, i) => i + 1);
    for (let i = 0; i < 60; i += 6) await notifications.source.raise('JOB', ids.slice(i, i + 6).map((n) => job(n)));
    await Promise.all([g1.receivedAll(ids), g2.receivedAll(ids)]);
    expect(g1.received).toEqual(ids);
    expect(g2.received).toEqual(ids);
    expect(Math.max(...g1.requests.map((r) => (r.msg as NotificationRequest).payload[0]!.data.length))).toBe(7);
  });

  it('delivers what `nbwss notify` appends from another process, and `nbwss status` reads the live state', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    const ep = await endpoint('127.0.0.2');
    addEndpoint(config, ep.server, 'ep1.test', 'G1');
    const { daemon: d } = await daemon(config);
    await connected(d, 'G1');
    const props = join(dir, 'nbwss.properties');
    writeFileSync(props, `db.path=${config.db.path}\nsecurity.keyFile=${config.security.keyFile}\n`);
    const arrived = ep.next();
    const r = await runCli(['notify', '--config', props, '--object', 'JOB', '--data', JSON.stringify([job(41), job(42)])]);
    expect(r).toMatchObject({ code: 0, stdout: 'raised 2 JOB notifications: seq 1-2\n' });
    expect((await arrived).msg.payload[0]!.data).toEqual([job(41), job(42)]);
    const bad = await runCli(['notify', '--config', props, '--object', 'JOB', '--data', JSON.stringify({ ...job(43), state: 'LOST' })]);
    expect(bad.code).toBe(1);
    const status = await runCli(['status', '--config', props, '--json']);
    const parsed = JSON.parse(status.stdout) as { outbox: { newestSeq: number }; groups: { groupId: string; connectedEndpoint: string }[] };
    expect(parsed.outbox.newestSeq).toBe(2); // the bad one stored nothing
    expect(parsed.groups).toMatchObject([{ groupId: 'G1', connectedEndpoint: 'ep1.test' }]);
  });
});
