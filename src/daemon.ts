import { AdminService } from './admin/service.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/index.js';
import { ConfigHolder, type ConfigChange } from './config/reload.js';
import { Router } from './connection/channel.js';
import { TokenCipher } from './endpoints/token-cipher.js';
import { createLogger, type Logger } from './logger.js';
import { CommandService } from './commands/service.js';
import { NetBackupMockService } from './netbackup-mock/service.js';
import { NotificationSubsystem } from './notifications/subsystem.js';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
import { SimulatorService } from './simulator/service.js';
import { Checkpointer } from './store/checkpointer.js';
import { Store } from './store/database.js';
import { EndpointStore } from './store/endpoint-store.js';
import { activatedSummaries } from './store/endpoint-summaries.js';
import { acquireDaemonLock, type DaemonLock } from './store/lock.js';

/**
 * The composition root (STYLE §14): the only place that wires store, config, scheduler, connections and services.
 */

/** What every service is built from: the daemon's shared parts. Services that need each other get them by name. */
export interface DaemonContext {
  /** The configuration in force: read it when a value is needed (not once), so a SIGHUP reload reaches the service. */
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: Store;
  readonly endpoints: EndpointStore;
  readonly cipher: TokenCipher;
  /** Register (type, subType) handlers here in `start()`, before the first connection exists. */
  readonly router: Router;
  /** Listen to `connected` / `disconnected` here in `start()`; the scheduler starts after every service. */
  readonly scheduler: Scheduler;
}

/**
 * A part of the daemon with a lifetime (notification sender, command handler, admin API…). Services start in
 * order after the store and before the scheduler, and stop in reverse order before the scheduler closes the
 * sockets, so a service can still send while stopping.
 */
