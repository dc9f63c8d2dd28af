import type { NotificationObject } from '../protocol/messages.js';
import type { Store } from './database.js';

/** One notification to append: its object type and its data as JSON object text (stored and sent as is). */
export interface NewNotification {
  object: NotificationObject;
  data: string;
}

/** The notifications of one `raise()` call: appended together, with the time they were raised. */
export interface AppendBatch {
  rows: readonly NewNotification[];
  /** epoch ms */
  raisedAt: number;
}

/** The seqs assigned to one {@link AppendBatch} (consecutive: one transaction holds the write lock). */
export interface SeqRange {
  firstSeq: number;
  lastSeq: number;
  count: number;
}

/** The part of an outbox row a request is built from: `[seq, object, data]` (raw rows: no object per row). */
export type PayloadRow = readonly [seq: number, object: NotificationObject, data: string, ...rest: unknown[]];

/** One outbox row as the sender reads it: `[seq, object, data, raised_at]` (raw rows: no object per row). */
export type OutboxRow = [seq: number, object: NotificationObject, data: string, raisedAt: number];

/** The in-flight batch of a group, as recorded before its first send. */
export interface InflightBatch {
  /** NOTIFICATION REQUEST id (upper-case UUID), the same on every resend (and so are the payload bytes). */
  id: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** timeStamp (epoch s) of the first send (each resend carries the time of its own send). */
  timeStamp: number;
}

/** A `delivery_groups` row. */
export interface DeliveryGroup {
  groupId: string;
  /** Last acknowledged seq. */
  cursorSeq: number;
  createdAt: number;
  inflight: (InflightBatch & { firstSentAt: number; sendCount: number }) | null;
  ackedBatches: number;
  ackedNotifications: number;
  lastAckedAt: number | null;
  /** epoch ms its last endpoint was deleted (a tombstone, kept for `notification.retention`), or null. */
  deletedAt: number | null;
}

/** A tombstoned group dropped by {@link OutboxStore.expireTombstones}. */
export interface ExpiredGroup {
  groupId: string;
  deletedAt: number;
  /** Notifications it had not acknowledged (now never delivered to it). */
  undelivered: number;
}

/** A group's delivery state with its backlog, for `nbwss status` and the admin API. */
export interface GroupDeliveryRecord extends DeliveryGroup {
  /**
   * Notifications after the cursor (including the in-flight ones): newest seq − cursor. Exact without counting
   * rows, because seqs are dense and pruning only removes a prefix at or below every cursor (see {@link prune}).
   */
  backlog: number;
  /** raised_at (epoch ms) of the oldest notification after the cursor, or null when none waits. */
  oldestPendingRaisedAt: number | null;
  /** Host name of the group's endpoint recorded as CONNECTED in the endpoints table, or null. */
  connectedEndpoint: string | null;
  /** Endpoints stored for the group, and how many of them are ACTIVATED. */
  endpoints: number;
  activatedEndpoints: number;
}

/** Size of the outbox table, from sequence arithmetic (never a `COUNT(*)`: at 1M rows that costs ~250 ms). */
export interface OutboxStats {
  /**
   * Rows stored (acknowledged ones are kept for `notification.retention`): newest seq − oldest stored seq + 1.
   * Seqs are dense and pruning removes only a prefix, so this is the row count.
   */
  rows: number;
  /** Oldest stored seq, or null when empty. */
  oldestSeq: number | null;
  /** Newest seq ever assigned (0 when none), even when that row was pruned. */
  newestSeq: number;
}

interface GroupRow {
  group_id: string;
  cursor_seq: number;
  created_at: number;
  inflight_id: string | null;
  inflight_first_seq: number | null;
  inflight_last_seq: number | null;
  inflight_count: number | null;
  inflight_time_stamp: number | null;
  inflight_first_sent_at: number | null;
  inflight_send_count: number;
  acked_batches: number;
  acked_notifications: number;
  last_acked_at: number | null;
  deleted_at: number | null;
}

