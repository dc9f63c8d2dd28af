import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { COMMON_HEADERS, HttpError, toJson } from './http.js';

/**
 * Server-Sent Events for consoles and scripts (`GET /api/events`). Each event is serialized once and written to
 * every client. A client that stops reading is dropped as soon as what waits for it passes
 * {@link EventHubOptions.maxBufferedBytes}: the daemon never buffers without bound for a slow reader.
 */

/** Options of {@link EventHub}. */
export interface EventHubOptions {
  /** Most clients at once; more get 503 (default 64). */
  maxClients?: number;
  /** Bytes allowed to wait in a client's socket buffer before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15000 ms). */
  heartbeatMs?: number;
  clock?: Clock;
}

/** Typed events of the hub itself (for metrics and logs). */
export interface EventHubEvents {
  /** A client was disconnected because it did not read. */
  clientDropped: [{ bufferedBytes: number; remoteAddress: string | undefined }];
  /** The number of clients changed. */
  clients: [count: number];
}

interface Client {
  res: ServerResponse;
  /** Event types wanted (undefined: all). */
  types: ReadonlySet<string> | undefined;
}

/** Fan-out of admin events to SSE clients. */
export class EventHub extends EventEmitter<EventHubEvents> {
  readonly #clients = new Set<Client>();
  readonly #maxClients: number;
  readonly #maxBuffered: number;
  readonly #clock: Clock;
  readonly #heartbeat: TimerHandle;
  #nextId = 1;
  #dropped = 0;
  #closed = false;

  constructor(options: EventHubOptions = {}) {
    super();
    this.#maxClients = options.maxClients ?? 64;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#clock = options.clock ?? systemClock;
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
   * Take over a `GET /api/events` response: SSE headers, a `hello` event, then every published event until the
   * client goes away. `?types=a,b` keeps only those event types.
   */
  attach(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.#closed) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', 'the daemon is stopping');
    if (this.#clients.size >= this.#maxClients) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', `too many event stream clients (at most ${this.#maxClients})`);
    const typesParam = url.searchParams.get('types');
    const types = typesParam ? new Set(typesParam.split(',').map((t) => t.trim()).filter(Boolean)) : undefined;
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
    this.#write(client, `retry: 2000\nevent: hello\ndata: ${toJson({ at: new Date(this.#clock.now()).toISOString() })}\n\n`);
  }

  /** Send one event (`type`, JSON `data`) to every client that wants it. */
  publish(type: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const frame = `id: ${this.#nextId++}\nevent: ${type}\ndata: ${toJson(data)}\n\n`;
    this.#writeAll(frame, type);
  }

  /** End every stream and stop the heartbeat. */
  close(): void {
    this.#closed = true;
    this.#clock.clearInterval(this.#heartbeat);
    for (const c of [...this.#clients]) c.res.end();
    this.#clients.clear();
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
