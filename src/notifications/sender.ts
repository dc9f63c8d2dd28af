import type { EventEmitter } from 'node:events';
import { epochSeconds, type Clock, type TimerHandle } from '../clock.js';
import type { Channel } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import { newMessageId, sameId, type Message } from '../protocol/messages.js';
import type { DeliveryGroup, InflightBatch, OutboxStore } from '../store/outbox-store.js';
import type { AckIgnoredEvent, BatchInfo, NotificationConfig, NotificationEvents } from './events.js';
import { readBatch } from './batch-reader.js';
import { notificationRequest, notificationRequestBytes, rebuildPayload, type Payload } from './frame.js';
import type { PayloadCache } from './payload-cache.js';

/**
 * `idle`: nothing in flight; waits for a raise, the poll timer (`notification.scheduledRate`) or the moment the
 * oldest waiting notification becomes eligible. `awaitingAck`: one batch in flight (stop-and-wait).
 * `stopped`: the connection went away; the in-flight batch stays recorded in the database.
 */
export type SenderState = 'idle' | 'awaitingAck' | 'stopped';

/** What a sender reports for `status`. */
export interface SenderStatus {
  groupId: string;
  hostName: string;
  connectionId: number;
  state: SenderState;
  /** When the oldest waiting notification becomes eligible (epoch ms), when one waits for `notification.delay`. */
  nextEligibleAt: number | null;
}

/** Options of {@link GroupSender}. */
export interface GroupSenderOptions {
  channel: Channel;
  outbox: OutboxStore;
  config: () => Readonly<NotificationConfig>;
  clock: Clock;
  logger: Logger;
  /** Where `batchSent`, `batchResent`, `batchAcked` and `ackIgnored` are emitted. */
  events: EventEmitter<NotificationEvents>;
  /** Payloads shared with the other groups' senders (fan-out); none: every batch is read here. */
  payloads?: PayloadCache;
}

interface Inflight extends InflightBatch {
  /** The payload's JSON text, spliced into a fresh envelope (same id, this send's timeStamp) on every send. */
  payload: Payload;
  /** Bytes of the last frame sent. */
  bytes: number;
  firstSentAt: number;
  sendCount: number;
}

/**
 * Delivers a server group's notifications through one connected endpoint (spec §5, DESIGN journey 1): reads the
 * eligible rows after the group's cursor, sends them as one NOTIFICATION REQUEST, and sends nothing else until
 * that request is acknowledged (stop-and-wait). The batch is recorded in the database before its first send and
 * resent every `notification.scheduledRate` s until acknowledged — also by the next sender of the group
 * (failover, restart), which rebuilds it from the outbox rows. A resend carries the same id and the same payload
 * bytes; its `timeStamp` is the time of that send (spec §2, §5).
 */
export class GroupSender {
  readonly groupId: string;
  readonly channel: Channel;
  readonly #outbox: OutboxStore;
  readonly #config: () => Readonly<NotificationConfig>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #childLog: Logger | undefined;
  readonly #events: EventEmitter<NotificationEvents>;
  readonly #payloads: PayloadCache | undefined;
  #state: SenderState = 'idle';
  #inflight: Inflight | undefined;
  #nextEligibleAt: number | undefined;
  /** The `notification.delay` (ms) {@link #nextEligibleAt} was computed with. */
  #waitDelayMs: number | undefined;
  #resendTimer: TimerHandle | undefined;
  #timeoutTimer: TimerHandle | undefined;
  /** Only while rows wait for `notification.delay`: fires when the first of them becomes eligible. */
  #idleTimer: TimerHandle | undefined;
  /** The group's cursor as last read or committed here; undefined when unknown (then a poll reads the group). */
  #cursor: number | undefined;
  #warnedMissingGroup = false;

  constructor(options: GroupSenderOptions) {
    this.channel = options.channel;
    this.groupId = options.channel.groupId;
    this.#outbox = options.outbox;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#payloads = options.payloads;
  }

  /** This sender's logger, made on first use (no child logger per group while nothing is logged). */
  get #log(): Logger {
    return (this.#childLog ??= this.#logger.child({ groupId: this.groupId, hostName: this.channel.hostName }));
  }

  get state(): SenderState {
    return this.#state;
  }

  /** Resend the group's recorded in-flight batch at once, if any; else send the next eligible batch. */
  start(): void {
    this.#next();
  }

