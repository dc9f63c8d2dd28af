import type { OutboxStore } from '../store/outbox-store.js';
import type { NotificationConfig } from './events.js';
import { PayloadBuilder, type Payload } from './frame.js';
import type { PayloadCache } from './payload-cache.js';

/** What {@link readBatch} found after a cursor. */
export interface BatchRead {
  /** The next request's payload, or undefined when no eligible row waits. */
  payload: Payload | undefined;
  /** When the first row that is not yet eligible becomes eligible (epoch ms), if reading stopped at one. */
  nextEligibleAt: number | undefined;
}

/**
 * The payload of the next request after `cursorSeq`: the eligible rows in seq order, at most
 * `notification.maxBatchSize`, within the frame limit, ending before a row that would overtake one of another type
 * ({@link PayloadBuilder}). A payload another group already built for the same cursor is taken from `cache`
 * (fan-out: the rows are read and spliced once for every group at that cursor); one read here is put there.
 */
export function readBatch(outbox: OutboxStore, cache: PayloadCache | undefined, cursorSeq: number, config: Readonly<NotificationConfig>, now: number): BatchRead {
  const delayMs = config.delay * 1000;
  const eligibleUntil = now - delayMs;
  const cached = cache?.get(cursorSeq, config.maxBatchSize);
  // a payload that ended at the newest row is still the right batch only if nothing was appended since
  if (cached !== undefined && cached.lastRaisedAt <= eligibleUntil && (cached.complete || outbox.newestSeq() === cached.lastSeq)) {
    return { payload: cached, nextEligibleAt: undefined };
  }
  const builder = new PayloadBuilder();
  let nextEligibleAt: number | undefined;
  let lastRaisedAt = 0;
  if (delayMs === 0) {
    // no delay: every row is eligible at once (even raised "later" than now by a clock set back), so raised_at is
    // not read; the batch counts as raised now, which lets a group with a delay reuse it only once that has passed
    for (const row of outbox.readAfter(cursorSeq, config.maxBatchSize)) if (!builder.add(row)) break;
    lastRaisedAt = now;
  } else {
    // stop reading at the first row that waits: eligibility is a prefix in seq order (the cursor cannot skip a row)
    for (const row of outbox.rowsAfter(cursorSeq, config.maxBatchSize)) {
      if (row[3] > eligibleUntil) {
        nextEligibleAt = row[3] + delayMs;
        break;
      }
      if (!builder.add(row)) break;
      if (row[3] > lastRaisedAt) lastRaisedAt = row[3];
    }
  }
  if (builder.count === 0) return { payload: undefined, nextEligibleAt };
  const payload = builder.build();
  // a payload that stopped at a row not yet eligible is not cached: that row may be eligible for the next group
  if (cache !== undefined && nextEligibleAt === undefined) {
    cache.set(cursorSeq, { ...payload, maxBatchSize: config.maxBatchSize, complete: builder.closed || builder.count === config.maxBatchSize, lastRaisedAt });
  }
  return { payload, nextEligibleAt };
}
