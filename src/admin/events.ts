import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { COMMON_HEADERS, HttpError, toJson } from './http.js';

/**
 * Server-Sent Events for consoles and scripts (`GET /api/events`). Each event is serialized once, kept in a
 * per-type history (the last {@link EventHubOptions.history} events of each type) and written to every client. A
 * new client first gets the history (or, with `Last-Event-ID`, what came after that id), so a console opened now
 * shows what happened before it. A client that stops reading is dropped as soon as what waits for it passes
 * {@link EventHubOptions.maxBufferedBytes}: the daemon never buffers without bound for a slow reader.
 *
 * Event ids are `<instance>.<seq>`: `instance` names this run of the daemon, so a client that reconnects after a
 * restart with the id of an earlier run gets the whole history of the new run instead of a wrong resume point.
 */

/** The event types of the stream, in the order the documentation lists them; `?types=` accepts only these. */
export const EVENT_TYPES = [
  'connection',
  'attempt_failed',
  'tick',
  'endpoint',
  'realization',
  'notifications_raised',
  'batch_sent',
  'batch_acked',
  'batch_resent',
  'ack_ignored',
  'backlog_warning',
  'command',
] as const;

/** One event type of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Options of {@link EventHub}. */
export interface EventHubOptions {
  /** Most clients at once; more get 503 (default 64). */
  maxClients?: number;
  /** Bytes allowed to wait in a client's socket buffer before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15000 ms). */
  heartbeatMs?: number;
  /** Events kept per type for new clients (`admin.eventHistory`; default 100, 0 keeps none). */
  history?: number;
  clock?: Clock;
}

/** Typed events of the hub itself (for metrics and logs). */
export interface EventHubEvents {
  /** A client was disconnected because it did not read. */
  clientDropped: [{ bufferedBytes: number; remoteAddress: string | undefined }];
  /** The number of clients changed. */
  clients: [count: number];
}

/** The first event of every stream: what the replay that follows holds. */
export interface HelloEvent {
  /** When the stream started (ISO 8601). */
  at: string;
  /** True when `Last-Event-ID` named an event of this run: only the events after it follow. */
  resumed: boolean;
  /** Events replayed from the history before the live ones. */
  replayed: number;
  /** False when events the client asked for are no longer kept (more happened than the history holds). */
  complete: boolean;
  /** Events kept per type (`admin.eventHistory`). */
  historyPerType: number;
}

interface Client {
  res: ServerResponse;
  /** Event types wanted (undefined: all). */
  types: ReadonlySet<string> | undefined;
}

/** One serialized event: its sequence number and the SSE frame (id, event, data). */
interface Kept {
  seq: number;
  frame: string;
}

/** The last `size` events of one type (a ring: the oldest is overwritten). */
class History {
  readonly #items: (Kept | undefined)[];
  #next = 0;
  /** Sequence number of the newest event overwritten (0: none yet). */
  dropped = 0;

  constructor(size: number) {
    this.#items = new Array<Kept | undefined>(size);
  }

  push(k: Kept): void {
    if (this.#items.length === 0) {
      this.dropped = k.seq;
      return;
    }
    const old = this.#items[this.#next];
    if (old) this.dropped = old.seq;
    this.#items[this.#next] = k;
    this.#next = (this.#next + 1) % this.#items.length;
  }

