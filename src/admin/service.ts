import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.js';
import type { CommandProxy } from '../commands/proxy.js';
import type { Config } from '../config/index.js';
import { EndpointService } from '../endpoints/service.js';
import type { TokenCipher } from '../endpoints/token-cipher.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NotificationSubsystem } from '../notifications/subsystem.js';
import type { Scheduler, TickInfo } from '../scheduler/scheduler.js';
import { readMigrations, type Store } from '../store/database.js';
import type { EndpointStore } from '../store/endpoint-store.js';
import { AccessPolicy, checkListenPolicy, parseListen } from './access.js';
import { createAdminRouter } from './api.js';
import { EndpointChecks } from './endpoint-check.js';
import { EventHub, type EventHubOptions } from './events.js';
import { HealthChecks } from './health.js';
import { GroupHistory } from './history.js';
import { sendError } from './http.js';
import { AdminMetrics } from './metrics.js';
import { ConnectionMonitor } from './monitor.js';
import { RealizationTracker } from './realization.js';
import type { AdminRouter } from './router.js';
import { NBWSS_VERSION } from '../version.js';

/** What {@link AdminService} takes from the daemon's context (a structural subset of `DaemonContext`). */
export interface AdminServiceContext {
  /** Read at use time: a reload may swap it. `admin.listen` and `admin.token` apply at start only. */
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: Store;
  readonly endpoints: EndpointStore;
  readonly cipher: TokenCipher;
  readonly scheduler: Scheduler;
}

/** The services {@link AdminService} follows and serves (each optional: without it, its routes and events are off). */
export interface AdminServiceDeps {
  /** Raise, status, delivery events, backlogs. */
  readonly notifications?: NotificationSubsystem | undefined;
  /** The COMMAND proxy's `command` events and counters; read at start, after the command service started. */
  readonly commands?: { readonly proxy: CommandProxy } | undefined;
}

/** Options of {@link AdminService} (tests). */
export interface AdminServiceOptions {
  /** Event stream limits (default: 64 clients, 1 MiB buffered per client, heartbeat 15 s, history from admin.eventHistory). */
  events?: Omit<EventHubOptions, 'clock'>;
  /** Export prom-client's process and Node.js metrics too (default true). */
  defaultMetrics?: boolean;
}

/**
 * The operator surface as one daemon service (`name` 'admin'): the admin HTTP API, realization state, the connection
 * monitor, the event stream, Prometheus metrics, health checks and the web console, on `admin.listen`. Empty
 * `admin.listen` turns it off. Refuses to start on a non-loopback address without `admin.token`.
 *
 * Wiring (src/daemon.ts): `new AdminService(ctx, { notifications, commands })`, last in the start order so that
 * the services it follows have started, and it stops first.
 */
export class AdminService {
  readonly name = 'admin';
  readonly #ctx: AdminServiceContext;
  readonly #deps: AdminServiceDeps;
  readonly #options: AdminServiceOptions;
  readonly #log: Logger;
  readonly #unsubscribe: (() => void)[] = [];
  #server: Server | undefined;
  #router: AdminRouter | undefined;
  #monitor: ConnectionMonitor | undefined;
  #realization: RealizationTracker | undefined;
  #metrics: AdminMetrics | undefined;
  #history: GroupHistory | undefined;
  #events: EventHub | undefined;

