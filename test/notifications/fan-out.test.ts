import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import type { NotificationEvents } from '../../src/notifications/events.js';
import { PayloadCache } from '../../src/notifications/payload-cache.js';
import { GroupSender } from '../../src/notifications/sender.js';
import type { NotificationRequest } from '../../src/protocol/messages.js';
import type { Store } from '../../src/store/database.js';
import type { OutboxStore } from '../../src/store/outbox-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeChannel, ack, image, job, openTestStore, rows, testConfig } from './helpers.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

/** Senders of `groups`, sharing one payload cache; every outbox read is counted. */
function setup(groups: string[], config = testConfig()) {
  const t = openTestStore(groups);
  stores.push(t.store);
  const clock = new ManualClock();
  const cache = new PayloadCache();
  const reads = { count: 0 };
  const outbox = t.outbox as OutboxStore & { readAfter: OutboxStore['readAfter'] };
  const readAfter = outbox.readAfter.bind(outbox);
  outbox.readAfter = (after, limit) => {
    reads.count++;
    return readAfter(after, limit);
  };
  const events = new EventEmitter<NotificationEvents>();
  const senders = groups.map((g) => {
    const channel = new FakeChannel(g, `${g}.example.com`);
    return { channel, sender: new GroupSender({ channel, outbox, config: () => config, clock, logger: silentLogger(), events, payloads: cache }) };
  });
  const ackLast = (s: (typeof senders)[number]) => s.sender.handleResponse(ack((s.channel.last as NotificationRequest).id));
  /** The frame text after the envelope's timeStamp: the payload bytes. */
  const payloadOf = (frame: string) => frame.slice(frame.indexOf(',"payload":'));
  return { ...t, outbox, clock, cache, reads, senders, ackLast, payloadOf };
}

