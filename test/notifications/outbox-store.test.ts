import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { RetentionPruner } from '../../src/notifications/retention.js';
import type { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { job, openTestStore, rows, testConfig } from './helpers.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup(groups?: string[]) {
  const t = openTestStore(groups);
  stores.push(t.store);
  return t;
}

const batch = { id: 'A', firstSeq: 1, lastSeq: 3, count: 3, timeStamp: 1 };

describe('OutboxStore', () => {
  it('appends several raises in one transaction with consecutive seqs, leaving the connection at its synchronous level', () => {
    const { store, outbox } = setup();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    const ranges = outbox.append([
      { rows: rows('JOB', [job(1), job(2)]), raisedAt: 10 },
      { rows: rows('JOB', [job(3)]), raisedAt: 11 },
    ]);
    expect(ranges).toEqual([
      { firstSeq: 1, lastSeq: 2, count: 2 },
      { firstSeq: 3, lastSeq: 3, count: 1 },
    ]);
    expect([...outbox.rowsAfter(1, 10)].map((r) => [r[0], r[1], JSON.parse(r[2]).jobId, r[3]])).toEqual([
      [2, 'JOB', 2, 10],
      [3, 'JOB', 3, 11],
    ]);
    expect(outbox.stats()).toEqual({ rows: 3, oldestSeq: 1, newestSeq: 3 });
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('stores nothing when one row of a transaction fails', () => {
    const { outbox } = setup();
    expect(() => outbox.append([{ rows: [...rows('JOB', [job(1)]), { object: 'OTHER' as 'JOB', data: '{}' }], raisedAt: 1 }])).toThrow(/CHECK/);
    expect(outbox.stats().rows).toBe(0);
  });

  it('records one batch in flight, counts resends, acknowledges only the in-flight id, never moves the cursor back', () => {
    const { outbox } = setup();
    outbox.append([{ rows: rows('JOB', [job(1), job(2), job(3), job(4)]), raisedAt: 1 }]);
    expect(outbox.setInflight('g1', batch, 100)).toBe(true);
    expect(outbox.setInflight('g1', { ...batch, id: 'B' }, 100)).toBe(false); // at most one in flight
    expect(outbox.setInflight('nope', batch, 100)).toBe(false);
    expect(outbox.countSend('g1', 'A')).toBe(true);
    expect(outbox.countSend('g1', 'B')).toBe(false);
    expect(outbox.group('g1')!.inflight).toEqual({ ...batch, firstSentAt: 100, sendCount: 2 });
    expect(outbox.acknowledge('g1', 'B', 200)).toBe(false);
    expect(outbox.acknowledge('g1', 'A', 200)).toBe(true);
    expect(outbox.acknowledge('g1', 'A', 201)).toBe(false); // stale duplicate
    const g = outbox.group('g1')!;
    expect(g).toMatchObject({ cursorSeq: 3, inflight: null, ackedBatches: 1, ackedNotifications: 3, lastAckedAt: 200 });
    // a batch that does not start after the cursor is refused, so an old range cannot be acknowledged again
    expect(outbox.setInflight('g1', { ...batch, id: 'C' }, 300)).toBe(false);
    expect(outbox.setInflight('g1', { ...batch, id: 'D', firstSeq: 4, lastSeq: 4, count: 1 }, 300)).toBe(true);
    expect(outbox.clearInflight('g1', 'D')).toBe(true);
    expect(outbox.group('g1')).toMatchObject({ cursorSeq: 3, inflight: null });
  });

  it('reports per group: cursor, backlog, oldest pending, connected endpoint from the endpoints table', () => {
    const { store, outbox } = setup([]);
    const endpoints = new EndpointStore(store);
    const ep = { url: 'wss://x/', priority: 1, tokenEnc: Buffer.from('x'), certPem: 'pem', certFingerprint: 'AA', caPem: null };
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: 5 }]);
    endpoints.insert({ ...ep, hostName: 'a1', groupId: 'ga' }); // subscribed after seq 1
    endpoints.insert({ ...ep, hostName: 'b1', groupId: 'gb' });
    endpoints.recordConnectionState('b1', 'CONNECTED', null);
    outbox.append([{ rows: rows('JOB', [job(2), job(3)]), raisedAt: 7 }]);
    expect(outbox.groups().map((g) => [g.groupId, g.cursorSeq, g.backlog, g.oldestPendingRaisedAt, g.connectedEndpoint])).toEqual([
      ['ga', 1, 2, 7, null],
      ['gb', 1, 2, 7, 'b1'],
    ]);
  });
});