  constructor(ctx: AdminServiceContext, deps: AdminServiceDeps = {}, options: AdminServiceOptions = {}) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#options = options;
    this.#log = ctx.logger.child({ subsystem: 'admin' });
  }

  /** `http://host:port` of the running server (the port chosen when `admin.listen` says 0), or undefined. */
  get url(): string | undefined {
    const addr = this.#server?.address() as AddressInfo | null | undefined;
    if (!addr) return undefined;
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  /** The event stream (other services may publish their own events on it). Defined once started. */
  get events(): EventHub | undefined {
    return this.#events;
  }

  /** The metrics registry owner. Defined once started. */
  get metrics(): AdminMetrics | undefined {
    return this.#metrics;
  }

  /** The per-group delivery samples behind the console's charts. Defined once started. */
  get history(): GroupHistory | undefined {
    return this.#history;
  }

  /** The routes served (`{ method, template }`), once started. */
  get routes(): { method: string; template: string }[] {
    return this.#router?.routes() ?? [];
  }

  /** The realization tracker. Defined once started. */
  get realization(): RealizationTracker | undefined {
    return this.#realization;
  }

  /**
   * Build the monitor, realization tracker, metrics, health checks and event stream, then listen. A no-op when
   * `admin.listen` is empty; throws `ConfigError` for a non-loopback address without a token or an address that
   * cannot be bound.
   */
  async start(): Promise<void> {
    const { config } = this.#ctx;
    const listen = parseListen(config.admin.listen);
    if (!listen) {
      this.#log.info('admin API off (admin.listen is empty)');
      return;
    }
    checkListenPolicy(listen, config.admin.token);
    const ctx = this.#ctx;
    const notifications = this.#deps.notifications;
    const commands = this.#deps.commands?.proxy;

    const monitor = (this.#monitor = new ConnectionMonitor(ctx.scheduler));
    const events = (this.#events = new EventHub({ history: config.admin.eventHistory, ...this.#options.events, clock: ctx.clock }));
    const realization = (this.#realization = new RealizationTracker({ monitor, ticksStarted: () => ctx.scheduler.stats().ticks, delivery: notifications?.delivery, clock: ctx.clock }));
    const history = (this.#history = new GroupHistory({ clock: ctx.clock, delivery: notifications?.delivery, endpointGroups: () => ctx.endpoints.list().map((e) => e.groupId) }));
    const startedAt = ctx.clock.now();
    const health = new HealthChecks({
      store: ctx.store,
      expectedSchemaVersion: readMigrations().at(-1)?.version ?? 0,
      scheduler: ctx.scheduler,
      activatedGroups: () => ctx.endpoints.listActivated().map((e) => e.groupId),
      connectedGroups: () => ctx.scheduler.connections(),
      config: () => ctx.config,
      clock: ctx.clock,
    });
    const endpointService = () =>
      new EndpointService({ endpoints: ctx.endpoints, cipher: ctx.cipher, logger: ctx.logger, clock: ctx.clock, connectionPeriodMs: ctx.config.connectionInfo.period * 1000 });
    /** What only the daemon knows of its connections: the roles of GET /api/endpoints and of the metrics. */
    const live = () => {
      const nextRunAt = ctx.scheduler.stats().nextTickAt;
      return { connected: (host: string) => monitor.liveConnection(host) !== undefined, attempting: ctx.scheduler.attempting(), ...(nextRunAt === undefined ? {} : { nextRunAt }) };
    };
    const metrics = (this.#metrics = new AdminMetrics(
      { monitor, scheduler: ctx.scheduler, endpoints: { list: () => endpointService().list(live()) }, delivery: notifications?.delivery, commands, events },
      { defaultMetrics: this.#options.defaultMetrics ?? true },
    ));
    const checks = new EndpointChecks({
      target: (hostName) => endpointService().checkTarget(hostName),
      connected: (hostName) => monitor.liveConnection(hostName) !== undefined,
      config: () => ctx.config,
      logger: ctx.logger,
    });
    const router = (this.#router = createAdminRouter({
      endpoints: endpointService,
      checks,
      monitor,
      realization,
      notifications: notifications && { raise: (o, d) => notifications.source.raise(o, d), status: () => notifications.status() },
      events,
      metrics,
      history,
      daemon: { version: NBWSS_VERSION, nodeVersion: process.versions.node, startedAt },
      health,
      publish: (type, data) => events.publish(type, data),
      live,
      retentionSeconds: () => ctx.config.notification.retention,
      clock: ctx.clock,
    }));

    monitor.start();
    realization.start();
    metrics.start();
    history.start();
    this.#feedEvents(monitor, realization, events, notifications, commands);
    try {
      this.#server = await this.#listen(listen, new AccessPolicy(config.admin.token), router);
    } catch (err) {
      await this.stop(); // the daemon undoes only services that started: leave no listener behind
      throw err;
    }
    this.#log.info({ url: this.url, auth: config.admin.token ? 'bearer token' : 'loopback only' }, 'admin API listening');
  }

  /** End the event streams and waiting long polls, close the server, stop following the daemon. Idempotent. */
  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#events?.close();
    this.#metrics?.stop();
    this.#history?.stop();
    this.#realization?.stop();
    this.#monitor?.stop();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets and waiting long polls would hold close() open.
      server.closeAllConnections();
    });
  }

  #listen(listen: { host: string; port: number }, access: AccessPolicy, router: AdminRouter): Promise<Server> {
    const server = createServer((req, res) => void this.#handle(req, res, access, router));
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const shown = listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
        reject(new ConfigError(`admin.listen=${shown}: cannot listen (${err.code ?? err.message})`, { cause: err }));
      });
      server.listen(listen.port, listen.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.#log.error({ err }, 'admin server error'));
        resolve(server);
      });
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, access: AccessPolicy, router: AdminRouter): Promise<void> {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    try {
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      const level = access.check(req, url.pathname);
      const { handler, params } = router.match(method, url.pathname);
      await handler({ req, res, url, params, signal: abort.signal, access: level });
      this.#log.debug({ method, path, status: res.statusCode }, 'admin request');
    } catch (err) {
      const d = sendError(res, err);
      if (d.internal) this.#log.error({ err, method, path }, 'admin request failed');
      else this.#log.debug({ method, path, status: d.status, code: d.body.error.code }, 'admin request refused');
    }
  }

  /** Everything the event stream carries. */
  #feedEvents(monitor: ConnectionMonitor, realization: RealizationTracker, events: EventHub, notifications: NotificationSubsystem | undefined, commands: CommandProxy | undefined): void {
    const sub = <A extends unknown[]>(emitter: { on(e: string, l: (...a: A) => void): unknown; off(e: string, l: (...a: A) => void): unknown }, event: string, listener: (...a: A) => void) => {
      emitter.on(event, listener);
      this.#unsubscribe.push(() => emitter.off(event, listener));
    };
    const now = () => new Date(this.#ctx.clock.now()).toISOString();
    sub(monitor, 'up', (c: { groupId: string; hostName: string; connectionId: number }) =>
      events.publish('connection', { groupId: c.groupId, hostName: c.hostName, connectionId: c.connectionId, state: 'CONNECTED', at: now() }),
    );
    sub(monitor, 'down', (d: { groupId: string; hostName: string; connectionId: number; code: number; reason: string }) =>
      events.publish('connection', { groupId: d.groupId, hostName: d.hostName, connectionId: d.connectionId, state: 'DISCONNECTED', code: d.code, reason: d.reason, at: now() }),
    );
    sub(monitor, 'attemptFailed', (f: unknown) => events.publish('attempt_failed', f));
    sub(monitor, 'tick', (t: TickInfo) => events.publish('tick', { ...t, startedAt: new Date(t.startedAt).toISOString() }));
    sub(realization, 'changed', (v: unknown) => events.publish('realization', v));
    if (notifications) {
      for (const [event, type] of [['batchSent', 'batch_sent'], ['batchAcked', 'batch_acked'], ['batchResent', 'batch_resent'], ['ackIgnored', 'ack_ignored'], ['backlogWarning', 'backlog_warning']] as const) {
        sub(notifications.delivery, event, (e: unknown) => events.publish(type, e));
      }
      sub(notifications.source, 'raised', (e: unknown) => events.publish('notifications_raised', e));
    }
    if (commands) sub(commands, 'command', (e: unknown) => events.publish('command', e));
  }
}