describe('fan-out: groups at the same cursor share one read and one payload', () => {
  it('reads and builds a batch once for every group at that cursor; each group gets its own id, the same payload bytes', () => {
    const { outbox, clock, senders, reads, cache, ackLast, payloadOf } = setup(['g1', 'g2', 'g3'], testConfig({ maxBatchSize: 4 }));
    outbox.append([{ rows: rows('JOB', Array.from({ length: 10 }, (_, i) => job(i + 1))), raisedAt: clock.now() }]);
    for (const s of senders) s.sender.start();
    expect(reads.count).toBe(1);
    const first = senders.map((s) => s.channel.sent[0]!);
    expect(new Set(first.map(payloadOf)).size).toBe(1);
    expect(new Set(first.map((f) => (JSON.parse(f) as NotificationRequest).id)).size).toBe(3);
    // the groups acknowledge in different orders and still share: 10 rows in batches of 4, 4, 2, read 3 times
    for (const s of senders) ackLast(s);
    for (const s of [...senders].reverse()) ackLast(s);
    expect(reads.count).toBe(3);
    for (const s of senders) ackLast(s); // each group then finds nothing after 10 (an empty read each)
    expect(reads.count).toBe(6);
    for (const s of senders) {
      expect(s.channel.messages.map((m) => (m as NotificationRequest).payload[0]!.data.map((d) => d.jobId))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    }
    expect(outbox.groups().map((g) => g.cursorSeq)).toEqual([10, 10, 10]);
    expect(cache.hits).toBe(6);
  });

  it('does not reuse a batch that ended at the newest row once more rows were appended', () => {
    const { outbox, clock, senders, reads } = setup(['g1', 'g2']);
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    senders[0]!.sender.start();
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: clock.now() }]);
    senders[1]!.sender.start();
    expect(reads.count).toBe(2);
    expect((senders[0]!.channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1]);
    expect((senders[1]!.channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1, 2]);
  });

  it('reuses a batch that ended at the newest row while nothing was appended', () => {
    const { outbox, clock, senders, reads, payloadOf } = setup(['g1', 'g2']);
    outbox.append([{ rows: [...rows('JOB', [job(1)]), ...rows('IMAGE', [image(1)])], raisedAt: clock.now() }]);
    for (const s of senders) s.sender.start();
    expect(reads.count).toBe(1);
    expect(payloadOf(senders[1]!.channel.sent[0]!)).toBe(payloadOf(senders[0]!.channel.sent[0]!));
  });

  it('does not share a batch with a group whose maxBatchSize differs after a reload', () => {
    const config = testConfig({ maxBatchSize: 2 });
    const { outbox, clock, senders, reads } = setup(['g1', 'g2'], config);
    outbox.append([{ rows: rows('JOB', [job(1), job(2), job(3)]), raisedAt: clock.now() }]);
    senders[0]!.sender.start();
    config.maxBatchSize = 3;
    senders[1]!.sender.start();
    expect(reads.count).toBe(2);
    expect((senders[1]!.channel.last as NotificationRequest).payload[0]!.data).toHaveLength(3);
  });

  it('does not cache a batch that stopped at a row not yet eligible (notification.delay)', () => {
    const { outbox, clock, senders, reads } = setup(['g1', 'g2'], testConfig({ delay: 10, scheduledRate: 60 }));
    // count reads of the delayed path too
    const rowsAfter = outbox.rowsAfter.bind(outbox);
    outbox.rowsAfter = (after, limit) => {
      reads.count++;
      return rowsAfter(after, limit);
    };
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    clock.advance(5000);
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: clock.now() }]);
    clock.advance(5000);
    senders[0]!.sender.start(); // job 1 is eligible, job 2 in 5 s
    clock.advance(5000);
    senders[1]!.sender.start(); // both are eligible now: not the cached [1]
    expect((senders[0]!.channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1]);
    expect((senders[1]!.channel.last as NotificationRequest).payload[0]!.data.map((d) => d.jobId)).toEqual([1, 2]);
    expect(reads.count).toBe(2);
  });

  it('acknowledges and records the next batch in flight in one transaction', () => {
    const { outbox, clock, senders, store, ackLast } = setup(['g1'], testConfig({ maxBatchSize: 1 }));
    outbox.append([{ rows: rows('JOB', [job(1), job(2)]), raisedAt: clock.now() }]);
    const s = senders[0]!;
    s.sender.start();
    const writes: [string, boolean][] = [];
    const acknowledge = outbox.acknowledge.bind(outbox);
    const setInflight = outbox.setInflight.bind(outbox);
    outbox.acknowledge = (...a) => (writes.push(['acknowledge', store.db.inTransaction]), acknowledge(...a));
    outbox.setInflight = (...a) => (writes.push(['setInflight', store.db.inTransaction]), setInflight(...a));
    let commits = 0;
    const transaction = outbox.transaction.bind(outbox);
    outbox.transaction = (fn) => (commits++, transaction(fn));
    ackLast(s);
    expect(writes).toEqual([
      ['acknowledge', true],
      ['setInflight', true],
    ]);
    expect(commits).toBe(1);
    expect(store.db.inTransaction).toBe(false);
    const g = outbox.group('g1')!;
    expect(g.cursorSeq).toBe(1);
    expect(g.inflight).toMatchObject({ firstSeq: 2, lastSeq: 2, id: (s.channel.last as NotificationRequest).id });
  });

  it('bounds the shared payloads by bytes, dropping the oldest first', () => {
    const cache = new PayloadCache(100);
    const entry = (bytes: number, lastSeq: number) => ({ text: 'x', bytes, firstSeq: lastSeq, lastSeq, count: 1, maxBatchSize: 1, complete: true, lastRaisedAt: 0 });
    cache.set(0, entry(40, 1));
    cache.set(1, entry(40, 2));
    cache.set(2, entry(40, 3));
    expect(cache.size).toEqual({ entries: 2, bytes: 80 });
    expect(cache.get(0, 1)).toBeUndefined();
    expect(cache.get(2, 1)?.lastSeq).toBe(3);
    cache.set(3, entry(101, 4)); // bigger than the whole cache: not held
    expect(cache.get(3, 1)).toBeUndefined();
  });

  it('holds nothing while fewer than two senders read through it (no group could reuse a payload)', () => {
    const cache = new PayloadCache(1000);
    const entry = { text: 'x', bytes: 10, firstSeq: 1, lastSeq: 1, count: 1, maxBatchSize: 1, complete: true, lastRaisedAt: 0 };
    cache.set(0, entry);
    cache.sharers = 1; // a group left: what was held goes
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    cache.set(0, entry);
    expect(cache.get(0, 1)).toBeUndefined();
    cache.sharers = 2;
    cache.set(0, entry);
    expect(cache.get(0, 1)?.lastSeq).toBe(1);
  });
});
