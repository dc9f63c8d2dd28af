import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Router } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/database.js';
import { OutboxStore } from '../store/outbox-store.js';
import { NotificationService, type ConnectionLifecycle } from './service.js';
import { NotificationSource } from './source.js';
import type { DeliveryStatus } from './status.js';

/** What {@link NotificationSubsystem} takes from the daemon's context (a structural subset of `DaemonContext`). */
export interface NotificationSubsystemContext {
  readonly config: Readonly<Pick<Config, 'notification'>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: Store;
  readonly router: Router;
  /** The scheduler: `connected` / `disconnected`. */
  readonly scheduler: ConnectionLifecycle;
}

/**
 * Notifications as one daemon service (`name` 'notifications'): the outbox, the in-process {@link source} for
 * `raise()` (simulator, admin API), and the {@link delivery} service that follows the scheduler's connections.
 * In-process raises wake the senders at once; rows appended by `nbwss notify` are found by polling.
 *
 * Wiring (src/daemon.ts `builtInServices`): built from the context and handed to the services that use it (the
 * simulator, the admin API); a daemon's holder finds it as `handle.services.notifications`.
 */
export class NotificationSubsystem {
  readonly name = 'notifications';
  readonly outbox: OutboxStore;
  /** `raise(object, data | data[])`. */
  readonly source: NotificationSource;
  /** Senders, route, events (`batchSent`, `batchResent`, `batchAcked`, `ackIgnored`) and status. */
  readonly delivery: NotificationService;

  constructor(ctx: NotificationSubsystemContext) {
    this.outbox = new OutboxStore(ctx.store);
    this.source = new NotificationSource({ outbox: this.outbox, clock: ctx.clock });
    this.delivery = new NotificationService({
      outbox: this.outbox,
      router: ctx.router,
      connections: ctx.scheduler,
      config: () => ctx.config.notification,
      clock: ctx.clock,
      logger: ctx.logger,
    });
    this.source.on('raised', this.delivery.wake);
  }

  /** Follow the scheduler's connections (call before the scheduler starts). */
  start(): void {
    this.delivery.start();
  }

  /** Commit pending raises, then stop every sender (in-flight batches stay recorded for the next start). */
  stop(): void {
    this.source.close();
    this.delivery.stop();
  }

  /** Per-group delivery state, with the live senders. */
  status(): DeliveryStatus {
    return this.delivery.status();
  }
}
