import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { GeneratedCertificate } from '../../src/certificates.js';
import { connectResponse, type Message } from '../../src/protocol/index.js';
import { testCertificate } from './certs.js';

/**
 * A real local `wss://` endpoint for tests (protocol §3): checks the token, answers the CONNECT REQUEST, behaves
 * per URL path, and counts concurrent sockets per label (e.g. per server group) so a test can prove
 * "never two connections for one group". Everything is observable through typed events, so tests wait on events,
 * never on sleeps.
 *
 * ```ts
 * const ep = await startWssServer({ host: '127.0.0.2', paths: { '/a': { label: 'g1', token: 'T' } } });
 * store.insert({ hostName: '127.0.0.2', url: ep.url('/a'), certPem: ep.certPem, certFingerprint: ep.fingerprint, ... });
 * const [sock] = await ep.waitFor('connected');
 * ```
 */

/** How the CONNECT REQUEST on a path is answered. */
export type ConnectMode =
  /** valid:true (valid:false when a `token` is set and differs). */
  | 'accept'
  /** valid:false. */
  | 'reject'
  /** never answer (a CONNECT timeout). */
  | 'ignore'
  /** a CONNECT RESPONSE valid:true with another id. */
  | 'wrong-id'
  /** answer yourself. */
  | ((request: Message, sock: ServerSocket) => void);

/** Behaviour of one URL path. Unknown paths use the server's `defaultBehaviour`. */
export interface PathBehaviour {
  /** Concurrent sockets are counted per label (default: the path). Give the group id to count per group. */
  label?: string;
  /** Expected token; another one gets valid:false. Default: any token is accepted. */
  token?: string;
  /** Default 'accept'. */
  connect?: ConnectMode;
  /** Wait this long before the CONNECT RESPONSE. */
  connectDelayMs?: number;
  /** Answer pings (default true); false simulates a dead peer. */
  autoPong?: boolean;
  /** Refuse the WebSocket upgrade with this HTTP status. */
  refuseStatus?: number;
  /** Every message after the CONNECT REQUEST (decoded when it is JSON). */
  onMessage?: (message: unknown, sock: ServerSocket, raw: RawData, isBinary: boolean) => void;
  /** Right after valid:true was sent. */
  onConnected?: (sock: ServerSocket) => void;
}

/** One socket the server accepted. */
export interface ServerSocket {
  readonly id: number;
  readonly path: string;
  readonly label: string;
  readonly ws: WebSocket;
  /** The CONNECT REQUEST, once received. */
  connectRequest?: Message;
  /** True once valid:true was sent. */
  connected: boolean;
  /** Send an object (serialized) or a string / Buffer as is. */
  send(data: object | string | Buffer, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
}

/** Typed events of {@link TestWssServer}. */
export interface WssServerEvents {
  /** WebSocket upgraded. */
  socket: [sock: ServerSocket];
  connectRequest: [sock: ServerSocket, request: Message];
  /** valid:true sent. */
  connected: [sock: ServerSocket];
  message: [sock: ServerSocket, message: unknown];
  ping: [sock: ServerSocket];
  close: [sock: ServerSocket, info: { code: number; reason: string }];
}

/** Options of {@link startWssServer}. */
export interface WssServerOptions {
  /** Listen address (default 127.0.0.1). Use 127.0.0.2, 127.0.0.3… for distinct hosts. */
  host?: string;
  /** Default 0 (any). */
  port?: number;
  /** Default: a certificate for `host` generated at test time. */
  cert?: GeneratedCertificate;
  paths?: Record<string, PathBehaviour>;
  /** For paths not in `paths` (default: accept). */
  defaultBehaviour?: PathBehaviour;
  /** Server-side maxPayload (default 16 MB, so tests can send what the client must refuse). */
  maxPayload?: number;
}

let nextSocketId = 1;

/** A running test endpoint. */
export class TestWssServer extends EventEmitter<WssServerEvents> {
  readonly host: string;
  readonly cert: GeneratedCertificate;
  readonly paths = new Map<string, PathBehaviour>();
  defaultBehaviour: PathBehaviour;
  #port: number;
  #server: Server | undefined;
  readonly #wss: WebSocketServer;
  readonly #open = new Set<ServerSocket>();
  readonly #max = new Map<string, number>();
  readonly #total = new Map<string, number>();

  constructor(options: WssServerOptions & { cert: GeneratedCertificate }) {
    super();
    this.setMaxListeners(0);
    this.host = options.host ?? '127.0.0.1';
    this.cert = options.cert;
    this.#port = options.port ?? 0;
    this.defaultBehaviour = options.defaultBehaviour ?? {};
    for (const [p, b] of Object.entries(options.paths ?? {})) this.paths.set(p, b);
    this.#wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload: options.maxPayload ?? 16 * 1024 * 1024 });
  }

