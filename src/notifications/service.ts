import { EventEmitter } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Channel, Router } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import type { Message } from '../protocol/messages.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { NotificationConfig, NotificationEvents } from './events.js';
import { PAYLOAD_CACHE_BYTES, PayloadCache } from './payload-cache.js';
import { BacklogWatch } from './backlog-watch.js';
import { RetentionPruner } from './retention.js';
import { GroupSender } from './sender.js';
import { readDeliveryStatus, type DeliveryStatus } from './status.js';

/**
 * The connection lifecycle events the service follows (the scheduler emits them): a group's endpoint became
 * CONNECTED, or a connection closed.
 */
export interface ConnectionLifecycle {
  on(event: 'connected', listener: (channel: Channel) => void): unknown;
  on(event: 'disconnected', listener: (channel: Channel, info: { code: number; reason: string }) => void): unknown;
  off(event: 'connected', listener: (channel: Channel) => void): unknown;
  off(event: 'disconnected', listener: (channel: Channel, info: { code: number; reason: string }) => void): unknown;
}

/** Options of {@link NotificationService}. */
export interface NotificationServiceOptions {
  outbox: OutboxStore;
  /** The routing table: the service registers (NOTIFICATION, RESPONSE) on it. */
  router: Router;
  /** Connection events to follow (the scheduler). Without it, call {@link NotificationService.attach}/`detach`. */
  connections?: ConnectionLifecycle;
  /** Read on every batch, so a reload applies at once. */
  config: () => Readonly<NotificationConfig>;
  logger: Logger;
  clock?: Clock;
  /** Prune the outbox on a timer while started (default true). */
  retention?: boolean;
  /** Watch the backlogs and warn (log, `backlogWarning` event) while started (default true). */
  backlogWatch?: boolean;
  /**
   * Bytes of payloads shared between the groups' senders (fan-out: groups at the same cursor read and build a
   * payload once); 0 turns sharing off. Default {@link PAYLOAD_CACHE_BYTES}.
   */
  payloadCacheBytes?: number;
}

/**
 * Durable notification delivery (spec §5): one {@link GroupSender} per connected server group, started when the
 * group's endpoint connects and stopped when it disconnects (the in-flight batch then goes, same id and bytes, to
 * the group's next connected endpoint). Routes NOTIFICATION RESPONSEs to the group's sender, wakes senders on
 * in-process raises, prunes the outbox, warns about backlogs nobody drains, and emits `batchSent`, `batchResent`,
 * `batchAcked`, `ackIgnored` and `backlogWarning`.
 */
export class NotificationService extends EventEmitter<NotificationEvents> {
  readonly #outbox: OutboxStore;
  readonly #connections: ConnectionLifecycle | undefined;
  readonly #config: () => Readonly<NotificationConfig>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pruner: RetentionPruner | undefined;
  readonly #watch: BacklogWatch | undefined;
  readonly #senders = new Map<string, GroupSender>();
  readonly #payloads: PayloadCache | undefined;
  #pollTimer: TimerHandle | undefined;
  #started = false;

