import { EventEmitter } from 'node:events';
import { OVERSIZE_REASON, type CloseInfo, type ConnectionStats, type DecodeErrorInfo } from '../connection/types.js';
import type { AttemptFailure, TickInfo } from '../scheduler/scheduler.js';

/**
 * The connection monitor: follows the scheduler's typed events (never connection internals) and keeps, per
 * endpoint, what an operator asks when a link looks unwell — pings, pongs, loss, RTT, uptime, reconnects, last
 * close. It is also the one place the admin surface listens to connections; metrics, the event stream and the
 * realization tracker listen to it.
 */

/** What the monitor needs of a connection (an `EndpointConnection`). */
export interface MonitoredConnection {
  readonly groupId: string;
  readonly hostName: string;
  readonly connectionId: number;
  readonly stats: ConnectionStats;
  readonly closed: Promise<CloseInfo>;
  on(event: 'pong', listener: (info: { rttMs: number }) => void): unknown;
  on(event: 'decodeError', listener: (info: DecodeErrorInfo) => void): unknown;
  off(event: 'pong', listener: (info: { rttMs: number }) => void): unknown;
  off(event: 'decodeError', listener: (info: DecodeErrorInfo) => void): unknown;
}

/** What the monitor needs of the scheduler. */
export interface ConnectionEventSource {
  on(event: 'connected', listener: (conn: MonitoredConnection) => void): unknown;
  on(event: 'disconnected', listener: (conn: MonitoredConnection, info: { code: number; reason: string }) => void): unknown;
  on(event: 'attemptFailed', listener: (failure: AttemptFailure) => void): unknown;
  on(event: 'tick', listener: (info: TickInfo) => void): unknown;
  off(event: 'connected', listener: (conn: MonitoredConnection) => void): unknown;
  off(event: 'disconnected', listener: (conn: MonitoredConnection, info: { code: number; reason: string }) => void): unknown;
  off(event: 'attemptFailed', listener: (failure: AttemptFailure) => void): unknown;
  off(event: 'tick', listener: (info: TickInfo) => void): unknown;
  /** Live connections by group id. */
  connections(): ReadonlyMap<string, MonitoredConnection>;
}

/** A connection that ended, as the monitor reports it. */
export interface ConnectionDown {
  groupId: string;
  hostName: string;
  connectionId: number;
  code: number;
  reason: string;
  /** Final figures of the connection. */
  stats: ConnectionStats;
}

/** Why a connection was closed, when it was for one of the reasons metrics count (decoder errors: `decodeError`). */
export type CloseCause = 'oversize';

/** A frame a CONNECTED connection could not use, and whether it was ignored or closed the connection. */
export interface ConnectionDecodeError extends DecodeErrorInfo {
  groupId: string;
  hostName: string;
}

/** The listeners the monitor adds to one live connection (removed when it goes down or the monitor stops). */
interface ConnectionListeners {
  pong: (info: { rttMs: number }) => void;
  decodeError: (info: DecodeErrorInfo) => void;
}

/** Typed events of {@link ConnectionMonitor}. */
export interface ConnectionMonitorEvents {
  up: [conn: MonitoredConnection];
  down: [info: ConnectionDown];
  pong: [info: { groupId: string; hostName: string; rttMs: number }];
  attemptFailed: [failure: AttemptFailure];
  tick: [info: TickInfo];
  /** A connection (or an attempt) was closed for a frame over 2 MB. */
  closedFor: [info: { groupId: string; hostName: string; cause: CloseCause }];
  /** A CONNECTED connection got a frame it could not use (exception.ignoreDecoder says whether it closed for it). */
  decodeError: [info: ConnectionDecodeError];
}

/** `GET /api/endpoints/{hostName}/monitor`. */
export interface MonitorView {
  hostName: string;
  groupId: string | null;
  connected: boolean;
  connectionId: number | null;
  /** ISO time the current connection reached CONNECTED, or null. */
  connectedSince: string | null;
  /** Figures of the current connection, else of the last one. */
  pingsSent: number;
  pongsReceived: number;
  missedPongs: number;
  consecutiveMisses: number;
  /** missedPongs / pingsSent (0…1), or null before the first ping. */
  lossRate: number | null;
  lastRttMs: number | null;
  avgRttMs: number | null;
  maxRttMs: number | null;
  messagesIn: number;
  messagesOut: number;
  /** Times CONNECTED was reached since the daemon started. */
  connects: number;
  /** Connections after the first one since the daemon started. */
  reconnects: number;
  lastClose: { code: number; reason: string; initiator: 'local' | 'peer'; at: string } | null;
}

/** Per endpoint that connected since the daemon started (a few hundred bytes each; kept until the daemon stops). */
interface HostRecord {
  groupId: string;
  live: MonitoredConnection | undefined;
  /** Final stats of the last closed connection. */
  last: ConnectionStats | undefined;
  lastConnectionId: number | undefined;
  connects: number;
}

/** Per-endpoint connection figures and one stream of connection events for the admin surface. */
export class ConnectionMonitor extends EventEmitter<ConnectionMonitorEvents> {
  readonly #source: ConnectionEventSource;
  readonly #hosts = new Map<string, HostRecord>();
  readonly #listeners = new Map<MonitoredConnection, ConnectionListeners>();

