import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../src/notifications/frame.js';
import { buildMessage, type NotificationRequest } from '../../src/protocol/messages.js';
import type { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { Store as StoreClass } from '../../src/store/database.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeChannel, ack, image, job, makeSender, openTestStore, rows, testConfig } from './helpers.js';

const stores: Store[] = [];

/**
 * Every frame is the same request sent again: the same id, the same payload bytes (the frame's text after the
 * timeStamp), the rest of the envelope identical, and the timeStamp of each send (`sendTimes`, epoch ms).
 */
function expectResends(frames: string[], sendTimes: number[]): void {
  expect(frames).toHaveLength(sendTimes.length);
  const split = (f: string) => /^(\{"version":"1\.0","id":"[0-9A-F-]{36}","type":"NOTIFICATION","subType":"REQUEST","timeStamp":)(\d+)(,"payload":\[.*\]\})$/s.exec(f)!;
  const parts = frames.map(split);
  for (const [i, p] of parts.entries()) {
    expect(p).not.toBeNull();
    expect(p[1]).toBe(parts[0]![1]); // envelope up to the timeStamp, id included
    expect(p[3]).toBe(parts[0]![3]); // payload bytes
    expect(Number(p[2])).toBe(Math.floor(sendTimes[i]! / 1000));
    expect(JSON.parse(frames[i]!)).toMatchObject({ id: JSON.parse(frames[0]!).id, timeStamp: Math.floor(sendTimes[i]! / 1000) });
  }
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup(groups?: string[]) {
  const t = openTestStore(groups);
  stores.push(t.store);
  return { ...t, clock: new ManualClock() };
}

describe('GroupSender batching', () => {
  it('sends 3 JOB + 2 IMAGE raised JOB, JOB, IMAGE, JOB... as one request per overtake-free run, one element per type', () => {
    const { outbox, clock } = setup();
    const now = clock.now();
    outbox.append([
      { rows: rows('JOB', [job(1), job(2)]), raisedAt: now },
      { rows: rows('JOB', [job(3)]), raisedAt: now },
      { rows: rows('IMAGE', [image(1), image(2)]), raisedAt: now },
    ]);
    const { sender, channel, log } = makeSender(outbox, clock);
    sender.start();
    expect(channel.sent).toHaveLength(1);
    const msg = channel.last as NotificationRequest;
    expect(msg.type).toBe('NOTIFICATION');
    expect(msg.subType).toBe('REQUEST');
    expect(msg.id).toMatch(/^[0-9A-F-]{36}$/);
    expect(msg.timeStamp).toBe(Math.floor(now / 1000));
    expect(msg.payload).toEqual([
      { notificationType: 'INFO', object: 'JOB', data: [job(1), job(2), job(3)] },
      { notificationType: 'INFO', object: 'IMAGE', data: [image(1), image(2)] },
    ]);
    // the spliced text is exactly what JSON.stringify of the message gives
    expect(channel.sent[0]).toBe(JSON.stringify(buildMessage('NOTIFICATION', 'REQUEST', msg.id, msg.timeStamp, msg.payload)));
    expect(log).toEqual([{ event: 'batchSent', args: expect.objectContaining({ firstSeq: 1, lastSeq: 5, count: 5, sendCount: 1, bytes: Buffer.byteLength(channel.sent[0]!) }) }]);
    expect(outbox.group('g1')!.inflight).toMatchObject({ id: msg.id, firstSeq: 1, lastSeq: 5, count: 5, sendCount: 1 });

    sender.handleResponse(ack(msg.id));
    const g = outbox.group('g1')!;
    expect(g.cursorSeq).toBe(5);
    expect(g.inflight).toBeNull();
    expect(g.ackedBatches).toBe(1);
    expect(g.ackedNotifications).toBe(5);
    expect(log.at(-1)).toMatchObject({ event: 'batchAcked', args: { id: msg.id, count: 5 } });
    expect(sender.state).toBe('idle');
  });

  it('ends a request before a notification would overtake an earlier one of another type (JOB ACTIVE, IMAGE, JOB DONE)', () => {
    const { outbox, clock } = setup();
    const now = clock.now();
    outbox.append([
      { rows: rows('JOB', [job(146, 'ACTIVE')]), raisedAt: now },
      { rows: rows('IMAGE', [image(1)]), raisedAt: now },
      { rows: rows('JOB', [job(146, 'DONE')]), raisedAt: now },
      { rows: rows('IMAGE', [image(2, 'UPDATE')]), raisedAt: now },
    ]);
    const { sender, channel } = makeSender(outbox, clock);
    sender.start();
    const first = channel.last as NotificationRequest;
    expect(first.payload).toEqual([
      { notificationType: 'INFO', object: 'JOB', data: [job(146, 'ACTIVE')] },
      { notificationType: 'INFO', object: 'IMAGE', data: [image(1)] },
    ]);
    sender.handleResponse(ack(first.id));
    const second = channel.last as NotificationRequest;
    expect(second.payload).toEqual([
      { notificationType: 'INFO', object: 'JOB', data: [job(146, 'DONE')] },
      { notificationType: 'INFO', object: 'IMAGE', data: [image(2, 'UPDATE')] },
    ]);
    sender.handleResponse(ack(second.id));
    expect(channel.sent).toHaveLength(2);
    expect(outbox.group('g1')!.cursorSeq).toBe(4);
  });

  it('keeps raise order across types for any mix: elements read in order give seq order, each request as long as allowed', () => {
    let seed = 0x2f6b9a1d; // mulberry32: a fixed seed, so a failure repeats
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    for (let round = 0; round < 40; round++) {
      const { outbox, clock } = setup();
      const raised: string[] = [];
      const batches = Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({
        rows: Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
          const object = random() < 0.5 ? ('JOB' as const) : ('IMAGE' as const);
          const n = raised.length + 1;
          raised.push(`${object}${n}`);
          return rows(object, [object === 'JOB' ? job(n) : image(n)])[0]!;
        }),
        raisedAt: clock.now(),
      }));
      outbox.append(batches);
      const maxBatchSize = 1 + Math.floor(random() * 10);
      const { sender, channel } = makeSender(outbox, clock, testConfig({ maxBatchSize }));
      sender.start();
      const read: string[] = [];
      for (let i = 0; i < raised.length && channel.sent.length > i; i++) {
        const msg = channel.last as NotificationRequest;
        const objects = msg.payload.map((e) => e.object);
        expect(new Set(objects).size).toBe(objects.length); // one element per type
        const inRequest = msg.payload.flatMap((e) => e.data.map((d) => `${e.object}${(d.jobId as number | undefined) ?? String(d.backupId).slice(3)}`));
        expect(inRequest.length).toBeLessThanOrEqual(maxBatchSize);
        read.push(...inRequest);
        // the request ended for a reason: the batch size, the end of the outbox, or the next row would overtake
        const next = raised[read.length];
        if (inRequest.length < maxBatchSize && next !== undefined) {
          const lastObject = objects.at(-1)!;
          expect(next.startsWith(lastObject)).toBe(false);
          expect(objects.some((o) => next.startsWith(o))).toBe(true);
        }
        sender.handleResponse(ack(msg.id));
      }
      expect(read).toEqual(raised);
    }
  });

  it('puts IMAGE first when an IMAGE was raised first', () => {
    const { outbox, clock } = setup();
    outbox.append([{ rows: [...rows('IMAGE', [image(1)]), ...rows('JOB', [job(1)])], raisedAt: clock.now() }]);
    const { sender, channel } = makeSender(outbox, clock);
    sender.start();
    expect((channel.last as NotificationRequest).payload.map((e) => e.object)).toEqual(['IMAGE', 'JOB']);
  });

  it('sends at most maxBatchSize notifications per request, in seq order', () => {
    const { outbox, clock } = setup();
    outbox.append([{ rows: rows('JOB', Array.from({ length: 12 }, (_, i) => job(i + 1))), raisedAt: clock.now() }]);
    const { sender, channel } = makeSender(outbox, clock, testConfig({ maxBatchSize: 5 }));
    sender.start();
    const seen: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const msg = channel.last as NotificationRequest;
      seen.push(msg.payload[0]!.data.map((d) => d.jobId as number));
      sender.handleResponse(ack(msg.id));
    }
    expect(seen).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
    expect(channel.sent).toHaveLength(3);
    expect(outbox.group('g1')!.cursorSeq).toBe(12);
  });

  it('never sends a request over 2 MB serialized', () => {
    const { outbox, clock } = setup();
    const big = (n: number) => ({ ...job(n), note: 'x'.repeat(300_000 + n) });
    outbox.append([{ rows: rows('JOB', Array.from({ length: 15 }, (_, i) => big(i + 1))), raisedAt: clock.now() }]);
    outbox.append([{ rows: rows('IMAGE', [image(1)]), raisedAt: clock.now() }]);
    const { sender, channel } = makeSender(outbox, clock, testConfig({ maxBatchSize: 500 }));
    sender.start();
    const jobIds: number[] = [];
    for (let i = 0; i < 10 && channel.sent.length > i; i++) {
      const frame = channel.sent[i]!;
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      const msg = JSON.parse(frame) as NotificationRequest;
      for (const e of msg.payload) if (e.object === 'JOB') jobIds.push(...e.data.map((d) => d.jobId as number));
      sender.handleResponse(ack(msg.id));
    }
    expect(channel.sent.length).toBe(3); // 6 + 6 + 3 JOB (+ the IMAGE) of ~300 KB each
    expect(Buffer.byteLength(channel.sent[0]!)).toBeGreaterThan(MAX_FRAME_BYTES - 310_000);
    expect(jobIds).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(outbox.group('g1')!.cursorSeq).toBe(16);
  });
});

