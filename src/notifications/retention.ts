import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { NotificationConfig } from './events.js';

/** Options of {@link RetentionPruner}. */
export interface RetentionPrunerOptions {
  outbox: OutboxStore;
  config: () => Readonly<NotificationConfig>;
  clock: Clock;
  logger: Logger;
  /** How often a run starts, ms (default 10 s). */
  intervalMs?: number;
  /** Rows deleted per transaction (default 10,000: ~10–30 ms of event loop per chunk). */
  chunkSize?: number;
  /** Most chunks per run (default 50, i.e. up to 500,000 rows per run, 50,000/s at the default interval). */
  maxChunksPerRun?: number;
}

/**
 * Keeps the outbox bounded (spec §5, issue 4 item 4): on a timer, deletes the notifications that every server
 * group has acknowledged and that were raised more than `notification.retention` s ago. Each run deletes in
 * bounded chunks, one transaction each, yielding to the event loop between chunks, so senders are never held up.
 * Each run first drops the tombstones (groups whose last endpoint was deleted) older than the retention: until then
 * they keep their place, and hold pruning back like every group (issue 10 B6).
 */
export class RetentionPruner {
  readonly #outbox: OutboxStore;
  readonly #config: () => Readonly<NotificationConfig>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #chunkSize: number;
  readonly #maxChunks: number;
  #timer: TimerHandle | undefined;
  #running = false;
  #stopped = true;
  /** Set by stop(): a run in progress ends after its current chunk (the store may be closing). */
  #abort = false;

  constructor(options: RetentionPrunerOptions) {
    this.#outbox = options.outbox;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#chunkSize = options.chunkSize ?? 10_000;
    this.#maxChunks = options.maxChunksPerRun ?? 50;
  }

  /** Start the timer (the first run is one interval from now). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#abort = false;
    this.#arm();
  }

  /** Stop the timer; a run in progress ends after its current chunk. */
  stop(): void {
    this.#stopped = true;
    this.#abort = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One run: delete up to `maxChunksPerRun` chunks. Resolves with the number of rows deleted. */
  async runOnce(): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    let total = 0;
    try {
      const cutoff = this.#clock.now() - this.#config().retention * 1000;
      for (const g of this.#outbox.expireTombstones(cutoff)) {
        this.#log.warn(
          { groupId: g.groupId, deletedAt: new Date(g.deletedAt).toISOString(), undelivered: g.undelivered },
          `server group ${g.groupId} dropped: its last endpoint was deleted more than notification.retention ago; ${g.undelivered} notification(s) it had not acknowledged will not be delivered to it`,
        );
      }
      for (let chunk = 0; chunk < this.#maxChunks; chunk++) {
        const deleted = this.#outbox.prune(cutoff, this.#chunkSize);
        total += deleted;
        if (deleted < this.#chunkSize) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#abort) break;
      }
      if (total > 0) this.#log.debug({ deleted: total }, 'pruned acknowledged notifications past retention');
    } catch (err) {
      this.#log.warn({ err, deleted: total }, 'outbox pruning failed; retrying at the next run');
    } finally {
      this.#running = false;
    }
    return total;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      void this.runOnce().finally(() => {
        if (!this.#stopped) this.#arm();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