function fromGroupRow(r: GroupRow): DeliveryGroup {
  return {
    groupId: r.group_id,
    cursorSeq: r.cursor_seq,
    createdAt: r.created_at,
    inflight:
      r.inflight_id === null
        ? null
        : {
            id: r.inflight_id,
            firstSeq: r.inflight_first_seq!,
            lastSeq: r.inflight_last_seq!,
            count: r.inflight_count ?? r.inflight_last_seq! - r.inflight_first_seq! + 1,
            timeStamp: r.inflight_time_stamp!,
            firstSentAt: r.inflight_first_sent_at!,
            sendCount: r.inflight_send_count,
          },
    ackedBatches: r.acked_batches,
    ackedNotifications: r.acked_notifications,
    lastAckedAt: r.last_acked_at,
    deletedAt: r.deleted_at,
  };
}

/** What a failing read or write was doing, for the coded error (`Store.guard`). */
const READ = 'read notifications from the outbox';
const STATE = 'read the delivery state';
const RECORD = 'record the delivery state';
const PRUNE = 'prune the outbox';

/**
 * An iterator over `open()`'s rows whose database failures (also those met while iterating: a corrupt page) become
 * coded errors through `store.guard`.
 */
function guardedIterator<T>(store: Store, action: string, open: () => IterableIterator<T>): IterableIterator<T> {
  const inner = store.guard(action, open);
  const it: IterableIterator<T> = {
    next: () => store.guard(action, () => inner.next()),
    return: (value?: unknown) => inner.return?.(value) ?? { done: true, value: undefined },
    [Symbol.iterator]: () => it,
  };
  return it;
}

/** Rows per multi-row INSERT statement. */
const MULTI_ROWS = 50;

const CLEAR_INFLIGHT = `inflight_id = NULL, inflight_first_seq = NULL, inflight_last_seq = NULL, inflight_count = NULL,
  inflight_time_stamp = NULL, inflight_first_sent_at = NULL, inflight_send_count = 0`;

/**
 * The outbox (an append-only table with a monotonic `seq`) and the per-group delivery cursors (STYLE §11, DESIGN
 * journey 1). Every statement is prepared once; writes that belong together are one statement or one transaction.
 *
 * Durability (spec §5: notifications survive `kill -9` and a reboot). The connection stays in WAL mode with the
 * store's `synchronous` setting (NORMAL), under which a commit survives a crash of the process but an OS crash or
 * power cut may lose the last commits. An append is the one write that must never be lost — the caller was told
 * its notifications are stored — so {@link append} commits with `synchronous = FULL` (the WAL is fsynced, which
 * also makes every earlier commit durable). The sender's own writes (in-flight record, acknowledgement) stay
 * NORMAL: losing one to a power cut only means a batch is sent again (at least once still holds), and an fsync
 * per batch would halve the throughput (measured: ~0.5 ms per fsync under load on the development machine).
 */
export class OutboxStore {
  readonly #store: Store;
  readonly #stmts;
  /** The connection's own `synchronous` level (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), restored after each append. */
  readonly #baseSynchronous: number;

