import { EventEmitter, setMaxListeners } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { EndpointConnection, type ConnectionSettings, type EndpointConnectionOptions } from '../connection/endpoint-connection.js';
import { connectionSettings } from './settings.js';
import { ConnectError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EndpointRecord } from '../store/endpoint-store.js';
import type { EndpointSummary } from '../store/endpoint-summaries.js';
import type { AttemptFailure, SchedulerEvents, SchedulerOptions, TickInfo } from './types.js';

export type * from './types.js';
import { fullJitterDelay } from './backoff.js';
import { FailureLog } from './failure-log.js';
import { Semaphore } from './semaphore.js';

interface Slot {
  state: 'connecting' | 'connected' | 'closing';
  conn: EndpointConnection | undefined;
  /** Closed by the scheduler (endpoint gone): no reconnect backoff. */
  retired: boolean;
  createdAt: number | undefined;
  /** The endpoint's dial revision when the connection was made (`nbwss endpoints update` of url or trust bumps it). */
  dialRevision: number | undefined;
}

const BACKOFF_BASE_MS = 1000;

/**
 * The `connectionInfo.period` reconciler (spec §7). Each tick reads the ACTIVATED endpoints and, per server group:
 * keeps a live connection whose endpoint is still there (no preemption), closes one whose endpoint was deleted,
 * deactivated or re-added, and connects a group without one by trying its endpoints in priority order (ties by
 * host name) until one completes the CONNECT handshake. A group owns a slot from the first attempt until its socket
 * is fully closed, so there are never two sockets for a group or an endpoint. Handshakes across groups are bounded
 * by `scheduledExecutor.threadPoolSize`. Ticks never overlap; a tick due while one runs waits for it.
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly #o: SchedulerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #semaphore: Semaphore;
  readonly #abort = new AbortController();
  readonly #slots = new Map<string, Slot>();
  readonly #live = new Map<string, EndpointConnection>();
  readonly #hostsBusy = new Set<string>();
  readonly #backoff = new Map<string, { failures: number; timer: TimerHandle | undefined }>();
  #snapshot = new Map<string, EndpointSummary[]>();
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #timer: TimerHandle | undefined;
  #current: Promise<TickInfo> | undefined;
  #queued: Promise<TickInfo> | undefined;
  #seq = 0;
  #lastTick: TickInfo | undefined;
  /** `clock.now()` when the periodic run is due next (undefined while one runs, or when not started). */
  #nextTickAt: number | undefined;
  #tickCounters = { attempts: 0, failures: 0 };
  readonly #failureLog: FailureLog;

  constructor(options: SchedulerOptions) {
    super();
    this.setMaxListeners(0);
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger()).child({ subsystem: 'scheduler' });
    this.#periodMs = Math.max(1, Math.round(options.config.connectionInfo.period * 1000));
    this.#semaphore = new Semaphore(options.config.scheduledExecutor.threadPoolSize);
    this.#failureLog = new FailureLog(this.#log, this.#clock);
    // Every group waiting for a handshake permit listens to this one signal: thousands is expected, not a leak.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Live (CONNECTED) connections by group id. */
  connections(): ReadonlyMap<string, EndpointConnection> {
    return this.#live;
  }

  /** Endpoints with a connection attempt in progress (dialling, TLS, upgrade or CONNECT handshake). */
  attempting(): Set<string> {
    const hosts = new Set<string>();
    for (const slot of this.#slots.values()) if (slot.state === 'connecting' && slot.conn) hosts.add(slot.conn.hostName);
    return hosts;
  }

  /** Figures for the admin surface. `nextTickAt`: epoch ms the next periodic run is due (undefined while one runs). */
  stats(): {
    state: string;
    connected: number;
    groupsBusy: number;
    handshakesInFlight: number;
    handshakesWaiting: number;
    maxConcurrentHandshakes: number;
    ticks: number;
    lastTick: TickInfo | undefined;
    nextTickAt: number | undefined;
  } {
    return {
      state: this.#state,
      connected: this.#live.size,
      groupsBusy: this.#slots.size,
      handshakesInFlight: this.#semaphore.held,
      handshakesWaiting: this.#semaphore.waiting,
      maxConcurrentHandshakes: this.#semaphore.maxHeld,
      ticks: this.#seq,
      lastTick: this.#lastTick,
      nextTickAt: this.#nextTickAt,
    };
  }

  /** Run a tick now and then every `connectionInfo.period`. */
  start(): void {
    if (this.#state !== 'idle') throw new Error(`Scheduler.start() in state ${this.#state}`);
    this.#state = 'running';
    this.#log.info({ periodMs: this.#periodMs, threadPoolSize: this.#semaphore.size, reconnectOnClose: this.#o.config.connectionInfo.reconnectOnClose }, 'scheduler started');
    this.#periodic();
  }

  /**
   * Run a tick as soon as none is running and resolve with its summary. Calls made while a tick runs share the
   * one tick queued after it (every caller gets a tick that started after its call).
   */
  tickNow(): Promise<TickInfo> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return Promise.reject(new Error('scheduler is stopped'));
    if (!this.#current) return this.#startTick();
    this.#queued ??= this.#current.then(
      () => this.#startTick(),
      () => this.#startTick(),
    );
    return this.#queued;
  }

  /** Stop ticking, abort attempts and backoffs, close every connection with 1001 and wait until all are closed. */
  async stop(reason = 'nbwss is shutting down'): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
    this.#clock.clearTimeout(this.#timer);
    for (const b of this.#backoff.values()) this.#clock.clearTimeout(b.timer);
    this.#backoff.clear();
    this.#abort.abort(new Error(reason));
    const closing = [...this.#slots.values()].map((s) => s.conn?.close({ code: 1001, reason }));
    await Promise.allSettled([this.#current, this.#queued, ...closing]);
    // Attempts that were between endpoints when the abort came are settled now; close anything left.
    await Promise.allSettled([...this.#slots.values()].map((s) => s.conn?.close({ code: 1001, reason })));
    this.#state = 'stopped';
    this.#log.info('scheduler stopped');
  }

  #periodic(): void {
    if (this.#state !== 'running') return;
    const started = this.#clock.monotonic();
    this.#nextTickAt = undefined;
    this.tickNow()
      .catch((err: unknown) => this.#log.error({ err }, 'tick failed'))
      .finally(() => {
        if (this.#state !== 'running') return;
        // Fixed rate without overlap: a tick that overran its period is followed at once, never run twice.
        const delay = Math.max(0, started + this.#periodMs - this.#clock.monotonic());
        this.#timer = this.#clock.setTimeout(() => this.#periodic(), delay);
        this.#nextTickAt = this.#clock.now() + delay;
      });
  }

  #startTick(): Promise<TickInfo> {
    this.#queued = undefined;
    const p = this.#tick().finally(() => {
      if (this.#current === p) this.#current = undefined;
    });
    this.#current = p;
    return p;
  }

  async #tick(): Promise<TickInfo> {
    const t0 = this.#clock.monotonic();
    const startedAt = this.#clock.now();
    const poolSize = this.#o.config.scheduledExecutor.threadPoolSize;
    if (poolSize !== this.#semaphore.size) this.#semaphore.resize(poolSize); // reloaded (a live key)
    const seq = ++this.#seq;
    this.#tickCounters = { attempts: 0, failures: 0 };
    const byGroup = new Map<string, EndpointSummary[]>();
    const byHost = new Map<string, EndpointSummary>();
    for (const rec of this.#o.endpoints.listActivated()) {
      byHost.set(rec.hostName, rec);
      const list = byGroup.get(rec.groupId);
      if (list) list.push(rec);
      else byGroup.set(rec.groupId, [rec]);
    }
    for (const list of byGroup.values()) list.sort(byPriority);
    this.#snapshot = byGroup;
    this.#failureLog.retain(byHost);

    const retiring = new Map<string, Promise<unknown>>();
    for (const [groupId, slot] of this.#slots) {
      if (slot.state !== 'connected' || !slot.conn) continue;
      const rec = byHost.get(slot.conn.hostName);
      const why = !rec
        ? 'endpoint deleted or deactivated'
        : rec.groupId !== groupId || rec.createdAt !== slot.createdAt
          ? 'endpoint re-added'
          : rec.dialRevision !== slot.dialRevision
            ? 'endpoint updated (url or certificate)'
            : undefined;
      if (!why) continue;
      slot.retired = true;
      slot.state = 'closing';
      this.#log.info({ groupId, hostName: slot.conn.hostName, reason: why }, `closing the connection: ${why}`);
      retiring.set(groupId, slot.conn.close({ code: 1000, reason: why }));
    }
    const planMs = this.#clock.monotonic() - t0;

    const work: Promise<unknown>[] = [...retiring.values()];
    for (const [groupId, candidates] of byGroup) {
      if (this.#backoff.get(groupId)?.timer) continue; // reconnectOnClose owns this group until it reconnects
      const before = retiring.get(groupId);
      if (before) work.push(before.then(() => this.#connectGroup(groupId, candidates)));
      else if (!this.#slots.has(groupId)) work.push(this.#connectGroup(groupId, candidates));
    }
    await Promise.all(work);
    const info: TickInfo = {
      seq,
      startedAt,
      durationMs: this.#clock.monotonic() - t0,
      planMs,
      groups: byGroup.size,
      connected: this.#live.size,
      attempts: this.#tickCounters.attempts,
      failures: this.#tickCounters.failures,
      retired: retiring.size,
    };
    this.#lastTick = info;
    this.#log.debug(info, 'tick');
    this.emit('tick', info);
    return info;
  }

  /** Try the group's endpoints in order until one is CONNECTED. Resolves true when one is. Never rejects. */
  async #connectGroup(groupId: string, candidates: readonly EndpointSummary[]): Promise<boolean> {
    if (!this.#accepting() || this.#slots.has(groupId)) return false;
    const slot: Slot = { state: 'connecting', conn: undefined, retired: false, createdAt: undefined, dialRevision: undefined };
    this.#slots.set(groupId, slot);
    try {
      for (const rec of candidates) {
        if (!this.#accepting()) return false;
        if (this.#hostsBusy.has(rec.hostName)) continue; // an older socket to this endpoint is still closing
        let release: () => void;
        try {
          release = await this.#semaphore.acquire(this.#abort.signal);
        } catch {
          return false;
        }
        try {
          if (!this.#accepting()) return false;
          if (await this.#attempt(slot, groupId, rec.hostName)) return true;
        } finally {
          release();
        }
      }
      return false;
    } finally {
      if (slot.state === 'connecting' && this.#slots.get(groupId) === slot) this.#slots.delete(groupId);
    }
  }

  /** One attempt at one endpoint, inside a semaphore permit. */
  async #attempt(slot: Slot, groupId: string, hostName: string): Promise<boolean> {
    const rec = this.#o.endpoints.get(hostName);
    if (!rec || rec.state !== 'ACTIVATED' || rec.groupId !== groupId) return false; // changed since the tick read it
    this.#tickCounters.attempts++;
    let token: string;
    try {
      token = this.#o.tokens.decrypt(rec.tokenEnc, rec.hostName);
    } catch (err) {
      this.#failed(rec, 'token_decrypt', (err as Error).message);
      return false;
    }
    // Settings are read per attempt: live keys reloaded with SIGHUP apply to the next connection.
    const options: EndpointConnectionOptions = { ...this.#settings(), endpoint: rec, token, router: this.#o.router, clock: this.#clock, logger: this.#o.logger ?? silentLogger() };
    const conn = this.#o.createConnection ? this.#o.createConnection(options) : new EndpointConnection(options);
    slot.conn = conn;
    slot.createdAt = rec.createdAt;
    slot.dialRevision = rec.dialRevision;
    // These closures live as long as the connection: they must not capture the record (token, certificate…).
    const host = rec.hostName;
    this.#hostsBusy.add(host);
    void conn.closed.then(() => this.#hostsBusy.delete(host));
    conn.once('connected', () => this.#onConnected(slot, conn));
    conn.once('disconnected', (info) => this.#onDisconnected(slot, conn, info));
    try {
      await conn.connect(this.#abort.signal);
      return true;
    } catch (err) {
      if (slot.conn === conn) slot.conn = undefined;
      const e = err instanceof ConnectError ? err : new ConnectError('closed', (err as Error).message, { cause: err });
      if (e.reason !== 'aborted') this.#failed(rec, e.reason, e.message, e);
      return false;
    }
  }

  #failed(rec: EndpointRecord, reason: AttemptFailure['reason'], message: string, err?: ConnectError): void {
    this.#tickCounters.failures++;
    const fps = err as (ConnectError & { expectedFingerprint?: string; presentedFingerprint?: string }) | undefined;
    // Logged when it starts; the same failure every period is counted, and summarised (see FailureLog).
    this.#failureLog.failed(
      rec.hostName,
      `${reason}\n${message}`,
      { groupId: rec.groupId, hostName: rec.hostName, priority: rec.priority, reason, error: message, expectedFingerprint: fps?.expectedFingerprint, presentedFingerprint: fps?.presentedFingerprint },
      `connection attempt failed (${reason})`,
    );
    this.#persist(() => this.#o.endpoints.recordError(rec.hostName, message, this.#clock.now()));
    this.emit('attemptFailed', { groupId: rec.groupId, hostName: rec.hostName, reason, message });
  }

  #onConnected(slot: Slot, conn: EndpointConnection): void {
    slot.state = 'connected';
    this.#live.set(conn.groupId, conn);
    this.#failureLog.succeeded(conn.hostName);
    this.#persist(() => this.#o.endpoints.recordConnectionState(conn.hostName, 'CONNECTED', null, this.#clock.now()));
    this.#log.info(
      { groupId: conn.groupId, hostName: conn.hostName, priority: conn.endpoint.priority, from: 'DISCONNECTED', to: 'CONNECTED', reason: 'CONNECT RESPONSE valid:true', connectionId: conn.connectionId },
      `${conn.groupId} ${conn.hostName}: DISCONNECTED → CONNECTED`,
    );
    this.emit('connected', conn);
  }

  #onDisconnected(slot: Slot, conn: EndpointConnection, info: { code: number; reason: string }): void {
    const groupId = conn.groupId;
    if (this.#live.get(groupId) === conn) this.#live.delete(groupId);
    if (this.#slots.get(groupId) === slot) this.#slots.delete(groupId);
    const lastError = `${info.code} ${info.reason}`;
    this.#persist(() => this.#o.endpoints.recordConnectionState(conn.hostName, 'DISCONNECTED', lastError, this.#clock.now()));
    this.#log.info(
      { groupId, hostName: conn.hostName, from: 'CONNECTED', to: 'DISCONNECTED', reason: info.reason, code: info.code, connectionId: conn.connectionId },
      `${groupId} ${conn.hostName}: CONNECTED → DISCONNECTED (${lastError})`,
    );
    this.emit('disconnected', conn, { code: info.code, reason: info.reason });
    if (this.#o.config.connectionInfo.reconnectOnClose && !slot.retired && this.#accepting()) {
      const since = conn.stats.connectedSince;
      this.#scheduleReconnect(groupId, since === null ? 0 : this.#clock.now() - since);
    }
  }

  /** reconnectOnClose: retry the group after a full-jitter delay; the counter resets after one keepalive period up. */
  #scheduleReconnect(groupId: string, uptimeMs: number | undefined): void {
    const b = this.#backoff.get(groupId) ?? { failures: 0, timer: undefined };
    if (uptimeMs !== undefined && uptimeMs >= this.#settings().keepAliveIntervalMs) b.failures = 0;
    const delay = fullJitterDelay(b.failures, BACKOFF_BASE_MS, this.#periodMs, this.#o.random);
    b.failures++;
    this.#clock.clearTimeout(b.timer);
    b.timer = this.#clock.setTimeout(() => {
      b.timer = undefined;
      const candidates = this.#snapshot.get(groupId);
      if (!candidates || !this.#accepting()) {
        this.#backoff.delete(groupId);
        return;
      }
      void this.#connectGroup(groupId, candidates).then((ok) => {
        if (!ok && this.#accepting() && !this.#slots.has(groupId)) this.#scheduleReconnect(groupId, undefined);
      });
    }, delay);
    this.#backoff.set(groupId, b);
    this.#log.debug({ groupId, delayMs: delay, failures: b.failures }, 'reconnect scheduled (reconnectOnClose)');
  }

  #settings(): ConnectionSettings {
    return { ...connectionSettings(this.#o.config), ...this.#o.connection };
  }

  /** Before start() (ticks driven by tickNow()) and while running; not once stop() was called. */
  #accepting(): boolean {
    return this.#state === 'idle' || this.#state === 'running';
  }

  /** A state write that fails (database busy beyond busy_timeout) is logged; the connection goes on. */
  #persist(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.#log.error({ err }, 'could not record the connection state');
    }
  }
}

function byPriority(a: EndpointSummary, b: EndpointSummary): number {
  return a.priority - b.priority || (a.hostName < b.hostName ? -1 : a.hostName > b.hostName ? 1 : 0);
}