describe('retention', () => {
  it('prunes only rows every group acknowledged and raised before the retention period, in bounded chunks', async () => {
    const { outbox } = setup(['g1', 'g2']);
    const clock = new ManualClock(1_000_000);
    outbox.append([{ rows: rows('JOB', Array.from({ length: 30 }, (_, i) => job(i))), raisedAt: 1000 }]);
    outbox.append([{ rows: rows('JOB', [job(99)]), raisedAt: 999_000 }]);
    outbox.setInflight('g1', { id: 'A', firstSeq: 1, lastSeq: 31, count: 31, timeStamp: 1 }, 1);
    outbox.acknowledge('g1', 'A', 2);
    outbox.setInflight('g2', { id: 'B', firstSeq: 1, lastSeq: 25, count: 25, timeStamp: 1 }, 1);
    outbox.acknowledge('g2', 'B', 2);
    const pruner = new RetentionPruner({ outbox, config: () => testConfig({ retention: 10 }), clock, logger: silentLogger(), chunkSize: 7 });
    expect(await pruner.runOnce()).toBe(25); // g2 has not acknowledged 26..31; 31 is also too young
    expect(outbox.stats()).toEqual({ rows: 6, oldestSeq: 26, newestSeq: 31 });
    outbox.setInflight('g2', { id: 'C', firstSeq: 26, lastSeq: 31, count: 6, timeStamp: 1 }, 1);
    outbox.acknowledge('g2', 'C', 2);
    pruner.start();
    clock.advance(9_999);
    expect(outbox.stats().rows).toBe(6);
    clock.advance(1); // the timed run; its first chunk (all 6 rows) is deleted before it first yields
    pruner.stop();
    expect(outbox.stats()).toEqual({ rows: 0, oldestSeq: null, newestSeq: 31 });
  });

  it('prunes only a prefix: a row younger than the cutoff stops it, so seqs stay dense and counts are subtraction', async () => {
    const { store, outbox } = setup(['g1']);
    // raised_at is taken before the write lock: a row may commit after a younger one (here seq 2)
    outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: 1000 }]);
    outbox.append([{ rows: rows('JOB', [job(2)]), raisedAt: 5000 }]);
    outbox.append([{ rows: rows('JOB', [job(3), job(4)]), raisedAt: 1000 }]);
    outbox.setInflight('g1', { id: 'A', firstSeq: 1, lastSeq: 4, count: 4, timeStamp: 1 }, 1);
    outbox.acknowledge('g1', 'A', 2);
    const count = () => store.db.prepare('SELECT COUNT(*) FROM outbox').pluck().get();
    expect(outbox.prune(2000, 100)).toBe(1); // seq 1 only: seq 2 is too young, so 3 and 4 wait behind it
    expect(outbox.stats()).toEqual({ rows: 3, oldestSeq: 2, newestSeq: 4 });
    expect(count()).toBe(3);
    expect(outbox.prune(6000, 2)).toBe(2); // the limit bounds a chunk
    expect(outbox.prune(6000, 2)).toBe(1);
    expect(outbox.stats()).toEqual({ rows: 0, oldestSeq: null, newestSeq: 4 });
  });

  it('backlogs and row counts from sequence arithmetic equal real counts through any mix of appends, acknowledgements, pruning and tombstones', () => {
    // fast-check: any sequence of operations (raised_at out of order included); after each, the arithmetic of
    // stats() and groups() equals a COUNT(*) of the table
    type Op =
      | { op: 'append'; k: number; raisedAt: number }
      | { op: 'ack'; group: number; fraction: number }
      | { op: 'prune'; cutoff: number; limit: number }
      | { op: 'expire'; cutoff: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('append' as const), k: fc.integer({ min: 1, max: 5 }), raisedAt: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ op: fc.constant('ack' as const), group: fc.integer({ min: 1, max: 3 }), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ op: fc.constant('prune' as const), cutoff: fc.integer({ min: 0, max: 120 }), limit: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ op: fc.constant('expire' as const), cutoff: fc.integer({ min: 0, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { store, outbox } = setup(['g1', 'g2', 'g3']);
        store.db.prepare("UPDATE delivery_groups SET deleted_at = 100 WHERE group_id = 'g3'").run(); // a tombstone
        const countAll = store.db.prepare('SELECT COUNT(*) FROM outbox').pluck();
        const countAfter = store.db.prepare('SELECT COUNT(*) FROM outbox WHERE seq > ?').pluck();
        let n = 0;
        ops.forEach((o, step) => {
          if (o.op === 'append') outbox.append([{ rows: rows('JOB', Array.from({ length: o.k }, () => job(++n))), raisedAt: o.raisedAt }]);
          else if (o.op === 'prune') outbox.prune(o.cutoff, o.limit);
          else if (o.op === 'expire') outbox.expireTombstones(o.cutoff);
          else {
            const g = outbox.group(`g${o.group}`);
            const newest = outbox.stats().newestSeq;
            if (g && newest > g.cursorSeq) {
              const last = g.cursorSeq + 1 + Math.floor(o.fraction * (newest - g.cursorSeq - 1));
              outbox.setInflight(g.groupId, { id: `B${step}`, firstSeq: g.cursorSeq + 1, lastSeq: last, count: last - g.cursorSeq, timeStamp: 1 }, 1);
              outbox.acknowledge(g.groupId, `B${step}`, 2);
            }
          }
          expect(outbox.stats().rows, `step ${step}`).toBe(countAll.get());
          for (const g of outbox.groups()) expect(g.backlog, `step ${step} ${g.groupId}`).toBe(countAfter.get(g.cursorSeq));
        });
        store.close();
      }),
      { numRuns: 40 },
    );
  });

  it('with no group left, prunes every old row (a new group starts after the newest seq anyway)', async () => {
    const { outbox } = setup([]);
    outbox.append([{ rows: rows('JOB', [job(1), job(2)]), raisedAt: 0 }]);
    const pruner = new RetentionPruner({ outbox, config: () => testConfig({ retention: 0 }), clock: new ManualClock(10), logger: silentLogger() });
    expect(await pruner.runOnce()).toBe(2);
    expect(outbox.stats()).toEqual({ rows: 0, oldestSeq: null, newestSeq: 2 });
  });
});
