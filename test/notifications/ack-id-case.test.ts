import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationRequest } from '../../src/protocol/messages.js';
import type { Store } from '../../src/store/database.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ack, job, makeSender, openTestStore, rows } from './helpers.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

describe('NOTIFICATION RESPONSE ids (issue 10 A5)', () => {
  it('a lower-case id acknowledges the upper-case request (Java UUID.toString(), Python str(uuid)); another id does not', () => {
    const t = openTestStore();
    stores.push(t.store);
    const clock = new ManualClock();
    t.outbox.append([{ rows: rows('JOB', [job(1)]), raisedAt: clock.now() }]);
    const { sender, channel } = makeSender(t.outbox, clock);
    sender.start();
    const id = (channel.last as NotificationRequest).id;
    expect(id).toMatch(/^[0-9A-F-]{36}$/);
    sender.handleResponse(ack(id.replace(/.$/, id.endsWith('0') ? '1' : '0').toLowerCase()));
    expect(t.outbox.group('g1')!.cursorSeq).toBe(0);
    sender.handleResponse(ack(id.toLowerCase()));
    expect(t.outbox.group('g1')!.cursorSeq).toBe(1);
    expect(sender.state).toBe('idle');
  });
});
