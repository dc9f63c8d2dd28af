import { EventEmitter, once } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupHistory, Ring } from '../../src/admin/history.js';
import type { DeliveryStatus, GroupStatus } from '../../src/notifications/status.js';
import { NBWSS_VERSION } from '../../src/version.js';
import { MANUAL_CLOCK_START, ManualClock } from '../helpers/manual-clock.js';
import { startAdminDaemon } from './helpers.js';

/** The per-group rings behind the console's charts (issue 12 item 3), and GET /api/history, /api/daemon. */

describe('Ring', () => {
  it('keeps the newest `capacity` items, oldest first, whatever is pushed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer(), { maxLength: 100 }), (capacity, items) => {
        const ring = new Ring<number>(capacity);
        for (const i of items) ring.push(i);
        expect(ring.toArray()).toEqual(items.slice(-capacity));
        expect(ring.size).toBe(Math.min(capacity, items.length));
      }),
    );
  });

  it('keeps rows of several numbers in place across wrap-arounds, a missing value (NaN) included', () => {
    const value = fc.oneof(fc.double(), fc.constant(Number.NaN));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.array(value, { minLength: 5, maxLength: 5 }), { maxLength: 40 }), (capacity, width, rows) => {
        const ring = new Ring(capacity, width);
        for (const r of rows) ring.push(...r.slice(0, width));
        const kept = rows.slice(-capacity).map((r) => r.slice(0, width));
        expect(ring.size).toBe(kept.length);
        kept.forEach((r, i) => r.forEach((v, f) => expect(ring.get(i, f)).toBe(v)));
        expect(ring.toArray()).toEqual(kept.flat());
      }),
    );
  });

  it('refuses a row of the wrong width and a row it does not hold', () => {
    const ring = new Ring(3, 2);
    expect(() => ring.push(1)).toThrow(RangeError);
    expect(() => ring.get(0)).toThrow(RangeError);
    ring.push(1, 2);
    expect(ring.get(0, 1)).toBe(2);
    expect(() => ring.get(1)).toThrow(RangeError);
    expect(() => new Ring(3, 0)).toThrow(RangeError);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const c of [0, -1, 1.5, Number.NaN]) expect(() => new Ring(c)).toThrow(RangeError);
  });
});

/** A delivery service as the history sees it: a status to read, batchAcked events to emit. */
function fakeDelivery(clock: ManualClock) {
  const groups = new Map<string, Partial<GroupStatus>>();
  const emitter = new EventEmitter();
  const status = (): DeliveryStatus =>
    ({ at: clock.now(), outbox: {}, database: { bytes: 0 }, warnings: [], groups: [...groups].map(([groupId, g]) => ({ groupId, deleted: null, ...g })) }) as unknown as DeliveryStatus;
  return {
    groups,
    delivery: { status, on: emitter.on.bind(emitter), off: emitter.off.bind(emitter) },
    ack: (groupId: string, count: number, latencyMs: number) => emitter.emit('batchAcked', { groupId, hostName: 'h', id: 'b', firstSeq: 1, lastSeq: count, count, latencyMs }),
  };
}

