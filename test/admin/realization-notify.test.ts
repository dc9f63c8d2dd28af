import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConnectionMonitor, type ConnectionEventSource } from '../../src/admin/monitor.js';
import { RealizationTracker, type DeliveryStatusSource } from '../../src/admin/realization.js';
import type { DeliveryStatus, GroupStatus } from '../../src/notifications/status.js';
import { ManualClock } from '../helpers/manual-clock.js';

/**
 * Issue 10 C10: an acknowledgement never evaluates the pending notify requests itself. Acks only arm one timer;
 * when it fires, every pending request is evaluated from a single read of the delivery state.
 */

function group(groupId: string, cursor: number, connectedEndpoint: string | null = `${groupId}.ep`): GroupStatus {
  return { groupId, connectedEndpoint, cursor, backlog: 0, oldestPendingAgeMs: null, inflight: null, ackedBatches: 0, ackedNotifications: 0, lastAckedAt: null, deleted: null, endpoints: 1, activatedEndpoints: 1, backlogWarning: false, holdsPruningBack: false };
}

class FakeDelivery extends EventEmitter<{ batchAcked: [] }> implements DeliveryStatusSource {
  reads = 0;
  groups: GroupStatus[] = [group('G1', 0), group('G2', 0)];
  status(): DeliveryStatus {
    this.reads++;
    return { at: 0, outbox: { rows: 0, oldestSeq: null, newestSeq: 0 }, database: { bytes: 0 }, groups: this.groups.map((g) => ({ ...g })), warnings: [] };
  }
}

function setup(notifyEvaluationMs?: number) {
  const clock = new ManualClock();
  const source = Object.assign(new EventEmitter(), { connections: () => new Map() }) as unknown as ConnectionEventSource;
  const delivery = new FakeDelivery();
  const tracker = new RealizationTracker({ monitor: new ConnectionMonitor(source), ticksStarted: () => 0, delivery, clock, maxRequests: 5000, ...(notifyEvaluationMs !== undefined ? { notifyEvaluationMs } : {}) });
  tracker.start();
  return { clock, delivery, tracker };
}

describe('realization of notify requests', () => {
  it('1,000 pending requests and 500 acknowledgements: one read of the delivery state, after the evaluation delay', () => {
    const { clock, delivery, tracker } = setup();
    const ids = Array.from({ length: 1000 }, (_, i) => tracker.recordNotification(i + 1, i + 1));
    expect(delivery.reads).toBe(1000); // one read when each request is recorded (an HTTP request each)
    delivery.reads = 0;
    delivery.groups = [group('G1', 600), group('G2', 400)];
    for (let i = 0; i < 500; i++) delivery.emit('batchAcked');
    expect(delivery.reads).toBe(0); // acknowledgements read nothing
    clock.advance(99);
    expect(delivery.reads).toBe(0);
    clock.advance(1);
    expect(delivery.reads).toBe(1);
    const states = ids.map((id) => tracker.get(id).state);
    expect(states.slice(0, 400).every((s) => s === 'in_sync')).toBe(true);
    expect(states.slice(400).every((s) => s === 'in_progress')).toBe(true);
    // get() of a request still in progress reads the state for that request only
    delivery.reads = 0;
    expect(tracker.get(ids[999]!).details).toEqual([
      { groupId: 'G1', hostName: 'G1.ep', state: 'in_progress' },
      { groupId: 'G2', hostName: 'G2.ep', state: 'in_progress' },
    ]);
    expect(delivery.reads).toBe(1);
  });

  it('acknowledgements while an evaluation is pending share it; the next ones arm a new one; nothing pending arms nothing', () => {
    const { clock, delivery, tracker } = setup(250);
    delivery.emit('batchAcked');
    expect(clock.pending).toBe(0); // nothing to evaluate: no timer
    const id = tracker.recordNotification(5, 7);
    delivery.reads = 0;
    delivery.emit('batchAcked');
    clock.advance(200);
    delivery.emit('batchAcked');
    clock.advance(50);
    expect(delivery.reads).toBe(1);
    expect(tracker.get(id).state).toBe('in_progress');
    delivery.groups = [group('G1', 7), group('G2', 9, null)];
    delivery.emit('batchAcked');
    const changed: string[] = [];
    tracker.on('changed', (v) => changed.push(`${v.requestId}:${v.state}`));
    clock.advance(250);
    expect(changed).toEqual([`${id}:in_sync`]);
    delivery.emit('batchAcked');
    expect(clock.pending).toBe(0);
  });

  it('stop() cancels a pending evaluation', () => {
    const { clock, delivery, tracker } = setup();
    tracker.recordNotification(1, 1);
    delivery.reads = 0;
    delivery.emit('batchAcked');
    tracker.stop();
    clock.advance(1000);
    expect(delivery.reads).toBe(0);
  });
});
