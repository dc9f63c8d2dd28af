import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { epochSeconds, systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Channel } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import { commandResponse, type CommandResponsePayload, type Message } from '../protocol/messages.js';
import { Limiter } from './limiter.js';
import { checkCommand, type ValidCommand } from './validate.js';

/** The largest frame an endpoint accepts (spec §7): a COMMAND RESPONSE must fit in it. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/** One COMMAND, as reported to listeners (metrics, event stream) once its response is sent or dropped. */
export interface CommandEvent {
  id: string;
  groupId: string;
  hostName: string;
  method: string;
  uri: string;
  /** The responseCode sent (0 when the socket closed before the answer). */
  status: number;
  durationMs: number;
  /** Why the daemon answered by itself (refusal, upstream failure), when it did. */
  errorCode?: string;
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

interface Upstream {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

class UpstreamError extends Error {
  constructor(
    readonly status: 502 | 504,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON error body of a COMMAND RESPONSE made by the daemon itself (NetBackup's error shape). */
export function errorPayload(status: number, code: string, message: string): CommandResponsePayload {
  return {
    headers: { 'content-type': 'application/json' },
    responseCode: status,
    body: JSON.stringify({ errorCode: status, errorMessage: message, errorDetails: [code] }),
  };
}

/** Lower-case names; several values joined with ", " as HTTP field combination does (RFC 9110 §5.3). */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
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
  readonly #limiters = new Map<number, Limiter>();
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
    const method = typeof payload.method === 'string' ? payload.method : '?';
    const uri = typeof payload.uri === 'string' ? payload.uri : '?';
    const cfg = this.#config().command;
    const check = checkCommand(payload, cfg.allowedPathPrefixes);
    if (!check.ok) {
      this.#respond(channel, id, errorPayload(400, check.refusal.code, check.refusal.message), { method, uri, started, errorCode: check.refusal.code });
      return;
    }
    const limiter = this.#limiterFor(channel);
    const accepted = limiter.tryRun(() => this.#execute(check.command, channel, id, started));
    if (!accepted) {
      const msg = `too many COMMANDs in flight on this connection (command.maxConcurrent ${cfg.maxConcurrent}, command.maxQueued ${cfg.maxQueued})`;
      this.#respond(channel, id, errorPayload(503, 'NBWSS_ERR_BUSY', msg), { method, uri, started, errorCode: 'NBWSS_ERR_BUSY' });
    }
  }

  /** In-flight and queued COMMANDs of one connection (for monitors and tests). */
  load(connectionId: number): { active: number; queued: number } {
    const l = this.#limiters.get(connectionId);
    return { active: l?.active ?? 0, queued: l?.queued ?? 0 };
  }

  /** Stop: refuse new COMMANDs and close the HTTP client (aborting what is in flight). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const l of this.#limiters.values()) l.close();
    this.#limiters.clear();
    if (this.#ownsDispatcher) await this.#dispatcher.destroy().catch(() => undefined);
  }

  #limiterFor(channel: Channel): Limiter {
    const cfg = this.#config().command;
    let limiter = this.#limiters.get(channel.connectionId);
    if (!limiter) {
      limiter = new Limiter(cfg.maxConcurrent, cfg.maxQueued);
      if (this.#closed) limiter.close();
      this.#limiters.set(channel.connectionId, limiter);
      const l = limiter;
      const onClose = () => {
        // Queued COMMANDs die with the socket: there is nobody to answer.
        l.close();
        this.#limiters.delete(channel.connectionId);
      };
      if (channel.signal.aborted) onClose();
      else channel.signal.addEventListener('abort', onClose, { once: true });
    } else {
      limiter.resize(cfg.maxConcurrent, cfg.maxQueued);
    }
    return limiter;
  }

  async #execute(cmd: ValidCommand, channel: Channel, id: string, started: number): Promise<void> {
    if (channel.signal.aborted) return;
    const meta = { method: cmd.method, uri: cmd.uri, started };
    try {
      const upstream = await this.#request(cmd, channel.signal);
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

  async #request(cmd: ValidCommand, socketSignal: AbortSignal): Promise<Upstream> {
    const timeoutMs = this.#config().command.timeout;
    // One controller per request, aborted by the timeout or by the socket closing (cheaper than AbortSignal.any
    // with AbortSignal.timeout on Node 20, which matters at thousands of COMMANDs per second).
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('command.timeout'));
    }, timeoutMs);
    const onSocketClose = () => controller.abort(socketSignal.reason);
    socketSignal.addEventListener('abort', onSocketClose, { once: true });
    try {
      const res = await this.#dispatcher.request({
        origin: this.#origin,
        path: this.#basePath + cmd.uri,
        method: cmd.method,
        headers: cmd.headers,
        body: cmd.body ?? null,
        signal: controller.signal,
      });
      const headers = flattenHeaders(res.headers);
      // A COMMAND RESPONSE carrying more than 2 MB of body can never fit a frame: stop reading there.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_FRAME_BYTES) {
          res.body.destroy();
          throw tooLarge(size, true);
        }
        chunks.push(chunk as Buffer);
      }
      return { statusCode: res.statusCode, headers, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (timedOut && !socketSignal.aborted) {
        throw new UpstreamError(504, 'NBWSS_ERR_UPSTREAM_TIMEOUT', `NetBackup did not answer within ${timeoutMs} ms (command.timeout)`);
      }
      if (socketSignal.aborted) throw err;
      throw new UpstreamError(502, 'NBWSS_ERR_UPSTREAM_UNREACHABLE', `NetBackup unreachable: ${describeNetworkError(err)}`);
    } finally {
      this.#clock.clearTimeout(timer);
      socketSignal.removeEventListener('abort', onSocketClose);
    }
  }

  #respond(
    channel: Channel,
    id: string,
    payload: CommandResponsePayload,
    meta: { method: string; uri: string; started: number; errorCode?: string },
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

  #report(channel: Channel, id: string, r: { method: string; uri: string; started: number; status: number; errorCode?: string }): void {
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

function tooLarge(bytes: number, raw: boolean): UpstreamError {
  return new UpstreamError(
    502,
    'NBWSS_ERR_RESPONSE_TOO_LARGE',
    `NetBackup response ${raw ? 'body is over' : 'does not fit in'} ${MAX_FRAME_BYTES} bytes${raw ? '' : ` once framed (${bytes} bytes)`}: too large for a 2 MB WebSocket frame`,
  );
}

function describeNetworkError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  if (err instanceof undiciErrors.UndiciError || code) return `${code ?? e.name}: ${e.message}`;
  return String((err as Error)?.message ?? err);
}
