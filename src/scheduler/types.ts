import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Router } from '../connection/channel.js';
import type { ConnectionSettings, EndpointConnection, EndpointConnectionOptions } from '../connection/endpoint-connection.js';
import type { ConnectFailureReason } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConnectionState, EndpointRecord } from '../store/endpoint-store.js';
import type { EndpointSummary } from '../store/endpoint-summaries.js';

/* Types of the Scheduler (split out to keep the class file short). */

/**
 * The part of `EndpointStore` the scheduler uses. `listActivated` may return full records (an `EndpointStore`
 * fits as is) or just the summaries (`activatedSummaries(store)`, what the daemon passes: cheaper every period).
 */
export interface SchedulerEndpointSource {
  /** ACTIVATED endpoints (order does not matter: the scheduler sorts by priority, then host name). */
  listActivated(): EndpointSummary[];
  /** The full record of the endpoint about to be dialled (read again: token and pin as of now). */
  get(hostName: string): EndpointRecord | undefined;
  recordConnectionState(hostName: string, state: ConnectionState, lastError: string | null, now?: number): void;
  recordError(hostName: string, lastError: string, now?: number): void;
}

/** One failed connection attempt. */
export interface AttemptFailure {
  groupId: string;
  hostName: string;
  reason: ConnectFailureReason | 'token_decrypt';
  message: string;
}

/** Summary of one tick. */
export interface TickInfo {
  /** 1, 2, 3… */
  seq: number;
  /** `clock.now()` when the tick started (epoch ms). */
  startedAt: number;
  /** Wall time of the whole tick, attempts included (ms). */
  durationMs: number;
  /** Time to read the endpoints and decide, before any attempt (ms): the steady-state cost of a tick. */
  planMs: number;
  /** Groups with at least one ACTIVATED endpoint. */
  groups: number;
  /** Groups CONNECTED at the end of the tick. */
  connected: number;
  /** Connection attempts made by this tick. */
  attempts: number;
  failures: number;
  /** Connections closed because their endpoint was deleted, deactivated or re-added. */
  retired: number;
}

/** Typed events of the {@link Scheduler}. Other subsystems listen to these, never to connection internals. */
export interface SchedulerEvents {
  /** A group reached CONNECTED through `conn` (notification senders and command handlers attach here). */
  connected: [conn: EndpointConnection];
  /** A connection that was CONNECTED is closed (fully: the socket is gone). */
  disconnected: [conn: EndpointConnection, info: { code: number; reason: string }];
  attemptFailed: [failure: AttemptFailure];
  tick: [info: TickInfo];
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  endpoints: SchedulerEndpointSource;
  /** Decrypts stored tokens (`TokenCipher`). */
  tokens: { decrypt(blob: Buffer, hostName: string): string };
  router: Router;
  config: Pick<Config, 'connectionInfo' | 'keepAlive' | 'scheduledExecutor' | 'exception'>;
  clock?: Clock;
  logger?: Logger;
  /** Source in [0, 1) for the backoff jitter. */
  random?: () => number;
  /** Builds each connection (tests and benchmarks may wrap it). */
  createConnection?: (options: EndpointConnectionOptions) => EndpointConnection;
  /** Overrides of the connection settings derived from `config` (e.g. `closeTimeoutMs`). */
  connection?: Partial<ConnectionSettings>;
}