  constructor(store: Store) {
    this.#store = store;
    const db = store.db;
    this.#baseSynchronous = Number(db.pragma('synchronous', { simple: true }));
    this.#stmts = {
      // prepared once: db.pragma() prepares its statement on every call, twice per append
      syncFull: db.prepare('PRAGMA synchronous = FULL'),
      syncBase: db.prepare(`PRAGMA synchronous = ${this.#baseSynchronous}`),
      insert: db.prepare('INSERT INTO outbox (object, data, raised_at) VALUES (?, ?, ?)'),
      insertMany: db.prepare(`INSERT INTO outbox (object, data, raised_at) VALUES ${Array(MULTI_ROWS).fill('(?, ?, ?)').join(', ')}`),
      after: db.prepare('SELECT seq, object, data, raised_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').raw(true),
      afterData: db.prepare('SELECT seq, object, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').raw(true),
      range: db.prepare('SELECT seq, object, data, raised_at FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq').raw(true),
      group: db.prepare('SELECT * FROM delivery_groups WHERE group_id = ?'),
      newest: db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)").pluck(),
      groupCount: db.prepare('SELECT COUNT(*) FROM delivery_groups').pluck(),
      // One primary-key lookup per group for the oldest pending row; the backlog is arithmetic (see groups()).
      groups: db.prepare(
        `SELECT g.*,
           (SELECT o.raised_at FROM outbox o WHERE o.seq > g.cursor_seq ORDER BY o.seq LIMIT 1) AS oldest_pending,
           (SELECT e.host_name FROM endpoints e WHERE e.group_id = g.group_id AND e.connection_state = 'CONNECTED'
              ORDER BY e.priority, e.host_name LIMIT 1) AS connected_endpoint,
           (SELECT COUNT(*) FROM endpoints e WHERE e.group_id = g.group_id) AS endpoint_count,
           (SELECT COUNT(*) FROM endpoints e WHERE e.group_id = g.group_id AND e.state = 'ACTIVATED') AS activated_count
         FROM delivery_groups g ORDER BY g.group_id`,
      ),
      setInflight: db.prepare(
        `UPDATE delivery_groups SET inflight_id = @id, inflight_first_seq = @firstSeq, inflight_last_seq = @lastSeq,
           inflight_count = @count, inflight_time_stamp = @timeStamp, inflight_first_sent_at = @now, inflight_send_count = 1
         WHERE group_id = @groupId AND inflight_id IS NULL AND cursor_seq < @firstSeq`,
      ),
      countSend: db.prepare('UPDATE delivery_groups SET inflight_send_count = inflight_send_count + 1 WHERE group_id = ? AND inflight_id = ?'),
      // Guarded: only the in-flight id acknowledges, and the cursor only moves forward.
      acknowledge: db.prepare(
        `UPDATE delivery_groups SET cursor_seq = inflight_last_seq, acked_batches = acked_batches + 1,
           acked_notifications = acked_notifications + inflight_count, last_acked_at = ?, ${CLEAR_INFLIGHT}
         WHERE group_id = ? AND inflight_id = ? AND inflight_last_seq > cursor_seq`,
      ),
      clearInflight: db.prepare(`UPDATE delivery_groups SET ${CLEAR_INFLIGHT} WHERE group_id = ? AND inflight_id = ?`),
      // The highest seq pruning may reach: every group has acknowledged it (with no group, every row: a new group
      // starts after the newest seq).
      pruneBound: db
        .prepare(`SELECT COALESCE((SELECT MIN(cursor_seq) FROM delivery_groups), (SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)`)
        .pluck(),
      pruneScan: db.prepare('SELECT seq, raised_at FROM outbox WHERE seq <= ? ORDER BY seq LIMIT ?').raw(true),
      deleteThrough: db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      expiredTombstones: db.prepare(
        `SELECT group_id, deleted_at, MAX(0, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) - cursor_seq) AS undelivered
         FROM delivery_groups g WHERE deleted_at IS NOT NULL AND deleted_at < ?
           AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.group_id = g.group_id)`,
      ),
      dropGroup: db.prepare('DELETE FROM delivery_groups WHERE group_id = ?'),
      pageCount: db.prepare('PRAGMA page_count').pluck(),
      pageSize: db.prepare('PRAGMA page_size').pluck(),
      stats: db.prepare(
        `SELECT (SELECT MIN(seq) FROM outbox) AS oldest, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) AS newest`,
      ),
    };
  }

  /**
   * Append the notifications of several raises in one transaction, committed with `synchronous = FULL` (one
   * fsync): all are stored or none, and once this returns they survive a power cut.
   * Returns the seq range of each batch, in order.
   */
  append(batches: readonly AppendBatch[]): SeqRange[] {
    let next = this.appendAll(batches);
    return batches.map(({ rows }) => {
      const range = { firstSeq: rows.length > 0 ? next : 0, lastSeq: rows.length > 0 ? next + rows.length - 1 : 0, count: rows.length };
      next += rows.length;
      return range;
    });
  }

  /**
   * {@link append} for callers that number the batches themselves: returns the seq of the first row appended (the
   * rows get consecutive seqs in batch order), 0 when there was no row. No range object per batch.
   */
  appendAll(batches: readonly AppendBatch[]): number {
    const raise = this.#baseSynchronous < 2;
    if (raise) this.#stmts.syncFull.run();
    try {
      return this.#store.guard('store notifications', () => this.#store.transaction(() => this.#insertAll(batches)));
    } finally {
      if (raise) this.#stmts.syncBase.run();
    }
  }

  /**
   * Insert every row, {@link MULTI_ROWS} per statement where possible (~17% faster than one row per statement).
   * Inside one write transaction AUTOINCREMENT assigns consecutive seqs, so each batch's range follows from the
   * first seq; the last seq is checked against that. Returns the first seq (0 when there was no row).
   */
  #insertAll(batches: readonly AppendBatch[]): number {
    let total = 0;
    for (const b of batches) total += b.rows.length;
    if (total === 0) return 0;
    const params: (string | number)[] = [];
    let firstSeq = 0;
    let lastSeq = 0;
    let queued = 0;
    const flush = () => {
      const stmt = queued === MULTI_ROWS ? this.#stmts.insertMany : this.#stmts.insert;
      if (queued === MULTI_ROWS) lastSeq = Number(stmt.run(params).lastInsertRowid);
      else for (let i = 0; i < queued; i++) lastSeq = Number(stmt.run(params[3 * i], params[3 * i + 1], params[3 * i + 2]).lastInsertRowid);
      if (firstSeq === 0) firstSeq = lastSeq - queued + 1;
      params.length = 0;
      queued = 0;
    };
    for (const { rows, raisedAt } of batches) {
      for (const row of rows) {
        params.push(row.object, row.data, raisedAt);
        if (++queued === MULTI_ROWS) flush();
      }
    }
    if (queued > 0) flush();
    if (lastSeq - firstSeq + 1 !== total) throw new Error(`outbox seqs not consecutive: ${firstSeq}..${lastSeq} for ${total} rows`);
    return firstSeq;
  }

  /**
   * The rows after `afterSeq`, in seq order, at most `limit`, as a lazy iterator: break out of it as soon as a row
   * is not wanted (not yet eligible, too big) so the rest is never read. Nothing else may use the database
   * connection while the iterator is open.
   */
  rowsAfter(afterSeq: number, limit: number): IterableIterator<OutboxRow> {
    return guardedIterator(this.#store, READ, () => this.#stmts.after.iterate(afterSeq, limit) as IterableIterator<OutboxRow>);
  }

  /**
   * The rows after `afterSeq` without raised_at (when every row is eligible, `notification.delay` 0), in seq order,
   * at most `limit`, all at once (faster than iterating when all are wanted, and a column less to read).
   */
  readAfter(afterSeq: number, limit: number): PayloadRow[] {
    return this.#store.guard(READ, () => this.#stmts.afterData.all(afterSeq, limit) as PayloadRow[]);
  }

  /** The newest seq ever assigned (0 when none): no row after it exists. Cheap (one row of `sqlite_sequence`). */
  newestSeq(): number {
    return this.#store.guard(READ, () => this.#stmts.newest.get() as number);
  }

  /**
   * Run `fn` in one write transaction: the sender acknowledges a batch and records the next one in flight with one
   * commit. A throw inside rolls back every write of `fn`.
   */
  transaction<T>(fn: () => T): T {
    return this.#store.guard(RECORD, () => this.#store.transaction(fn));
  }

  /** The rows `firstSeq..lastSeq` (an in-flight batch, rebuilt for a resend after a restart or failover). */
  rowsBetween(firstSeq: number, lastSeq: number): OutboxRow[] {
    return this.#store.guard(READ, () => this.#stmts.range.all(firstSeq, lastSeq) as OutboxRow[]);
  }

  /** One group's delivery row, or undefined when the group has no endpoint any more. */
  group(groupId: string): DeliveryGroup | undefined {
    const row = this.#store.guard(STATE, () => this.#stmts.group.get(groupId) as GroupRow | undefined);
    return row ? fromGroupRow(row) : undefined;
  }

  /** How many server groups are subscribed (have a delivery cursor); cheap, unlike {@link groups}. */
  groupCount(): number {
    return this.#store.guard(STATE, () => this.#stmts.groupCount.get() as number);
  }

  /** Every group with its backlog and connected endpoint, by group id. O(groups): no row is counted. */
  groups(): GroupDeliveryRecord[] {
    return this.#store.guard(STATE, () => this.#readGroups());
  }

  #readGroups(): GroupDeliveryRecord[] {
    return this.#store.db.transaction(() => {
      // one read transaction: the newest seq and the cursors are of the same moment
      const newest = this.stats().newestSeq;
      const rows = this.#stmts.groups.all() as (GroupRow & { oldest_pending: number | null; connected_endpoint: string | null; endpoint_count: number; activated_count: number })[];
      return rows.map((r) => ({
        ...fromGroupRow(r),
        backlog: Math.max(0, newest - r.cursor_seq),
        oldestPendingRaisedAt: r.oldest_pending,
        connectedEndpoint: r.connected_endpoint,
        endpoints: r.endpoint_count,
        activatedEndpoints: r.activated_count,
      }));
    })();
  }

  /**
   * Record a group's in-flight batch before its first send (send count 1). Refused (false) when the group is
   * gone, already has a batch in flight, or the batch does not start after the cursor.
   */
  setInflight(groupId: string, batch: InflightBatch, now: number): boolean {
    return this.#store.guard(RECORD, () => this.#stmts.setInflight.run({ groupId, ...batch, now }).changes === 1);
  }

  /** Count one more send (a resend) of the in-flight batch `id`. False when `id` is not in flight. */
  countSend(groupId: string, id: string): boolean {
    return this.#store.guard(RECORD, () => this.#stmts.countSend.run(groupId, id).changes === 1);
  }

  /**
   * Acknowledge the in-flight batch `id`: the cursor moves to its last seq and the in-flight batch is cleared in
   * the same statement. A stale or unknown id changes nothing (false), and the cursor never moves backwards.
   */
  acknowledge(groupId: string, id: string, now: number): boolean {
    return this.#store.guard(RECORD, () => this.#stmts.acknowledge.run(now, groupId, id).changes === 1);
  }

  /** Drop the in-flight batch `id` without moving the cursor (it will be rebuilt and sent under a new id). */
  clearInflight(groupId: string, id: string): boolean {
    return this.#store.guard(RECORD, () => this.#stmts.clearInflight.run(groupId, id).changes === 1);
  }

  /**
   * Delete at most `limit` rows that every group has acknowledged and that were raised before `cutoff` (epoch ms),
   * in one transaction. Returns the number deleted.
   *
   * Only a prefix is ever deleted: oldest first, stopping at the first row raised at or after the cutoff, even when
   * later rows are older (`raised_at` is taken before the write lock, so two processes may commit out of clock
   * order). The stored seqs therefore stay dense, which is what lets {@link stats} and {@link groups} compute row
   * counts and backlogs by subtraction.
   */
  prune(cutoff: number, limit: number): number {
    return this.#store.guard(PRUNE, () => this.#pruneChunk(cutoff, limit));
  }

  #pruneChunk(cutoff: number, limit: number): number {
    return this.#store.transaction(() => {
      const bound = this.#stmts.pruneBound.get() as number;
      let last = -1;
      for (const [seq, raisedAt] of this.#stmts.pruneScan.iterate(bound, limit) as IterableIterator<[number, number]>) {
        if (raisedAt >= cutoff) break;
        last = seq;
      }
      return last < 0 ? 0 : this.#stmts.deleteThrough.run(last).changes;
    });
  }

  /**
   * Drop the tombstones (groups whose last endpoint was deleted) deleted before `deletedBefore` (epoch ms), in one
   * transaction, so they no longer hold pruning back. Returns what was dropped.
   */
  expireTombstones(deletedBefore: number): ExpiredGroup[] {
    return this.#store.guard(PRUNE, () => this.#expire(deletedBefore));
  }

  #expire(deletedBefore: number): ExpiredGroup[] {
    return this.#store.transaction(() => {
      const rows = this.#stmts.expiredTombstones.all(deletedBefore) as { group_id: string; deleted_at: number; undelivered: number }[];
      for (const r of rows) this.#stmts.dropGroup.run(r.group_id);
      return rows.map((r) => ({ groupId: r.group_id, deletedAt: r.deleted_at, undelivered: r.undelivered }));
    });
  }

  /** Size of the database file: `page_count × page_size` (two pragmas, no file system access). */
  databaseBytes(): number {
    return this.#store.guard(STATE, () => (this.#stmts.pageCount.get() as number) * (this.#stmts.pageSize.get() as number));
  }

  /** Rows stored, oldest stored seq and newest assigned seq. */
  stats(): OutboxStats {
    const r = this.#store.guard(STATE, () => this.#stmts.stats.get() as { oldest: number | null; newest: number });
    return { rows: r.oldest === null ? 0 : r.newest - r.oldest + 1, oldestSeq: r.oldest, newestSeq: r.newest };
  }
}