  constructor(source: ConnectionEventSource) {
    super();
    this.setMaxListeners(0);
    this.#source = source;
  }

  /** Start following the scheduler (connections already live are picked up). */
  start(): void {
    this.#source.on('connected', this.#onConnected);
    this.#source.on('disconnected', this.#onDisconnected);
    this.#source.on('attemptFailed', this.#onAttemptFailed);
    this.#source.on('tick', this.#onTick);
    for (const conn of this.#source.connections().values()) this.#onConnected(conn);
  }

  /** Stop following the scheduler and the live connections' pongs and decoder errors. */
  stop(): void {
    this.#source.off('connected', this.#onConnected);
    this.#source.off('disconnected', this.#onDisconnected);
    this.#source.off('attemptFailed', this.#onAttemptFailed);
    this.#source.off('tick', this.#onTick);
    for (const conn of [...this.#listeners.keys()]) this.#forget(conn);
  }

  /** The live connection of an endpoint, if any. */
  liveConnection(hostName: string): MonitoredConnection | undefined {
    return this.#hosts.get(hostName)?.live;
  }

  /** Live connections of the scheduler, by group. */
  connections(): ReadonlyMap<string, MonitoredConnection> {
    return this.#source.connections();
  }

  /** The monitor view of one endpoint (`groupId` null when it never connected in this process). */
  view(hostName: string): MonitorView {
    const rec = this.#hosts.get(hostName);
    const stats = rec?.live?.stats ?? rec?.last;
    const lastClose = rec?.live ? rec.last?.lastClose : stats?.lastClose;
    return {
      hostName,
      groupId: rec?.groupId ?? null,
      connected: rec?.live !== undefined,
      connectionId: rec?.live?.connectionId ?? rec?.lastConnectionId ?? null,
      connectedSince: rec?.live && stats?.connectedSince ? new Date(stats.connectedSince).toISOString() : null,
      pingsSent: stats?.pingsSent ?? 0,
      pongsReceived: stats?.pongsReceived ?? 0,
      missedPongs: stats?.missedPongs ?? 0,
      consecutiveMisses: stats?.consecutiveMisses ?? 0,
      lossRate: stats && stats.pingsSent > 0 ? stats.missedPongs / stats.pingsSent : null,
      lastRttMs: stats?.lastRttMs ?? null,
      avgRttMs: stats?.avgRttMs ?? null,
      maxRttMs: stats?.maxRttMs ?? null,
      messagesIn: stats?.messagesIn ?? 0,
      messagesOut: stats?.messagesOut ?? 0,
      connects: rec?.connects ?? 0,
      reconnects: Math.max(0, (rec?.connects ?? 0) - 1),
      lastClose: lastClose ? { ...lastClose, at: new Date(lastClose.at).toISOString() } : null,
    };
  }

  readonly #onConnected = (conn: MonitoredConnection): void => {
    if (this.#listeners.has(conn)) return;
    const rec = this.#hosts.get(conn.hostName) ?? { groupId: conn.groupId, live: undefined, last: undefined, lastConnectionId: undefined, connects: 0 };
    rec.groupId = conn.groupId;
    rec.live = conn;
    rec.connects++;
    this.#hosts.set(conn.hostName, rec);
    const listeners: ConnectionListeners = {
      pong: ({ rttMs }) => this.emit('pong', { groupId: conn.groupId, hostName: conn.hostName, rttMs }),
      decodeError: (info) => this.emit('decodeError', { groupId: conn.groupId, hostName: conn.hostName, ...info }),
    };
    conn.on('pong', listeners.pong);
    conn.on('decodeError', listeners.decodeError);
    this.#listeners.set(conn, listeners);
    this.emit('up', conn);
  };

  readonly #onDisconnected = (conn: MonitoredConnection, info: { code: number; reason: string }): void => {
    this.#forget(conn);
    const stats = conn.stats;
    const rec = this.#hosts.get(conn.hostName);
    if (rec && rec.live === conn) {
      rec.live = undefined;
      rec.last = stats;
      rec.lastConnectionId = conn.connectionId;
    }
    if (stats.lastClose?.code === 1009 && stats.lastClose.initiator === 'local') this.emit('closedFor', { groupId: conn.groupId, hostName: conn.hostName, cause: 'oversize' });
    this.emit('down', { groupId: conn.groupId, hostName: conn.hostName, connectionId: conn.connectionId, code: info.code, reason: info.reason, stats });
  };

  readonly #onAttemptFailed = (failure: AttemptFailure): void => {
    // A frame over 2 MB before the CONNECT RESPONSE fails the attempt rather than a connection.
    if (failure.message.includes(OVERSIZE_REASON)) this.emit('closedFor', { groupId: failure.groupId, hostName: failure.hostName, cause: 'oversize' });
    this.emit('attemptFailed', failure);
  };

  readonly #onTick = (info: TickInfo): void => {
    this.emit('tick', info);
  };

  #forget(conn: MonitoredConnection): void {
    const listeners = this.#listeners.get(conn);
    if (!listeners) return;
    conn.off('pong', listeners.pong);
    conn.off('decodeError', listeners.decodeError);
    this.#listeners.delete(conn);
  }
}
