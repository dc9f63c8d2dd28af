import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../clock.js';
import { NotificationValidationError, SourceClosedError } from '../errors.js';
import type { NotificationObject } from '../protocol/messages.js';
import { isValidNotification, parseNotificationObject, validateNotifications } from '../protocol/notification-data.js';
import type { AppendBatch, NewNotification, OutboxStore, SeqRange } from '../store/outbox-store.js';
import { MAX_NOTIFICATION_BYTES } from './frame.js';

/** What `raise()` resolves to once the notifications are committed. */
export interface RaiseResult extends SeqRange {
  object: NotificationObject;
}

/** Emitted once per commit (several raises of one event-loop turn share a commit). */
export interface RaisedEvent extends SeqRange {
  /** Raise calls in this commit. */
  raises: number;
}

/** Typed events of {@link NotificationSource}. */
export interface NotificationSourceEvents {
  /** Notifications were committed to the outbox: senders should look for work. */
  raised: [RaisedEvent];
}

/** Options of {@link NotificationSource}. */
export interface NotificationSourceOptions {
  outbox: OutboxStore;
  clock?: Clock;
}

interface Pending extends AppendBatch {
  object: NotificationObject;
  resolve: (r: RaiseResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Check and serialize notifications for the outbox: every data object is checked against the guide's fields and
 * must serialize to at most {@link MAX_NOTIFICATION_BYTES}. Throws {@link NotificationValidationError} naming
 * the field (or the index) — nothing is returned for a partly valid input.
 */
export function prepareNotifications(object: unknown, data: unknown): { object: NotificationObject; rows: NewNotification[] } {
  const type = parseNotificationObject(object);
  const list = validateNotifications(type, data);
  const rows = list.map((d, i) => ({ object: type, data: serialize(type, d, i) }));
  return { object: type, rows };
}

/** The JSON text of one checked notification, within {@link MAX_NOTIFICATION_BYTES}. */
function serialize(type: NotificationObject, d: unknown, i: number): string {
  let text: string;
  try {
    text = JSON.stringify(d);
  } catch (err) {
    throw new NotificationValidationError(`${type} data[${i}] cannot be serialized as JSON: ${(err as Error).message}`, { cause: err, fields: [{ field: `data[${i}]`, message: 'cannot be serialized as JSON' }] });
  }
  // a UTF-8 byte is at most 3 per UTF-16 code unit: count bytes only when that bound does not settle it
  if (text.length * 3 > MAX_NOTIFICATION_BYTES && Buffer.byteLength(text) > MAX_NOTIFICATION_BYTES) {
    const message = `is ${Buffer.byteLength(text)} bytes serialized; at most ${MAX_NOTIFICATION_BYTES} fit in one request`;
    throw new NotificationValidationError(`${type} data[${i}] ${message}`, { fields: [{ field: `data[${i}]`, message }] });
  }
  return text;
}

/**
 * The in-process way to raise notifications (the simulator, the admin API). `raise()` validates, then appends
 * with group commit: every raise of one event-loop turn is appended in one transaction (one fsync), and each
 * promise resolves after that commit with its own seq range. A raise is all-or-nothing. The raises of one turn
 * share one raised_at: the time of the first of them.
 *
 * Measured on the 2-core development machine (appends commit with synchronous=FULL): one transaction per
 * notification ~4,000–5,000/s; group commit of one turn's raises 90,000–200,000/s, validation and JSON included
 * (bench/notifications.ts prints both).
 */
export class NotificationSource extends EventEmitter<NotificationSourceEvents> {
  readonly #outbox: OutboxStore;
  readonly #clock: Clock;
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;
  #raisedAt = 0;
  #resolve: ((r: RaiseResult) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;

  constructor(options: NotificationSourceOptions) {
    super();
    this.#outbox = options.outbox;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Raise one notification or an array of them, of one object type. Resolves with the assigned seq range once
   * committed; rejects with {@link NotificationValidationError} (naming the field) when any is invalid, with
   * nothing stored.
   */
  raise(object: NotificationObject, data: Record<string, unknown> | readonly Record<string, unknown>[]): Promise<RaiseResult> {
    if (this.#closed) return Promise.reject(new SourceClosedError('the notification source is closed'));
    let type: NotificationObject;
    let rows: NewNotification[];
    try {
      if ((object === 'JOB' || object === 'IMAGE') && !Array.isArray(data) && isValidNotification(object, data)) {
        // the common case, one valid notification: no list, no error text
        type = object;
        rows = [{ object, data: serialize(object, data, 0) }];
      } else {
        ({ object: type, rows } = prepareNotifications(object, data));
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const promise = new Promise<RaiseResult>(this.#capture);
    if (this.#scheduled === undefined) {
      // the first raise of this event-loop turn: the raises of the turn share its time and one commit (setImmediate
      // rather than a microtask, so raises made by several callbacks of the same turn share it)
      this.#raisedAt = this.#clock.now();
      this.#scheduled = setImmediate(this.flush);
    }
    this.#pending.push({ object: type, rows, raisedAt: this.#raisedAt, resolve: this.#resolve!, reject: this.#reject! });
    return promise;
  }

  /** The executor of every raise's promise: one function for all, no closure per raise. */
  readonly #capture = (resolve: (r: RaiseResult) => void, reject: (err: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /** Commit the pending raises now (normally done at the end of the event-loop turn). */
  readonly flush = (): void => {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    let next: number;
    try {
      next = this.#outbox.appendAll(pending);
    } catch (err) {
      for (const p of pending) p.reject(err);
      return;
    }
    const firstSeq = next;
    for (const p of pending) {
      const count = p.rows.length;
      p.resolve({ firstSeq: next, lastSeq: next + count - 1, count, object: p.object });
      next += count;
    }
    this.emit('raised', { firstSeq, lastSeq: next - 1, count: next - firstSeq, raises: pending.length });
  };

  /** Commit what is pending and refuse further raises. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