export interface DaemonService {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** Builds one extra service from the context (tests and tools; called once per daemon, after the others). */
export type ServiceFactory = (ctx: DaemonContext) => DaemonService;

/** The services of a daemon: by name, typed, for whoever holds the handle; and the order they start in. */
export interface ServiceSet<S> {
  readonly named: S;
  readonly startOrder: readonly DaemonService[];
}

/** The services every daemon runs. */
export interface BuiltInServices {
  /** netbackup.mock=true: the mock NetBackup primary in-process (a no-op otherwise). */
  readonly netbackupMock: NetBackupMockService;
  /** The outbox, raise(), one sender per connected group. */
  readonly notifications: NotificationSubsystem;
  /** COMMAND REQUEST → NetBackup REST → COMMAND RESPONSE (to the in-process mock when it runs). */
  readonly commands: CommandService;
  /** simulator.enabled=true: scenarios change the mock's world and raise notifications (a no-op otherwise). */
  readonly simulator: SimulatorService;
  /** admin.listen: HTTP API, realization state, metrics, health, events, console. */
  readonly admin: AdminService;
}

/**
 * Build the built-in services, each given the others it works with as constructor arguments (STYLE §14). They
 * start in this order (the admin API last: it follows the others, and stops first).
 */
export function builtInServices(ctx: DaemonContext): ServiceSet<BuiltInServices> {
  const netbackupMock = new NetBackupMockService(ctx);
  const notifications = new NotificationSubsystem(ctx);
  const commands = new CommandService(ctx, netbackupMock);
  const simulator = new SimulatorService(ctx, { netbackup: netbackupMock, notifications });
  const admin = new AdminService(ctx, { notifications, commands });
  return { named: { netbackupMock, notifications, commands, simulator, admin }, startOrder: [netbackupMock, notifications, commands, simulator, admin] };
}

/** No services: the connection engine alone (benchmarks, tests). */
export function noServices(): ServiceSet<Record<string, never>> {
  return { named: {}, startOrder: [] };
}

/** Options of {@link startDaemon}. */
export interface StartDaemonOptions<S = BuiltInServices> {
  config: Readonly<Config>;
  /** Default: a logger per `log.level` / `log.file`. */
  logger?: Logger;
  clock?: Clock;
  /** Default: a new, empty routing table (services fill it). */
  router?: Router;
  /** Builds the services to run instead of {@link builtInServices} (e.g. {@link noServices}). */
  services?: (ctx: DaemonContext) => ServiceSet<S>;
  /** Extra services, started after the others. */
  extraServices?: readonly ServiceFactory[];
  /** Scheduler options beyond the context (benchmarks and tests: `createConnection`, `random`, `connection`). */
  scheduler?: Partial<Pick<SchedulerOptions, 'createConnection' | 'random' | 'connection'>>;
  /**
   * Aborting it abandons the start (SIGTERM during start-up): checked between steps; what was started is undone
   * and the promise rejects with the abort reason.
   */
  signal?: AbortSignal;
}

/** A running daemon. */
export interface DaemonHandle<S = BuiltInServices> extends DaemonContext {
  /** Its services by name ({@link BuiltInServices} unless {@link StartDaemonOptions.services} said otherwise). */
  readonly services: S;
  /** Every service started (extra services included), in start order. */
  readonly started: readonly DaemonService[];
  /** Stop everything (services in reverse, sockets closed with 1001, store flushed, lock released). Idempotent. */
  stop(): Promise<void>;
  /**
   * Put a re-read configuration in force (SIGHUP): live keys at once (`log.level` on the logger too), restart keys
   * keep their running value and are logged as needing a restart. Never drops a connection.
   */
  reconfigure(next: Readonly<Config>): ConfigChange;
}

/**
 * Start the daemon: take the lock → open and migrate the store → reset connection states left by a previous
 * process → build and start the services → start the scheduler. Throws `LockError` when another daemon runs on
 * the same `db.path`; on any failure, whatever was already started is undone.
 *
 * The lock is taken before the store is opened (rather than after, as a first sketch had it) so a refused second
 * daemon touches nothing — not even a migration.
 */
export function startDaemon(options: StartDaemonOptions & { services?: undefined }): Promise<DaemonHandle>;
export function startDaemon<S>(options: StartDaemonOptions<S> & { services: (ctx: DaemonContext) => ServiceSet<S> }): Promise<DaemonHandle<S>>;
export async function startDaemon(options: StartDaemonOptions<unknown>): Promise<DaemonHandle<unknown>> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log.level, file: config.log.file || undefined, format: config.log.format });
  const log = logger.child({ subsystem: 'daemon' });
  const undo: (() => void | Promise<void>)[] = [];
  const rollback = async () => {
    for (const u of undo.reverse()) await Promise.resolve(u()).catch((err: unknown) => log.error({ err }, 'cleanup after a failed start'));
  };

  const checkpoint = () => options.signal?.throwIfAborted();

  try {
    checkpoint();
    log.info({ db: config.db.path }, 'daemon starting');
    const lock: DaemonLock = acquireDaemonLock(config.db.path);
    undo.push(() => lock.release());
    const store = Store.open(config.db.path);
    undo.push(() => store.close());
    // WAL checkpoints on a worker thread, not inside the commit of an acknowledgement on the event loop
    const checkpointer = new Checkpointer({ store, logger: log });
    checkpointer.start();
    undo.push(() => checkpointer.stop());
    checkpoint();
    const endpoints = new EndpointStore(store);
    const stale = endpoints.resetConnectionStates('daemon restarted', clock.now());
    if (stale > 0) log.info({ endpoints: stale }, 'connection states left CONNECTED by a previous daemon reset to DISCONNECTED');
    // Never create a fresh key while stored tokens depend on a missing one: they could not be decrypted again.
    const cipher = TokenCipher.forStore(config.security.keyFile, endpoints.count());
    const router = options.router ?? new Router();
    // ctx.config is the holder's live view: a reload (reconfigure) reaches every service that reads it.
    const holder = new ConfigHolder(config);
    // The scheduler reads summaries every period (no PEM, no token) and one full record per endpoint it dials.
    const source = {
      listActivated: activatedSummaries(store),
      get: (hostName: string) => endpoints.get(hostName),
      recordConnectionState: endpoints.recordConnectionState.bind(endpoints),
      recordError: endpoints.recordError.bind(endpoints),
    };
    const scheduler = new Scheduler({ endpoints: source, tokens: cipher, router, config: holder.view, clock, logger, ...options.scheduler });
    undo.push(() => scheduler.stop());
    const ctx: DaemonContext = { config: holder.view, logger, clock, store, endpoints, cipher, router, scheduler };
    const set = (options.services ?? builtInServices)(ctx);
    const services: DaemonService[] = [];
    const startService = async (service: DaemonService) => {
      await service.start();
      services.push(service);
      undo.push(() => service.stop());
      log.debug({ service: service.name }, 'service started');
      checkpoint();
    };
    for (const service of set.startOrder) await startService(service);
    for (const factory of options.extraServices ?? []) await startService(factory(ctx));
    scheduler.start();
    log.info({ db: config.db.path, services: services.map((s) => s.name) }, 'daemon started');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('daemon stopping');
        for (const service of [...services].reverse()) {
          await Promise.resolve(service.stop()).catch((err: unknown) => log.error({ err, service: service.name }, 'service failed to stop'));
        }
        await scheduler.stop();
        await checkpointer.stop();
        store.close();
        lock.release();
        log.info('daemon stopped');
      })());
    const reconfigure = (next: Readonly<Config>): ConfigChange => {
      const change = holder.apply(next);
      if (change.applied.includes('log.level')) logger.level = holder.current.log.level;
      if (change.applied.length > 0) log.info({ applied: change.applied }, `configuration reloaded: ${change.applied.join(', ')} applied`);
      else log.info('configuration reloaded: no live key changed');
      if (change.restartNeeded.length > 0) log.warn({ restartNeeded: change.restartNeeded }, `restart needed to apply: ${change.restartNeeded.join(', ')} (the running values stay in force)`);
      return change;
    };
    return { ...ctx, services: set.named, started: services, stop, reconfigure };
  } catch (err) {
    await rollback();
    throw err;
  }
}
