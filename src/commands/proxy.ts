import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Pool, type Dispatcher } from 'undici';
import { epochSeconds, systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { CommandErrorCode } from '../errors.js';
import type { Channel } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import { commandResponse, type CommandResponsePayload, type Message } from '../protocol/messages.js';
import { excerpt } from '../protocol/summary.js';
import { Limiter, type LimiterBounds } from './limiter.js';
import { MAX_FRAME_BYTES } from '../protocol/limits.js';
import { UpstreamError, callUpstream, tooLarge, type Abortable, type Upstream } from './upstream.js';
import { checkCommand, type ValidCommand } from './validate.js';

/** Longest excerpt of a COMMAND uri in a log line or a `command` event. */
const MAX_LOGGED_URI = 512;

/** One COMMAND, as reported to listeners (metrics, event stream) once its response is sent or dropped. */
export interface CommandEvent {
  id: string;
  groupId: string;
  hostName: string;
  /** The method as given (cut to 16 characters). */
  method: string;
  /** The uri as given (cut to 512 characters). */
  uri: string;
  /** The responseCode sent (0 when the socket closed before the answer). */
  status: number;
  durationMs: number;
  /** Why the daemon answered by itself (refusal, upstream failure), when it did. */
  errorCode?: CommandErrorCode;
}

/** Typed events of {@link CommandProxy}. */
export interface CommandProxyEvents {
  command: [CommandEvent];
}

/** What {@link CommandProxy} needs from the configuration (read on every COMMAND, so a reload applies at once). */
export type CommandConfig = Pick<Config, 'command' | 'netbackup'>;

/** Options of {@link CommandProxy}. */
export interface CommandProxyOptions {
  config: () => Readonly<CommandConfig>;
  logger: Logger;
  clock?: Clock;
  /** HTTP client to NetBackup (default: an undici Pool on `netbackup.baseUrl`, keep-alive, TLS per `netbackup.tls.*`). */
  dispatcher?: Dispatcher;
  /** Use this base URL instead of `netbackup.baseUrl` (the in-process mock NetBackup on a port chosen at start). */
  baseUrl?: string;
  /** Trust this CA (PEM) for NetBackup in addition to `netbackup.tls.caFile` (the in-process mock's certificate). */
  ca?: string;
}

function limiterBounds(cfg: CommandConfig['command']): LimiterBounds {
  return { maxConcurrent: cfg.maxConcurrent, maxQueued: cfg.maxQueued, maxBytes: cfg.maxQueuedBytes };
}

/** The JSON error body of a COMMAND RESPONSE made by the daemon itself (NetBackup's error shape). */
export function errorPayload(status: number, code: CommandErrorCode, message: string): CommandResponsePayload {
  return {
    headers: { 'content-type': 'application/json' },
    responseCode: status,
    body: JSON.stringify({ errorCode: status, errorMessage: message, errorDetails: [code] }),
  };
}

/**
 * The COMMAND handler (spec §4; DESIGN journey 2): a COMMAND REQUEST from a connected endpoint becomes one HTTP
 * request to NetBackup and exactly one COMMAND RESPONSE with the same id. Register {@link handle} as the route of
 * (COMMAND, REQUEST). Never touches the store.
 */
export class CommandProxy extends EventEmitter<CommandProxyEvents> {
  readonly #config: () => Readonly<CommandConfig>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #origin: string;
  readonly #basePath: string;
  /** Per connection: its limiter and the controllers of its in-flight requests (aborted together on close). */
  readonly #perConnection = new Map<number, { limiter: Limiter; inflight: Set<Abortable> }>();
  #closed = false;

  constructor(options: CommandProxyOptions) {
    super();
    this.#config = options.config;
    this.#log = options.logger;
    this.#clock = options.clock ?? systemClock;
    const base = new URL(options.baseUrl ?? this.#config().netbackup.baseUrl);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    if (options.dispatcher) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      const tls = this.#config().netbackup.tls;
      const ca = [...(tls.caFile ? [readFileSync(tls.caFile, 'utf8')] : []), ...(options.ca ? [options.ca] : [])];
      this.#dispatcher = new Pool(this.#origin, {
        connect: { rejectUnauthorized: tls.rejectUnauthorized, ...(ca.length > 0 ? { ca } : {}) },
        keepAliveTimeout: 30_000,
      });
      this.#ownsDispatcher = true;
    }
    this.handle = this.handle.bind(this);
  }

  /** Route handler for (COMMAND, REQUEST). Answers asynchronously; never throws. */
  handle(message: Message, channel: Channel): void {
    const started = this.#clock.monotonic();
    const id = message.id;
    const payload = message.payload as Record<string, unknown>;
    // What is logged and reported of the peer's method and uri is bounded (a uri may be 2 MB long).
    const method = typeof payload.method === 'string' ? excerpt(payload.method, 16) : '?';
    const uri = typeof payload.uri === 'string' ? excerpt(payload.uri, MAX_LOGGED_URI) : '?';
    const cfg = this.#config().command;
    const check = checkCommand(payload, cfg.allowedPathPrefixes);
    if (!check.ok) {
      this.#respond(channel, id, errorPayload(400, check.refusal.code, check.refusal.message), { method, uri, started, errorCode: check.refusal.code });
      return;
    }
    const conn = this.#connectionFor(channel);
    const meta = { method, uri, started };
    if (this.#backpressure(channel, id, meta)) return;
    const bytes = check.command.body === undefined ? 0 : Buffer.byteLength(check.command.body, 'utf8');
    const refusal = conn.limiter.tryRun(() => this.#execute(check.command, channel, conn.inflight, id, started), bytes);
    if (refusal) {
      const msg =
        refusal === 'bytes'
          ? `too many COMMAND request bytes held on this connection (${conn.limiter.bytes} bytes queued and in flight, command.maxQueuedBytes ${cfg.maxQueuedBytes})`
          : `too many COMMANDs in flight on this connection (command.maxConcurrent ${cfg.maxConcurrent}, command.maxQueued ${cfg.maxQueued})`;
      this.#respond(channel, id, errorPayload(503, 'NBWSS_ERR_BUSY', msg), { ...meta, errorCode: 'NBWSS_ERR_BUSY' });
    }
  }

  /**
   * Backpressure (issue 10 C11): while more than `command.maxBufferedBytes` wait in the socket (the endpoint is not
   * reading), a COMMAND is answered 503 at once instead of being run, so no more large responses pile up in memory.
   * Answered rather than left unread: pausing the socket would also stop the pongs and NOTIFICATION RESPONSEs read
   * from it (the keepalive would drop the connection, delivery would stall), and a COMMAND held back would pin its
   * memory; a 503 is a few hundred bytes, the endpoint already handles it for a full queue, and says "later".
   * Returns true when it answered.
   */
  #backpressure(channel: Channel, id: string, meta: { method: string; uri: string; started: number }): boolean {
    const max = this.#config().command.maxBufferedBytes;
    const waiting = channel.bufferedAmount;
    if (waiting <= max) return false;
    const msg = `the endpoint is not reading its socket (${waiting} bytes waiting to be sent, command.maxBufferedBytes ${max}): try again later`;
    this.#respond(channel, id, errorPayload(503, 'NBWSS_ERR_BACKPRESSURE', msg), { ...meta, errorCode: 'NBWSS_ERR_BACKPRESSURE' });
    return true;
  }

  /** In-flight and queued COMMANDs of one connection (for monitors and tests). */
  load(connectionId: number): { active: number; queued: number } {
    const l = this.#perConnection.get(connectionId)?.limiter;
    return { active: l?.active ?? 0, queued: l?.queued ?? 0 };
  }

  /** Stop: refuse new COMMANDs and close the HTTP client (aborting what is in flight). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#perConnection.values()) c.limiter.close();
    this.#perConnection.clear();
    if (this.#ownsDispatcher) await this.#dispatcher.destroy().catch(() => undefined);
  }

  #connectionFor(channel: Channel): { limiter: Limiter; inflight: Set<Abortable> } {
    const cfg = this.#config().command;
    let conn = this.#perConnection.get(channel.connectionId);
    if (!conn) {
      const c = { limiter: new Limiter(limiterBounds(cfg)), inflight: new Set<Abortable>() };
      conn = c;
      if (this.#closed) c.limiter.close();
      this.#perConnection.set(channel.connectionId, c);
      // One listener per connection (not one per request): queued COMMANDs die with the socket (nobody is left to
      // answer) and in-flight upstream requests are aborted.
      const onClose = () => {
        c.limiter.close();
        for (const call of c.inflight) call.abort(channel.signal.reason instanceof Error ? channel.signal.reason : new Error('socket closed'));
        this.#perConnection.delete(channel.connectionId);
      };
      if (channel.signal.aborted) onClose();
      else channel.signal.addEventListener('abort', onClose, { once: true });
    } else {
      conn.limiter.resize(limiterBounds(cfg));
    }
    return conn;
  }

  async #execute(cmd: ValidCommand, channel: Channel, inflight: Set<Abortable>, id: string, started: number): Promise<void> {
    if (channel.signal.aborted) return;
    const meta = { method: cmd.method, uri: excerpt(cmd.uri, MAX_LOGGED_URI), started };
    if (this.#backpressure(channel, id, meta)) return; // it waited in the queue while the socket filled up
    try {
      const upstream = await this.#request(cmd, inflight);
      const payload: CommandResponsePayload = { headers: upstream.headers, responseCode: upstream.statusCode, body: upstream.body };
      this.#respond(channel, id, payload, meta);
    } catch (err) {
      if (channel.signal.aborted) {
        this.#report(channel, id, { ...meta, status: 0, errorCode: 'NBWSS_ERR_SOCKET_CLOSED' });
        return;
      }
      const e = err instanceof UpstreamError ? err : new UpstreamError(502, 'NBWSS_ERR_UPSTREAM', `NetBackup request failed: ${(err as Error).message}`);
      this.#respond(channel, id, errorPayload(e.status, e.code, e.message), { ...meta, errorCode: e.code });
    }
  }

  #request(cmd: ValidCommand, inflight: Set<Abortable>): Promise<Upstream> {
    return callUpstream(this.#dispatcher, {
      origin: this.#origin,
      path: this.#basePath + cmd.uri,
      method: cmd.method,
      headers: cmd.headers,
      body: cmd.body,
      timeoutMs: this.#config().command.timeout,
      clock: this.#clock,
      inflight,
    });
  }

  #respond(
    channel: Channel,
    id: string,
    payload: CommandResponsePayload,
    meta: { method: string; uri: string; started: number; errorCode?: CommandErrorCode },
  ): void {
    let frame = JSON.stringify(commandResponse(id, payload, epochSeconds(this.#clock)));
    let status = payload.responseCode;
    let errorCode = meta.errorCode;
    if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
      // JSON escaping can grow a body that was under 2 MB raw: never send a frame the endpoint would reject.
      const e = tooLarge(Buffer.byteLength(frame), false);
      frame = JSON.stringify(commandResponse(id, errorPayload(e.status, e.code, e.message), epochSeconds(this.#clock)));
      status = e.status;
      errorCode = e.code;
    }
    const sent = channel.send(frame);
    this.#report(channel, id, { method: meta.method, uri: meta.uri, started: meta.started, status: sent ? status : 0, ...(errorCode ? { errorCode } : {}) });
  }

  #report(channel: Channel, id: string, r: { method: string; uri: string; started: number; status: number; errorCode?: CommandErrorCode }): void {
    const durationMs = Math.round((this.#clock.monotonic() - r.started) * 1000) / 1000;
    const event: CommandEvent = {
      id,
      groupId: channel.groupId,
      hostName: channel.hostName,
      method: r.method,
      uri: r.uri,
      status: r.status,
      durationMs,
      ...(r.errorCode ? { errorCode: r.errorCode } : {}),
    };
    this.#log.info({ id, groupId: channel.groupId, hostName: channel.hostName, method: r.method, uri: r.uri, status: r.status, durationMs, errorCode: r.errorCode }, 'COMMAND');
    this.emit('command', event);
  }
}