  constructor(options: NotificationServiceOptions) {
    super();
    this.#outbox = options.outbox;
    this.#connections = options.connections;
    this.#config = options.config;
    this.#log = options.logger.child({ subsystem: 'notifications' });
    this.#clock = options.clock ?? systemClock;
    if (options.retention !== false) {
      this.#pruner = new RetentionPruner({ outbox: this.#outbox, config: this.#config, clock: this.#clock, logger: this.#log });
    }
    const cacheBytes = options.payloadCacheBytes ?? PAYLOAD_CACHE_BYTES;
    this.#payloads = cacheBytes > 0 ? new PayloadCache(cacheBytes) : undefined;
    if (options.backlogWatch !== false) {
      this.#watch = new BacklogWatch({
        status: () => this.status(),
        settings: this.#config,
        onChange: (e) => this.emit('backlogWarning', e),
        clock: this.#clock,
        logger: this.#log,
      });
    }
    this.attach = this.attach.bind(this);
    this.detach = this.detach.bind(this);
    this.handleResponse = this.handleResponse.bind(this);
    this.wake = this.wake.bind(this);
    options.router.on('NOTIFICATION', 'RESPONSE', this.handleResponse);
  }

  /** Follow connection events and start pruning. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connections?.on('connected', this.attach);
    this.#connections?.on('disconnected', this.detach);
    this.#pruner?.start();
    this.#watch?.start();
    this.#armPoll();
  }

  /** Stop every sender and the pruner (in-flight batches stay recorded for the next start). Idempotent. */
  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#connections?.off('connected', this.attach);
    this.#connections?.off('disconnected', this.detach);
    this.#pruner?.stop();
    this.#watch?.stop();
    this.#clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    for (const sender of this.#senders.values()) sender.stop();
    this.#senders.clear();
    if (this.#payloads) this.#payloads.sharers = 0;
  }

  /** A group's endpoint is CONNECTED: deliver through it (replacing the group's previous connection, if any). */
  attach(channel: Channel): void {
    if (!this.#started) return;
    const previous = this.#senders.get(channel.groupId);
    if (previous?.channel === channel) return;
    previous?.stop();
    const sender = new GroupSender({ channel, outbox: this.#outbox, config: this.#config, clock: this.#clock, logger: this.#log, events: this, payloads: this.#payloads });
    this.#senders.set(channel.groupId, sender);
    if (this.#payloads) this.#payloads.sharers = this.#senders.size;
    this.#log.debug({ groupId: channel.groupId, hostName: channel.hostName, connectionId: channel.connectionId }, 'notification sender attached');
    sender.start();
  }

  /** A connection closed: stop its group's sender when it is the one delivering. */
  detach(channel: Channel): void {
    const sender = this.#senders.get(channel.groupId);
    if (!sender || sender.channel !== channel) return;
    sender.stop();
    this.#senders.delete(channel.groupId);
    if (this.#payloads) this.#payloads.sharers = this.#senders.size;
  }

  /**
   * Every `notification.scheduledRate` (read each time: a live key), one look for work for all groups: the newest
   * seq is read once and each idle sender behind it reads its group (notifications appended by another process,
   * a read that failed). One timer and one query per period, whatever the number of groups.
   */
  #armPoll(): void {
    this.#pollTimer = this.#clock.setTimeout(() => {
      try {
        const newest = this.#outbox.newestSeq();
        for (const sender of this.#senders.values()) sender.poll(newest);
      } catch (err) {
        this.#log.error({ err }, 'cannot read the outbox; looking again at the next poll');
      }
      if (this.#started) this.#armPoll();
    }, this.#config().scheduledRate * 1000);
  }

  /** Notifications were raised in this process: wake every idle sender (wire to `NotificationSource` `raised`). */
  wake(): void {
    for (const sender of this.#senders.values()) sender.wake();
  }

  /** Route handler of (NOTIFICATION, RESPONSE). Never throws. */
  handleResponse(message: Message, channel: Channel): void {
    const sender = this.#senders.get(channel.groupId);
    if (!sender) {
      this.#log.warn({ groupId: channel.groupId, hostName: channel.hostName, id: message.id }, 'NOTIFICATION RESPONSE ignored: no sender for this group');
      this.emit('ackIgnored', { groupId: channel.groupId, hostName: channel.hostName, id: message.id, reason: 'nothing_in_flight' });
      return;
    }
    try {
      sender.handleResponse(message, channel);
    } catch (err) {
      this.#log.error({ err, groupId: channel.groupId, id: message.id }, 'NOTIFICATION RESPONSE handling failed');
    }
  }

  /** Every group's delivery state (from the database) with its live sender. */
  status(): DeliveryStatus {
    const status = readDeliveryStatus(this.#outbox, this.#config(), this.#clock.now());
    for (const g of status.groups) {
      const sender = this.#senders.get(g.groupId);
      g.sender = sender ? sender.status() : null;
      if (sender) g.connectedEndpoint = sender.channel.hostName;
    }
    return status;
  }

  /** Prune once now (tests, admin). Resolves with the rows deleted. */
  pruneNow(): Promise<number> {
    return (this.#pruner ?? new RetentionPruner({ outbox: this.#outbox, config: this.#config, clock: this.#clock, logger: this.#log })).runOnce();
  }
}