describe('GroupSender frame size with multi-byte text', () => {
  it('counts UTF-8 bytes, not characters, near the 2 MB limit; every request fits and reports its exact size', () => {
    const { outbox, clock } = setup();
    // 3-byte characters: 250,000 of them are ~750 KB per notification (250,000 characters): two fit in a request, a
    // third would not (a character count would take all three)
    const big = (n: number) => ({ ...job(n), note: '€'.repeat(250_000) + 'é'.repeat(n) });
    outbox.append([{ rows: rows('JOB', Array.from({ length: 7 }, (_, i) => big(i + 1))), raisedAt: clock.now() }]);
    const { sender, channel, log } = makeSender(outbox, clock, testConfig({ maxBatchSize: 500 }));
    sender.start();
    const jobIds: number[] = [];
    for (let i = 0; i < 10 && channel.sent.length > i; i++) {
      const frame = channel.sent[i]!;
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      const msg = JSON.parse(frame) as NotificationRequest;
      jobIds.push(...msg.payload[0]!.data.map((d) => d.jobId as number));
      sender.handleResponse(ack(msg.id));
    }
    expect(channel.sent.map((f) => (JSON.parse(f) as NotificationRequest).payload[0]!.data.length)).toEqual([2, 2, 2, 1]);
    expect(jobIds).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const sent = log.filter((l) => l.event === 'batchSent').map((l) => (l.args as { bytes: number }).bytes);
    expect(sent).toEqual(channel.sent.map((f) => Buffer.byteLength(f)));
  });
});