  /** The port (fixed after the first start, so a restart comes back on the same URL). */
  get port(): number {
    return this.#port;
  }
  get certPem(): string {
    return this.cert.cert;
  }
  get fingerprint(): string {
    return this.cert.fingerprint256;
  }
  /** `wss://host:port/path`. */
  url(path = '/'): string {
    return `wss://${this.host}:${this.#port}${path}`;
  }
  /** Sockets open now (optionally of one label). */
  sockets(label?: string): ServerSocket[] {
    return [...this.#open].filter((s) => label === undefined || s.label === label);
  }
  /** Most sockets of `label` open at the same instant so far. */
  maxConcurrent(label: string): number {
    return this.#max.get(label) ?? 0;
  }
  /** Sockets of `label` accepted so far. */
  totalSockets(label: string): number {
    return this.#total.get(label) ?? 0;
  }
  /** Set (or replace) the behaviour of a path. */
  behave(path: string, behaviour: PathBehaviour): this {
    this.paths.set(path, behaviour);
    return this;
  }

  /**
   * Resolve with the args of the next `event` for which `predicate` holds (rejects after `timeoutMs`).
   * Call it BEFORE the action that causes the event.
   */
  waitFor<K extends keyof WssServerEvents>(event: K, predicate: (...args: WssServerEvents[K]) => boolean = () => true, timeoutMs = 10_000): Promise<WssServerEvents[K]> {
    const emitter = this as unknown as EventEmitter;
    return new Promise((resolve, reject) => {
      const listener = (...args: unknown[]) => {
        if (!predicate(...(args as WssServerEvents[K]))) return;
        clearTimeout(timer);
        emitter.off(event as string, listener);
        resolve(args as WssServerEvents[K]);
      };
      const timer = setTimeout(() => {
        emitter.off(event as string, listener);
        reject(new Error(`waitFor(${String(event)}) timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      emitter.on(event as string, listener);
    });
  }

  /** Listen (again, on the same port after a {@link stop}). */
  async start(): Promise<this> {
    const server = createServer({ key: this.cert.key, cert: this.cert.cert });
    server.on('upgrade', (req, socket, head) => this.#upgrade(req.url ?? '/', req, socket, head));
    server.listen(this.#port, this.host);
    await once(server, 'listening');
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stop listening and drop every socket without a close frame (the endpoint "goes down"). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#open) s.ws.terminate();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #behaviour(path: string): PathBehaviour {
    return this.paths.get(path) ?? this.defaultBehaviour;
  }

  #upgrade(path: string, req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer): void {
    const b = this.#behaviour(path);
    if (b.refuseStatus) {
      socket.end(`HTTP/1.1 ${b.refuseStatus} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(path, b, ws));
  }

  #accept(path: string, b: PathBehaviour, ws: WebSocket): void {
    const label = b.label ?? path;
    const sock: ServerSocket = {
      id: nextSocketId++,
      path,
      label,
      ws,
      connected: false,
      send: (data, options) => ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data), { binary: options?.binary ?? false }),
      close: (code, reason) => ws.close(code, reason),
    };
    this.#open.add(sock);
    this.#total.set(label, (this.#total.get(label) ?? 0) + 1);
    const now = this.sockets(label).length;
    this.#max.set(label, Math.max(this.#max.get(label) ?? 0, now));
    ws.on('error', () => {});
    ws.on('ping', (data) => {
      this.emit('ping', sock);
      if (this.#behaviour(path).autoPong !== false && ws.readyState === WebSocket.OPEN) ws.pong(data);
    });
    ws.on('close', (code, reason) => {
      this.#open.delete(sock);
      this.emit('close', sock, { code, reason: reason.toString('utf8') });
    });
    ws.on('message', (raw, isBinary) => this.#message(sock, raw, isBinary));
    this.emit('socket', sock);
  }

  #message(sock: ServerSocket, raw: RawData, isBinary: boolean): void {
    const b = this.#behaviour(sock.path);
    let message: unknown = raw;
    if (!isBinary) {
      try {
        message = JSON.parse(raw.toString());
      } catch {
        /* passed on raw */
      }
    }
    const m = message as Message;
    if (!sock.connectRequest && m && m.type === 'CONNECT' && m.subType === 'REQUEST') {
      sock.connectRequest = m;
      this.emit('connectRequest', sock, m);
      const answer = () => this.#answerConnect(sock, b, m);
      if (b.connectDelayMs) setTimeout(answer, b.connectDelayMs);
      else answer();
      return;
    }
    this.emit('message', sock, message);
    b.onMessage?.(message, sock, raw, isBinary);
  }

  #answerConnect(sock: ServerSocket, b: PathBehaviour, request: Message): void {
    if (sock.ws.readyState !== WebSocket.OPEN) return;
    const mode = b.connect ?? 'accept';
    const ts = Math.floor(Date.now() / 1000);
    if (typeof mode === 'function') {
      mode(request, sock);
      return;
    }
    if (mode === 'ignore') return;
    if (mode === 'wrong-id') {
      sock.send(connectResponse('00000000-0000-4000-8000-000000000000', true, ts));
      return;
    }
    const token = (request.payload as { token?: unknown }).token;
    const valid = mode === 'accept' && (b.token === undefined || token === b.token);
    sock.send(connectResponse(request.id, valid, ts));
    if (valid) {
      sock.connected = true;
      this.emit('connected', sock);
      b.onConnected?.(sock);
    }
  }
}

/** Start a {@link TestWssServer} (certificate generated at test time unless given). */
export async function startWssServer(options: WssServerOptions = {}): Promise<TestWssServer> {
  const host = options.host ?? '127.0.0.1';
  const cert = options.cert ?? (await testCertificate(host));
  return new TestWssServer({ ...options, host, cert }).start();
}
