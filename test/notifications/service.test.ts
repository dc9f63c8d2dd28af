import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Router, type Channel } from '../../src/connection/channel.js';
import { silentLogger } from '../../src/logger.js';
import { NotificationService } from '../../src/notifications/service.js';
import { NotificationSource } from '../../src/notifications/source.js';
import type { NotificationRequest } from '../../src/protocol/messages.js';
import type { Store } from '../../src/store/database.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeChannel, ack, job, openTestStore, testConfig } from './helpers.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

interface LifecycleEvents {
  connected: [Channel];
  disconnected: [Channel, { code: number; reason: string }];
}

function setup(groups = ['g1', 'g2']) {
  const t = openTestStore(groups);
  stores.push(t.store);
  const clock = new ManualClock();
  const router = new Router();
  const scheduler = new EventEmitter<LifecycleEvents>();
  const service = new NotificationService({ outbox: t.outbox, router, connections: scheduler, config: () => testConfig(), clock, logger: silentLogger() });
  const source = new NotificationSource({ outbox: t.outbox, clock });
  source.on('raised', service.wake);
  service.start();
  const respond = (channel: FakeChannel, payload: unknown[] = []) =>
    router.get('NOTIFICATION', 'RESPONSE')!(ack((channel.last as NotificationRequest).id, payload), channel);
  return { ...t, clock, router, scheduler, service, source, respond };
}

describe('NotificationService', () => {
  it('polls every scheduledRate, with one timer for every group, and delivers what another process appended', async () => {
    const { outbox, clock, scheduler } = setup();
    const timers = clock.pending; // the service's own: the poll, the pruner, the backlog watch
    const a = new FakeChannel('g1', 'a.example.com');
    const b = new FakeChannel('g2', 'b.example.com');
    scheduler.emit('connected', a);
    scheduler.emit('connected', b);
    expect(clock.pending).toBe(timers); // no timer per idle group
    outbox.append([{ rows: [{ object: 'JOB', data: JSON.stringify(job(1)) }], raisedAt: clock.now() }]); // no wake
    clock.advance(4999);
    expect([a.sent.length, b.sent.length]).toEqual([0, 0]);
    clock.advance(1);
    expect([a.sent.length, b.sent.length]).toEqual([1, 1]);
  });

  it('registers the NOTIFICATION RESPONSE route and delivers every notification to every connected group', async () => {
    const { scheduler, source, respond, service, outbox } = setup();
    const a = new FakeChannel('g1', 'a1');
    const b = new FakeChannel('g2', 'b1');
    scheduler.emit('connected', a);
    scheduler.emit('connected', b);
    await source.raise('JOB', [job(1), job(2)]);
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(1);
    await source.raise('JOB', job(3)); // stop-and-wait: waits for the acks
    respond(a);
    respond(b);
    respond(a);
    respond(b);
    for (const c of [a, b]) expect(c.messages.flatMap((m) => (m as NotificationRequest).payload[0]!.data.map((d) => d.jobId))).toEqual([1, 2, 3]);
    expect(outbox.groups().map((g) => g.cursorSeq)).toEqual([3, 3]);
    const status = service.status();
    expect(status.groups.map((g) => [g.groupId, g.connectedEndpoint, g.backlog, g.inflight, g.sender?.state])).toEqual([
      ['g1', 'a1', 0, null, 'idle'],
      ['g2', 'b1', 0, null, 'idle'],
    ]);
  });

  it('on failover resends the unacknowledged batch, same id and bytes, to the next endpoint of the group', async () => {
    const { scheduler, source, respond, outbox } = setup(['g1']);
    const first = new FakeChannel('g1', 'ep1');
    const second = new FakeChannel('g1', 'ep2');
    scheduler.emit('connected', first);
    await source.raise('JOB', job(1));
    first.close();
    scheduler.emit('disconnected', first, { code: 1006, reason: 'gone' });
    await source.raise('JOB', job(2)); // nobody to wake
    scheduler.emit('connected', second);
    expect(second.sent).toEqual(first.sent);
    respond(second);
    expect((second.last as NotificationRequest).payload[0]!.data).toEqual([job(2)]);
    respond(second);
    expect(outbox.group('g1')!.cursorSeq).toBe(2);
  });

  it('a late disconnect of a replaced connection does not stop the new sender; stop() stops everything', async () => {
    const { scheduler, source, service, clock } = setup(['g1']);
    const first = new FakeChannel('g1', 'ep1');
    const second = new FakeChannel('g1', 'ep2');
    scheduler.emit('connected', first);
    scheduler.emit('connected', second);
    scheduler.emit('disconnected', first, { code: 1000, reason: 'replaced' });
    await source.raise('JOB', job(1));
    expect(first.sent).toHaveLength(0);
    expect(second.sent).toHaveLength(1);
    service.stop();
    clock.advance(60_000);
    expect(second.sent).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('emits batchSent, batchResent, batchAcked and ackIgnored', async () => {
    const { scheduler, source, respond, service, clock, router } = setup(['g1']);
    const seen: string[] = [];
    for (const e of ['batchSent', 'batchResent', 'batchAcked', 'ackIgnored'] as const) service.on(e, () => seen.push(e));
    const c = new FakeChannel('g1', 'ep1');
    scheduler.emit('connected', c);
    await source.raise('JOB', job(1));
    clock.advance(5000);
    respond(c, ['not empty']);
    respond(c);
    router.get('NOTIFICATION', 'RESPONSE')!(ack('0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872'), new FakeChannel('g9', 'stranger'));
    expect(seen).toEqual(['batchSent', 'batchResent', 'ackIgnored', 'batchAcked', 'ackIgnored']);
  });
});