describe('GroupSender timing', () => {
  it('holds a notification back notification.delay seconds after it was raised', () => {
    const { outbox, clock } = setup();
    const { sender, channel } = makeSender(outbox, clock, testConfig({ delay: 30, scheduledRate: 60 }));
    const t0 = clock.now();
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: t0 }]);
    sender.start();
    expect(channel.sent).toHaveLength(0);
    clock.advance(10_000);
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: clock.now() }]);
    sender.wake();
    clock.advance(19_999);
    expect(channel.sent).toHaveLength(0);
    clock.advance(1);
    expect(channel.sent).toHaveLength(1); // at t0 + 30 s: only the first
    const first = channel.last as NotificationRequest;
    expect(first.payload[0]!.data.map((d) => d.jobId)).toEqual([1]);
    sender.handleResponse(ack(first.id));
    expect(channel.sent).toHaveLength(1); // the second is eligible at t0 + 40 s
    clock.advance(9_999);
    expect(channel.sent).toHaveLength(1);
    clock.advance(1);
    expect((channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([2]);
  });

  it('a reload of notification.delay applies to notifications already waiting, at the next poll', () => {
    const { outbox, clock } = setup();
    const config = testConfig({ delay: 3600, scheduledRate: 1 });
    const { sender, channel } = makeSender(outbox, clock, config);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    sender.start();
    clock.advance(1000);
    sender.poll(1);
    expect(channel.sent).toHaveLength(0); // held back for an hour
    config.delay = 0; // SIGHUP
    sender.poll(1);
    expect((channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1]);
  });

  it('with notification.delay 0 sends at once even what was raised "after" now (the clock was set back since)', () => {
    const { outbox, clock } = setup();
    const { sender, channel } = makeSender(outbox, clock, testConfig({ delay: 0 }));
    outbox.append([{ rows: rows('JOB', [job(1), job(2)]), raisedAt: clock.now() + 60_000 }]);
    sender.start();
    expect((channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1, 2]);
  });

  it('stop-and-wait: a notification raised while a batch is unacknowledged waits for the ack, then goes at once', () => {
    const { outbox, clock } = setup();
    const { sender, channel } = makeSender(outbox, clock);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    sender.start();
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: clock.now() }]);
    sender.wake();
    clock.advance(1000);
    expect(channel.sent).toHaveLength(1);
    sender.handleResponse(ack((channel.last as NotificationRequest).id));
    expect(channel.sent).toHaveLength(2);
    expect((channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([2]);
  });

  it('resends with the same id and payload bytes, timeStamp of each send, every scheduledRate until acknowledged; a late ack counts', () => {
    const { outbox, clock } = setup();
    const { sender, channel, log } = makeSender(outbox, clock, testConfig({ sendTimeout: 2000, scheduledRate: 5 }));
    outbox.append([{ rows: rows('JOB', [job(1), job(2)]), raisedAt: clock.now() }]);
    const sendTimes: number[] = [];
    sender.start();
    sendTimes.push(clock.now());
    clock.advance(4999);
    expect(channel.sent).toHaveLength(1);
    clock.advance(1);
    sendTimes.push(clock.now());
    expect(channel.sent).toHaveLength(2);
    clock.advance(5000);
    sendTimes.push(clock.now());
    clock.advance(5000);
    sendTimes.push(clock.now());
    expect(channel.sent).toHaveLength(4);
    expectResends(channel.sent, sendTimes);
    expect(outbox.group('g1')!.inflight!.sendCount).toBe(4);
    expect(log.filter((l) => l.event === 'batchResent')).toHaveLength(3);
    expect(log.at(-1)).toMatchObject({ event: 'batchResent', args: { reason: 'timeout', sendCount: 4 } });
    // late: after sendTimeout (2 s), before the next resend
    clock.advance(3000);
    sender.handleResponse(ack((channel.last as NotificationRequest).id));
    expect(outbox.group('g1')!.cursorSeq).toBe(2);
    clock.advance(60_000);
    expect(channel.sent).toHaveLength(4); // no more resends
  });

  it('ignores an ack with another id or a non-empty payload, and still takes the right one', () => {
    const { outbox, clock } = setup();
    const { sender, channel, log } = makeSender(outbox, clock);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    sender.start();
    const id = (channel.last as NotificationRequest).id;
    sender.handleResponse(ack('0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872'));
    sender.handleResponse(ack(id, [{ error: 'no' }]));
    expect(outbox.group('g1')!.cursorSeq).toBe(0);
    expect(outbox.group('g1')!.inflight!.id).toBe(id);
    expect(log.filter((l) => l.event === 'ackIgnored').map((l) => (l.args as { reason: string }).reason)).toEqual(['unknown_id', 'non_empty_payload']);
    sender.handleResponse(ack(id));
    expect(outbox.group('g1')!.cursorSeq).toBe(1);
    sender.handleResponse(ack(id)); // a duplicate ack of an acknowledged batch
    expect(log.at(-1)).toMatchObject({ event: 'ackIgnored', args: { reason: 'nothing_in_flight' } });
    expect(outbox.group('g1')!.cursorSeq).toBe(1);
  });

  it('a poll sends what another process appended; an idle group already at the newest seq reads nothing', () => {
    const { outbox, clock } = setup();
    const { sender, channel } = makeSender(outbox, clock);
    sender.start();
    const reads = { count: 0 };
    const group = outbox.group.bind(outbox);
    outbox.group = (id) => (reads.count++, group(id));
    sender.poll(outbox.newestSeq()); // nothing new: not even the group is read
    expect(reads.count).toBe(0);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]); // no wake: another process
    sender.poll(outbox.newestSeq());
    expect(channel.sent).toHaveLength(1);
    expect(reads.count).toBe(1);
    sender.handleResponse(ack((channel.last as NotificationRequest).id));
    sender.poll(outbox.newestSeq());
    expect(reads.count).toBe(1);
  });

  it('without rows waiting for their delay an idle sender holds no timer (the service polls for every group)', () => {
    const { outbox, clock } = setup();
    const { sender } = makeSender(outbox, clock, testConfig({ delay: 30 }));
    sender.start();
    expect(clock.pending).toBe(0);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    sender.wake();
    expect(clock.pending).toBe(1); // the moment the row becomes eligible
  });
});