describe('GroupHistory', () => {
  it('samples every 10 s on the clock: backlog, acknowledgements per second, mean latency; at most 15 minutes', () => {
    const clock = new ManualClock();
    const d = fakeDelivery(clock);
    d.groups.set('G1', { backlog: 5, oldestPendingAgeMs: 1200 });
    const history = new GroupHistory({ clock, delivery: d.delivery, endpointGroups: () => ['G1', 'G2'] });
    history.start();
    // a first sample at start: a console opened at once has a point
    expect(history.view().groups.map((g) => [g.groupId, g.samples.length])).toEqual([['G1', 1], ['G2', 1]]);

    d.ack('G1', 100, 40);
    d.ack('G1', 50, 80);
    d.groups.set('G1', { backlog: 2, oldestPendingAgeMs: 300 });
    clock.advance(10_000);
    const [g1, g2] = history.view().groups;
    expect(g1!.samples[1]).toEqual({ at: MANUAL_CLOCK_START + 10_000, backlog: 2, oldestPendingAgeMs: 300, ackedPerSecond: 15, ackLatencyMs: 60 });
    expect(g2!.samples[1]).toEqual({ at: MANUAL_CLOCK_START + 10_000, backlog: 0, oldestPendingAgeMs: null, ackedPerSecond: 0, ackLatencyMs: null });

    // nothing acknowledged in the next interval: rate 0, no latency
    clock.advance(10_000);
    expect(history.view().groups[0]!.samples[2]).toMatchObject({ ackedPerSecond: 0, ackLatencyMs: null });

    // bounded: after an hour, 90 samples (15 min at 10 s), the newest last
    clock.advance(3_600_000);
    const samples = history.view().groups[0]!.samples;
    expect(samples).toHaveLength(90);
    expect(samples.at(-1)!.at).toBe(clock.now());
    expect(samples.at(-1)!.at - samples[0]!.at).toBe(89 * 10_000);
    expect(history.view()).toMatchObject({ at: clock.now(), intervalMs: 10_000, windowMs: 900_000 });

    history.stop();
    clock.advance(60_000);
    expect(history.view().groups[0]!.samples.at(-1)!.at).toBe(samples.at(-1)!.at);
  });

  it('a group that appears after the rings are full gets the times of its own samples only', () => {
    const clock = new ManualClock();
    const d = fakeDelivery(clock);
    let groups = ['G1'];
    const history = new GroupHistory({ clock, delivery: d.delivery, endpointGroups: () => groups, windowMs: 30_000 }); // 3 samples a group
    history.start(); // sample 0
    clock.advance(40_000); // samples 1..4: G1's ring has wrapped around
    groups = ['G1', 'G2'];
    d.groups.set('G2', { backlog: 7, oldestPendingAgeMs: 500 });
    clock.advance(10_000); // sample 5: G2's first
    d.groups.set('G2', { backlog: 8 });
    clock.advance(10_000); // sample 6
    const [g1, g2] = history.view().groups;
    expect(g1!.samples.map((x) => x.at - MANUAL_CLOCK_START)).toEqual([40_000, 50_000, 60_000]);
    expect(g2!.samples).toEqual([
      { at: MANUAL_CLOCK_START + 50_000, backlog: 7, oldestPendingAgeMs: 500, ackedPerSecond: 0, ackLatencyMs: null },
      { at: MANUAL_CLOCK_START + 60_000, backlog: 8, oldestPendingAgeMs: null, ackedPerSecond: 0, ackLatencyMs: null },
    ]);
    history.stop();
  });

  it('drops the ring of a group that no longer exists (its last endpoint deleted)', () => {
    const clock = new ManualClock();
    const d = fakeDelivery(clock);
    let groups = ['G1', 'G2'];
    const history = new GroupHistory({ clock, delivery: d.delivery, endpointGroups: () => groups });
    history.start();
    groups = ['G1'];
    d.groups.set('G2', { backlog: 3, deleted: { at: clock.now(), expiresAt: clock.now() + 1000 } }); // its place kept: still gone
    clock.advance(10_000);
    expect(history.view().groups.map((g) => g.groupId)).toEqual(['G1']);
    history.stop();
  });
});

describe('GroupHistory when the database cannot be read', () => {
  it('skips the sample of that moment (the timer never throws) and samples again at the next one', () => {
    const clock = new ManualClock();
    const d = fakeDelivery(clock);
    let broken = true;
    const status = () => {
      if (broken) throw new Error('SQLITE_CORRUPT: database disk image is malformed');
      return d.delivery.status();
    };
    const delivery = { ...d.delivery, status };
    const history = new GroupHistory({ clock, delivery, endpointGroups: () => ['G1'] });
    history.start(); // its first sample fails too
    clock.advance(10_000);
    expect(history.view().groups).toEqual([]);
    broken = false;
    clock.advance(10_000);
    expect(history.view().groups[0]!.samples.map((x) => x.at)).toEqual([MANUAL_CLOCK_START + 20_000]);
    history.stop();
  });
});

describe('GET /api/history and GET /api/daemon', () => {
  it('per group samples with ISO times, oldest first; the daemon version and uptime', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }] });
    const delivery = a.daemon.services.notifications.delivery;
    const acked = once(delivery, 'batchAcked'); // committed: the cursor moved
    const job = { jobId: 1, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' };
    expect((await a.call('POST', '/api/notifications', { object: 'JOB', data: [job, { ...job, jobId: 2 }] })).status).toBe(202);
    await acked;
    a.admin.history!.sampleNow();
    const { status, body } = await a.json<{ at: string; intervalMs: number; windowMs: number; groups: { groupId: string; samples: Record<string, unknown>[] }[] }>('GET', '/api/history');
    expect(status).toBe(200);
    expect(Date.parse(body.at)).toBeGreaterThanOrEqual(Date.parse(body.groups[0]!.samples.at(-1)!.at as string));
    expect(body.intervalMs).toBe(10_000);
    expect(body.windowMs).toBe(900_000);
    expect(body.groups.map((g) => g.groupId)).toEqual(['G1']);
    const samples = body.groups[0]!.samples;
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.every((x) => typeof x.at === 'string' && !Number.isNaN(Date.parse(x.at as string)))).toBe(true);
    expect(samples.at(-1)).toMatchObject({ backlog: 0, oldestPendingAgeMs: null });
    expect(samples.reduce((n, x) => n + (x.ackLatencyMs === null ? 0 : 1), 0)).toBe(1);

    const daemon = await a.json<{ version: string; nodeVersion: string; startedAt: string; uptimeMs: number }>('GET', '/api/daemon');
    expect(daemon.body).toMatchObject({ version: NBWSS_VERSION, nodeVersion: process.versions.node });
    expect(Date.parse(daemon.body.startedAt)).toBeLessThanOrEqual(Date.now());
    expect(daemon.body.uptimeMs).toBeGreaterThanOrEqual(0);
  });
});