  /** Kept events after `seq`. */
  *after(seq: number): Iterable<Kept> {
    for (const k of this.#items) if (k && k.seq > seq) yield k;
  }
}

/** Parse `?types=a,b`: undefined for all, or a 400 naming the unknown ones and the valid ones. */
export function parseEventTypes(param: string | null): ReadonlySet<EventType> | undefined {
  if (!param) return undefined;
  const asked = param.split(',').map((t) => t.trim()).filter(Boolean);
  const valid = new Set<string>(EVENT_TYPES);
  const unknown = asked.filter((t) => !valid.has(t));
  if (unknown.length > 0) {
    const list = EVENT_TYPES.join(', ');
    const message = `unknown event type${unknown.length === 1 ? '' : 's'} ${unknown.map((t) => JSON.stringify(t.slice(0, 64))).join(', ')} (valid: ${list})`;
    throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', `types has an ${message}`, {}, { fields: [{ field: 'types', message }] });
  }
  return asked.length === 0 ? undefined : new Set(asked as EventType[]);
}

/** Fan-out of admin events to SSE clients, with a per-type history for clients that join later. */
export class EventHub extends EventEmitter<EventHubEvents> {
  readonly #clients = new Set<Client>();
  readonly #maxClients: number;
  readonly #maxBuffered: number;
  readonly #historySize: number;
  readonly #history = new Map<EventType, History>();
  readonly #clock: Clock;
  readonly #heartbeat: TimerHandle;
  /** Names this run of the daemon in event ids. */
  readonly #instance: string;
  #seq = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: EventHubOptions = {}) {
    super();
    this.#maxClients = options.maxClients ?? 64;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#historySize = options.history ?? 100;
    this.#clock = options.clock ?? systemClock;
    this.#instance = this.#clock.now().toString(36);
    this.#heartbeat = this.#clock.setInterval(() => this.#writeAll(': keepalive\n\n', undefined), options.heartbeatMs ?? 15_000).unref();
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Clients dropped for not reading, since start. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Take over a `GET /api/events` response: SSE headers, a `hello` event ({@link HelloEvent}), the history (all of
   * it, or what came after the `Last-Event-ID` header), then every published event until the client goes away.
   * `?types=a,b` keeps only those event types (400 for a type that does not exist).
   */
  attach(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.#closed) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', 'the daemon is stopping');
    const types = parseEventTypes(url.searchParams.get('types'));
    if (this.#clients.size >= this.#maxClients) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', `too many event stream clients (at most ${this.#maxClients})`);
    const after = this.#resumePoint(req.headers['last-event-id']);
    const { frames, complete } = this.#replay(types, after ?? 0);
    const client: Client = { res, types };
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx and similar proxies would otherwise buffer the stream
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    this.#clients.add(client);
    this.emit('clients', this.#clients.size);
    const forget = () => {
      if (this.#clients.delete(client)) this.emit('clients', this.#clients.size);
    };
    res.on('close', forget);
    res.on('error', forget);
    const hello: HelloEvent = { at: new Date(this.#clock.now()).toISOString(), resumed: after !== undefined, replayed: frames.length, complete, historyPerType: this.#historySize };
    this.#write(client, `retry: 2000\nevent: hello\ndata: ${toJson(hello)}\n\n${frames.join('')}`);
  }

  /** Send one event (`type`, JSON `data`; an object gets `at`, the ISO time, unless it has one) and keep it. */
  publish(type: EventType, data: unknown): void {
    const seq = ++this.#seq;
    const payload = data !== null && typeof data === 'object' && !Array.isArray(data) && !('at' in data) ? { ...data, at: new Date(this.#clock.now()).toISOString() } : data;
    const frame = `id: ${this.#instance}.${seq}\nevent: ${type}\ndata: ${toJson(payload)}\n\n`;
    let history = this.#history.get(type);
    if (!history) this.#history.set(type, (history = new History(this.#historySize)));
    history.push({ seq, frame });
    if (this.#clients.size > 0) this.#writeAll(frame, type);
  }

  /** End every stream and stop the heartbeat. */
  close(): void {
    this.#closed = true;
    this.#clock.clearInterval(this.#heartbeat);
    for (const c of [...this.#clients]) c.res.end();
    this.#clients.clear();
  }

  /** The sequence number after which to replay, when `Last-Event-ID` names an event of this run; else undefined. */
  #resumePoint(header: string | string[] | undefined): number | undefined {
    const value = Array.isArray(header) ? header[0] : header;
    const m = value === undefined ? null : /^([0-9a-z]+)\.(\d{1,15})$/.exec(value.trim());
    if (!m || m[1] !== this.#instance) return undefined;
    const seq = Number(m[2]);
    return seq <= this.#seq ? seq : undefined;
  }

  /**
   * The kept events of `types` after `seq`, oldest first, at most half of `maxBufferedBytes` (the newest are kept):
   * a replay must never be what gets the client dropped. `complete` is false when some were no longer kept.
   */
  #replay(types: ReadonlySet<EventType> | undefined, seq: number): { frames: string[]; complete: boolean } {
    const kept: Kept[] = [];
    let complete = true;
    for (const [type, history] of this.#history) {
      if (types && !types.has(type)) continue;
      if (history.dropped > seq) complete = false;
      kept.push(...history.after(seq));
    }
    kept.sort((a, b) => a.seq - b.seq);
    let bytes = 0;
    let from = kept.length;
    const size = (k: Kept) => Buffer.byteLength(k.frame);
    while (from > 0 && bytes + size(kept[from - 1]!) <= this.#maxBuffered / 2) bytes += size(kept[--from]!);
    if (from > 0) complete = false;
    return { frames: kept.slice(from).map((k) => k.frame), complete };
  }

  #writeAll(frame: string, type: string | undefined): void {
    for (const c of [...this.#clients]) {
      if (type === undefined || !c.types || c.types.has(type)) this.#write(c, frame);
    }
  }

  #write(client: Client, frame: string): void {
    const { res } = client;
    if (res.destroyed) return;
    res.write(frame);
    // writableLength counts what waits in the response and in its socket: what the kernel would not take.
    const buffered = res.writableLength;
    if (buffered > this.#maxBuffered) {
      this.#dropped++;
      this.#clients.delete(client);
      this.emit('clientDropped', { bufferedBytes: buffered, remoteAddress: res.socket?.remoteAddress });
      this.emit('clients', this.#clients.size);
      res.destroy();
    }
  }
}