describe('GroupSender failover and restart', () => {
  it('resends a batch recorded before the ordering rule (JOB, IMAGE, JOB in one request) with all its notifications', () => {
    const { outbox, clock } = setup();
    outbox.append([{ rows: [...rows('JOB', [job(1)]), ...rows('IMAGE', [image(1)]), ...rows('JOB', [job(2)])], raisedAt: clock.now() }]);
    const id = '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872';
    outbox.setInflight('g1', { id, firstSeq: 1, lastSeq: 3, count: 3, timeStamp: 1 }, clock.now());
    const { sender, channel, log } = makeSender(outbox, clock);
    sender.start();
    const msg = channel.last as NotificationRequest;
    expect(msg.id).toBe(id);
    expect(msg.timeStamp).toBe(Math.floor(clock.now() / 1000));
    expect(msg.payload).toEqual([
      { notificationType: 'INFO', object: 'JOB', data: [job(1), job(2)] },
      { notificationType: 'INFO', object: 'IMAGE', data: [image(1)] },
    ]);
    expect(log).toEqual([{ event: 'batchResent', args: expect.objectContaining({ id, count: 3, reason: 'reconnect' }) }]);
  });

  it('resends the in-flight batch, same id and payload bytes, timeStamp of the resend, through the next connection of the group', () => {
    const { outbox, clock } = setup();
    const first = makeSender(outbox, clock);
    outbox.append([{ rows: [...rows('JOB', [job(1)]), ...rows('IMAGE', [image(1)])], raisedAt: clock.now() }]);
    first.sender.start();
    first.sender.stop();
    first.channel.close();
    clock.advance(20_000);
    expect(first.channel.sent).toHaveLength(1);
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: clock.now() }]);
    const second = makeSender(outbox, clock, testConfig(), new FakeChannel('g1', 'ep2.example.com'));
    second.sender.start();
    expectResends([...first.channel.sent, ...second.channel.sent], [clock.now() - 20_000, clock.now()]);
    expect(second.log).toEqual([{ event: 'batchResent', args: expect.objectContaining({ reason: 'reconnect', sendCount: 2, hostName: 'ep2.example.com' }) }]);
    second.sender.handleResponse(ack((second.channel.last as NotificationRequest).id));
    expect((second.channel.last as NotificationRequest).payload[0]!.data).toEqual([job(2)]);
  });

  it('after a restart, rebuilds the in-flight batch from the database: same id and payload bytes, timeStamp of the resend', () => {
    const { store, outbox, clock, path } = setup();
    const before = makeSender(outbox, clock);
    outbox.append([{ rows: rows('JOB', [job(1), job(2)]), raisedAt: clock.now() }]);
    before.sender.start();
    before.sender.stop(); // the daemon died
    stores.splice(stores.indexOf(store), 1);
    store.close();
    const reopened = StoreClass.open(path);
    stores.push(reopened);
    clock.advance(3_600_000); // an hour later: the resend carries that time
    const after = makeSender(new OutboxStore(reopened), clock);
    after.sender.start();
    expectResends([...before.channel.sent, ...after.channel.sent], [clock.now() - 3_600_000, clock.now()]);
  });
});
