import { afterEach, describe, expect, it } from 'vitest';
import { NotificationValidationError } from '../../src/errors.js';
import { MAX_NOTIFICATION_BYTES } from '../../src/notifications/frame.js';
import { NotificationSource, type RaisedEvent } from '../../src/notifications/source.js';
import type { Store } from '../../src/store/database.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { image, job, openTestStore } from './helpers.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup() {
  const t = openTestStore();
  stores.push(t.store);
  const clock = new ManualClock();
  const source = new NotificationSource({ outbox: t.outbox, clock });
  const raised: RaisedEvent[] = [];
  source.on('raised', (e) => raised.push(e));
  return { ...t, clock, source, raised };
}

describe('NotificationSource.raise', () => {
  it('commits the raises of one event-loop turn together and resolves each with its own seq range', async () => {
    const { source, outbox, raised, clock } = setup();
    const results = await Promise.all([source.raise('JOB', job(1)), source.raise('IMAGE', [image(1), image(2)]), source.raise('JOB', [job(2)])]);
    expect(results).toEqual([
      { object: 'JOB', firstSeq: 1, lastSeq: 1, count: 1 },
      { object: 'IMAGE', firstSeq: 2, lastSeq: 3, count: 2 },
      { object: 'JOB', firstSeq: 4, lastSeq: 4, count: 1 },
    ]);
    expect(raised).toEqual([{ firstSeq: 1, lastSeq: 4, count: 4, raises: 3 }]);
    const stored = [...outbox.rowsAfter(0, 10)];
    expect(stored.map((r) => [r[1], JSON.parse(r[2]), r[3]])).toEqual([
      ['JOB', job(1), clock.now()],
      ['IMAGE', image(1), clock.now()],
      ['IMAGE', image(2), clock.now()],
      ['JOB', job(2), clock.now()],
    ]);
    await source.raise('JOB', job(3));
    expect(raised).toHaveLength(2);
  });

  it('rejects invalid input naming the field, storing nothing (also for one bad element of an array)', async () => {
    const { source, outbox, raised } = setup();
    await expect(source.raise('JOB', [job(1), { ...job(2), state: 'RUNNING' }])).rejects.toThrow(/JOB data\[1\]\.state must be one of QUEUED, ACTIVE, DONE/);
    await expect(source.raise('IMAGE', { ...image(1), backupTime: 1.5 })).rejects.toThrow(/IMAGE data\.backupTime must be an integer/);
    const { backupId: _omit, ...noId } = image(1);
    await expect(source.raise('IMAGE', noId)).rejects.toBeInstanceOf(NotificationValidationError);
    await expect(source.raise('OTHER' as 'JOB', job(1))).rejects.toThrow(/object must be JOB or IMAGE/);
    await expect(source.raise('JOB', [])).rejects.toThrow(/empty array/);
    await expect(source.raise('JOB', { ...job(1), note: 'x'.repeat(MAX_NOTIFICATION_BYTES) })).rejects.toThrow(/at most \d+ fit in one request/);
    expect(outbox.stats().rows).toBe(0);
    expect(raised).toEqual([]);
  });

  it('a bad raise does not spoil the good raises of the same turn', async () => {
    const { source, outbox } = setup();
    const [good, bad] = await Promise.allSettled([source.raise('JOB', job(1)), source.raise('JOB', { jobId: 2 })]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(outbox.stats().rows).toBe(1);
  });

  it('rejects every raise of a commit that fails, and refuses raises after close', async () => {
    const { source, store } = setup();
    const pending = source.raise('JOB', job(1));
    store.db.exec('DROP TABLE outbox');
    await expect(pending).rejects.toThrow(/no such table/);
    source.close();
    await expect(source.raise('JOB', job(1))).rejects.toThrow(/closed/);
  });
});
