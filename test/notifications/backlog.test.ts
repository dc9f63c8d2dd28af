import { afterEach, describe, expect, it } from 'vitest';
import { BacklogWatch, type BacklogWarningEvent } from '../../src/notifications/backlog-watch.js';
import { readDeliveryStatus, type StatusSettings } from '../../src/notifications/status.js';
import type { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import type { OutboxStore } from '../../src/store/outbox-store.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { job, openTestStore, rows } from './helpers.js';

/**
 * Issue 10 B9: a backlog nobody can drain is visible. A group over `notification.backlogWarning`, or whose oldest
 * unacknowledged notification is older than `notification.retention` (it holds back pruning for every group),
 * gets a sentence in the status, a warning in the log when it starts (again hourly while it lasts, info when it
 * ends) and an event. Real SQLite file, manual clock.
 */

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const EP = { url: 'wss://x/', priority: 1, tokenEnc: Buffer.from('x'), certPem: 'pem', certFingerprint: 'AA', caPem: null };

/** G1 connected and drained; G2 with one DEACTIVATED endpoint, never acknowledging. */
function setup(): { outbox: OutboxStore; clock: ManualClock; raise: (n: number) => void; ackAll: (groupId: string) => void } {
  const { store, outbox } = openTestStore([]);
  stores.push(store);
  const endpoints = new EndpointStore(store);
  endpoints.insert({ ...EP, hostName: 'a1', groupId: 'G1' });
  endpoints.recordConnectionState('a1', 'CONNECTED', null);
  endpoints.insert({ ...EP, hostName: 'b1', groupId: 'G2', state: 'DEACTIVATED' });
  const clock = new ManualClock();
  let n = 0;
  const raise = (k: number) => void outbox.append([{ rows: rows('JOB', Array.from({ length: k }, () => job(++n))), raisedAt: clock.now() }]);
  const ackAll = (groupId: string) => {
    const g = outbox.group(groupId)!;
    const newest = outbox.stats().newestSeq;
    if (newest <= g.cursorSeq) return;
    outbox.setInflight(groupId, { id: `A${newest}`, firstSeq: g.cursorSeq + 1, lastSeq: newest, count: newest - g.cursorSeq, timeStamp: 1 }, clock.now());
    outbox.acknowledge(groupId, `A${newest}`, clock.now());
  };
  return { outbox, clock, raise, ackAll };
}

describe('backlog warnings', () => {
  it('the status says which group is over the threshold or holds pruning back, and why nothing drains it', () => {
    const { outbox, clock, raise, ackAll } = setup();
    const settings: StatusSettings = { retention: 3600, backlogWarning: 5 };
    raise(5);
    ackAll('G1');
    expect(readDeliveryStatus(outbox, settings, clock.now()).warnings).toEqual([]); // 5 is not over 5
    raise(1);
    ackAll('G1');
    let status = readDeliveryStatus(outbox, settings, clock.now());
    expect(status.groups.map((g) => [g.groupId, g.backlog, g.backlogWarning, g.holdsPruningBack, g.endpoints, g.activatedEndpoints])).toEqual([
      ['G1', 0, false, false, 1, 1],
      ['G2', 6, true, false, 1, 0],
    ]);
    expect(status.warnings).toEqual(['server group G2: 6 notifications wait for its acknowledgement (over notification.backlogWarning=5), the oldest for 0ms; every endpoint of it is DEACTIVATED']);
    clock.advance(3_600_001);
    status = readDeliveryStatus(outbox, settings, clock.now());
    expect(status.groups[1]).toMatchObject({ backlogWarning: true, holdsPruningBack: true });
    expect(status.warnings[0]).toMatch(/the oldest for 1h00m; every endpoint of it is DEACTIVATED\. It holds back pruning for every group/);
    // the warning is off at 0, but holding pruning back is still reported
    status = readDeliveryStatus(outbox, { retention: 3600, backlogWarning: 0 }, clock.now());
    expect(status.groups[1]).toMatchObject({ backlogWarning: false, holdsPruningBack: true });
    expect(status.warnings).toHaveLength(1);
    expect(status.database.bytes).toBeGreaterThan(0);
    expect(status.outbox.rows).toBe(6);
  });

  it('logs a warning when a group passes the threshold, again hourly while it lasts, and an info line when it is over', () => {
    const { outbox, clock, raise, ackAll } = setup();
    const { logger, lines } = captureLogger('info');
    const settings: StatusSettings = { retention: 86_400, backlogWarning: 3 };
    const events: BacklogWarningEvent[] = [];
    const watch = new BacklogWatch({ status: () => readDeliveryStatus(outbox, settings, clock.now()), settings: () => settings, onChange: (e) => events.push(e), clock, logger });
    watch.start();
    raise(3);
    clock.advance(10_000);
    expect(lines).toEqual([]);
    raise(1);
    ackAll('G1');
    clock.advance(10_000);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', groupId: 'G2', backlog: 4, threshold: 3, msg: expect.stringMatching(/^server group G2: 4 notifications wait for its acknowledgement \(over notification.backlogWarning=3\)/) }),
    ]);
    expect(events).toEqual([expect.objectContaining({ groupId: 'G2', over: true, backlog: 4, threshold: 3, holdsPruningBack: false })]);
    expect(watch.warnedGroups).toEqual(['G2']);
    clock.advance(50 * 60_000); // checks every 10 s: nothing more until the hour is up
    expect(lines).toHaveLength(1);
    raise(2);
    clock.advance(10 * 60_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', backlog: 6, msg: expect.stringMatching(/^still: server group G2: 6 notifications/), warningSinceMs: expect.any(Number) });
    ackAll('G2'); // drained (an endpoint of G2 was activated and caught up)
    clock.advance(10_000);
    expect(lines[2]).toMatchObject({ level: 'info', groupId: 'G2', msg: 'server group G2: backlog back under the warning threshold' });
    expect(events.map((e) => [e.groupId, e.over])).toEqual([
      ['G2', true],
      ['G2', false],
    ]);
    watch.stop();
    expect(clock.pending).toBe(0);
  });
});