  /**
   * The periodic look for work (`notification.scheduledRate`, one timer for every group: the service's): when idle,
   * nothing waits for its delay, and `newestSeq` (the outbox's newest seq) is past the cursor or the cursor is not
   * known, read the group and send what is eligible. Notifications appended by another process (`nbwss notify`)
   * are found this way; an idle group already at the newest seq costs nothing.
   */
  poll(newestSeq: number): void {
    if (this.#state !== 'idle') return;
    if (this.#nextEligibleAt !== undefined) {
      // A reload (SIGHUP) changed notification.delay: the wait was computed with the old one; read again.
      if (this.#config().delay * 1000 !== this.#waitDelayMs) this.#next();
      return;
    }
    if (this.#cursor !== undefined && this.#cursor >= newestSeq) return;
    this.#next();
  }

  /** Notifications were raised in this process: send them now if nothing is in flight and they are eligible. */
  wake(): void {
    if (this.#state !== 'idle') return;
    if (this.#nextEligibleAt !== undefined && this.#clock.now() < this.#nextEligibleAt) return;
    this.#next();
  }

  /** Stop sending through this connection. The in-flight batch stays in the database for the next sender. */
  stop(): void {
    this.#state = 'stopped';
    this.#clearTimers();
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** The state shown by `status`. */
  status(): SenderStatus {
    return {
      groupId: this.groupId,
      hostName: this.channel.hostName,
      connectionId: this.channel.connectionId,
      state: this.#state,
      nextEligibleAt: this.#nextEligibleAt ?? null,
    };
  }

  /**
   * A NOTIFICATION RESPONSE of this group. It acknowledges the in-flight batch only with the same id and a payload
   * of `[]`; anything else is logged and changes nothing. A late one (after `sendTimeout`, even after a resend)
   * still counts.
   */
  handleResponse(message: Message, from: Channel = this.channel): void {
    const inflight = this.#inflight;
    if (this.#state !== 'awaitingAck' || !inflight) return this.#ignore(message, from, 'nothing_in_flight');
    if (!sameId(message.id, inflight.id)) return this.#ignore(message, from, 'unknown_id');
    if (!Array.isArray(message.payload) || message.payload.length !== 0) return this.#ignore(message, from, 'non_empty_payload');
    const now = this.#clock.now();
    let committed = false;
    let next: Inflight | undefined;
    try {
      // one commit: the acknowledgement (cursor moved, in-flight cleared) and the next batch recorded in flight
      this.#outbox.transaction(() => {
        committed = this.#outbox.acknowledge(this.groupId, inflight.id, now);
        if (committed) next = this.#prepareSafely(inflight.lastSeq, now);
      });
    } catch (err) {
      // the batch stays in flight; the endpoint acknowledges the resend
      this.#log.error({ err, id: inflight.id }, 'cannot record the notification acknowledgement');
      return;
    }
    this.#clearTimers();
    this.#inflight = undefined;
    this.#state = 'idle';
    this.#cursor = committed ? inflight.lastSeq : undefined;
    this.#emit('batchAcked', { ...this.#info(inflight, from.hostName), latencyMs: now - inflight.firstSentAt });
    if (!committed) {
      this.#log.warn({ id: inflight.id }, 'acknowledged batch no longer recorded in flight (group deleted or re-added)');
      this.#next();
    } else if (this.#state !== 'idle') {
      // a listener stopped this sender: a batch recorded in flight waits in the database for the next sender
    } else if (next !== undefined) {
      this.#launch(next);
    } else {
      this.#armIdle();
    }
  }

  #ignore(message: Message, from: Channel, reason: AckIgnoredEvent['reason']): void {
    this.#log.warn(
      { id: message.id, inflightId: this.#inflight?.id ?? null, payloadLength: Array.isArray(message.payload) ? message.payload.length : null, reason },
      'NOTIFICATION RESPONSE ignored: it acknowledges nothing',
    );
    this.#emit('ackIgnored', { groupId: this.groupId, hostName: from.hostName, id: message.id, reason });
  }

  /** Send the recorded in-flight batch, or build and send the next one, or wait. */
  #next(): void {
    if (this.#state !== 'idle') return;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#nextEligibleAt = undefined;
    try {
      const group = this.#outbox.group(this.groupId);
      if (!group) {
        if (!this.#warnedMissingGroup) this.#log.warn('no delivery cursor for this group (no endpoint of it is stored); nothing to send');
        this.#warnedMissingGroup = true;
      } else if (group.inflight) {
        this.#resume(group);
      } else {
        this.#cursor = group.cursorSeq;
        this.#sendNext(group);
      }
    } catch (err) {
      this.#cursor = undefined;
      this.#log.error({ err }, 'cannot read the outbox; retrying at the next poll');
    }
    if (this.#state === 'idle') this.#armIdle();
  }

  /** Rebuild the recorded batch from its outbox rows (same id, same payload bytes) and send it. */
  #resume(group: DeliveryGroup): void {
    const rec = group.inflight!;
    const payload = rebuildPayload(this.#outbox.rowsBetween(rec.firstSeq, rec.lastSeq));
    if (payload.count !== rec.count) {
      this.#log.error({ id: rec.id, expected: rec.count, found: payload.count }, 'in-flight batch rows missing from the outbox; rebuilding it under a new id');
      this.#outbox.clearInflight(this.groupId, rec.id);
      this.#sendNext({ ...group, inflight: null });
      return;
    }
    this.#outbox.countSend(this.groupId, rec.id);
    const inflight: Inflight = { ...rec, payload, bytes: 0, sendCount: rec.sendCount + 1 };
    this.#inflight = inflight;
    this.#state = 'awaitingAck';
    this.#transmit(inflight);
    this.#emit('batchResent', { ...this.#info(inflight, this.channel.hostName), reason: 'reconnect' });
  }

  /** Read the eligible rows after the cursor into one request, record it in flight, send it. */
  #sendNext(group: DeliveryGroup): void {
    const inflight = this.#prepare(group.cursorSeq, this.#clock.now());
    if (inflight !== undefined) this.#launch(inflight);
  }

  /** {@link #prepare}, logging a failure (then the next poll retries) instead of throwing. */
  #prepareSafely(cursorSeq: number, now: number): Inflight | undefined {
    try {
      return this.#prepare(cursorSeq, now);
    } catch (err) {
      this.#log.error({ err }, 'cannot read the outbox; retrying at the next poll');
      return undefined;
    }
  }

  /** The next batch after `cursorSeq`, recorded in flight (not sent yet); undefined when none is eligible. */
  #prepare(cursorSeq: number, now: number): Inflight | undefined {
    const { payload, nextEligibleAt } = readBatch(this.#outbox, this.#payloads, cursorSeq, this.#config(), now);
    this.#nextEligibleAt = nextEligibleAt;
    this.#waitDelayMs = this.#config().delay * 1000;
    if (payload === undefined) return undefined;
    const batch: InflightBatch = { id: newMessageId(), firstSeq: payload.firstSeq, lastSeq: payload.lastSeq, count: payload.count, timeStamp: epochSeconds(this.#clock) };
    if (!this.#outbox.setInflight(this.groupId, batch, now)) {
      this.#log.warn({ id: batch.id }, 'could not record the batch in flight (group changed meanwhile); retrying');
      return undefined;
    }
    this.#nextEligibleAt = undefined;
    return { ...batch, payload, bytes: 0, firstSentAt: now, sendCount: 1 };
  }

  /** Send a batch just recorded in flight, for the first time. */
  #launch(inflight: Inflight): void {
    this.#inflight = inflight;
    this.#state = 'awaitingAck';
    this.#transmit(inflight);
    this.#emit('batchSent', this.#info(inflight, this.channel.hostName));
  }

  /**
   * One send of the in-flight batch (same id and payload every time, the timeStamp of this send), then wait:
   * `sendTimeout` for the response, `scheduledRate` to resend.
   */
  #transmit(inflight: Inflight): void {
    const timeStamp = epochSeconds(this.#clock);
    inflight.bytes = notificationRequestBytes(inflight.id, timeStamp, inflight.payload.bytes);
    if (!this.channel.send(notificationRequest(inflight.id, timeStamp, inflight.payload.text))) {
      this.#log.debug({ id: inflight.id }, 'connection not open; the batch waits for the next send');
    }
    const config = this.#config();
    this.#clearTimers();
    this.#timeoutTimer = this.#clock.setTimeout(() => {
      this.#timeoutTimer = undefined;
      this.#log.info({ id: inflight.id, sendCount: inflight.sendCount, resendInS: config.scheduledRate }, 'no NOTIFICATION RESPONSE within sendTimeout');
    }, config.sendTimeout);
    this.#resendTimer = this.#clock.setTimeout(() => this.#resend(), config.scheduledRate * 1000);
  }

  #resend(): void {
    this.#resendTimer = undefined;
    const inflight = this.#inflight;
    if (this.#state !== 'awaitingAck' || !inflight) return;
    try {
      this.#outbox.countSend(this.groupId, inflight.id);
    } catch (err) {
      this.#log.warn({ err, id: inflight.id }, 'cannot count the resend');
    }
    inflight.sendCount++;
    this.#transmit(inflight);
    this.#emit('batchResent', { ...this.#info(inflight, this.channel.hostName), reason: 'timeout' });
  }

  /**
   * Wait for a raise or a poll; when rows wait for their delay, also for the moment the first becomes eligible (a
   * timer of this group's own, only then: thousands of idle groups need no timer each).
   */
  #armIdle(): void {
    if (this.#nextEligibleAt === undefined) return;
    const ms = Math.max(0, this.#nextEligibleAt - this.#clock.now());
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined;
      this.#next();
    }, ms);
  }

  #clearTimers(): void {
    this.#clock.clearTimeout(this.#resendTimer);
    this.#clock.clearTimeout(this.#timeoutTimer);
    this.#resendTimer = undefined;
    this.#timeoutTimer = undefined;
  }

  /** Emit without letting a listener's exception stop delivery. */
  #emit<K extends keyof NotificationEvents>(event: K, ...args: NotificationEvents[K]): void {
    try {
      (this.#events.emit as (e: K, ...a: NotificationEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#log.error({ err, event }, 'notification event listener threw');
    }
  }

  #info(inflight: Inflight, hostName: string): BatchInfo {
    return {
      groupId: this.groupId,
      hostName,
      id: inflight.id,
      firstSeq: inflight.firstSeq,
      lastSeq: inflight.lastSeq,
      count: inflight.count,
      bytes: inflight.bytes,
      sendCount: inflight.sendCount,
    };
  }
}
