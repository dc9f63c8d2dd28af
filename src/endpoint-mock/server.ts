import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname as machineName } from 'node:os';
import { WebSocketServer, type WebSocket } from 'ws';
import { fingerprint256, generateCertificate } from '../certificates.js';
import { epochSeconds, systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { commandRequest, type CommandResponsePayload } from '../protocol/index.js';
import { CommandTracker } from './command-tracker.js';
import { payloadDigest } from '../conformance/index.js';
import { MockConnection, type ConnectionHost } from './connection.js';
import { buildEndpointDetails, writeDetailsFile, type EndpointDetailsOptions } from './details.js';
import {
  MockEndpointError,
  NO_FAULTS,
  type MockCloseOptions,
  type ConnectionInfo,
  type EndpointDetails,
  type MockEndpointEvents,
  type MockEndpointFaults,
  type MockEndpointOptions,
  type MockEndpointStats,
  type MockCommand,
  type RecordedMessage,
  type SendCommandOptions,
} from './types.js';

const MAX_SEEN = 10_000;
/** How long a closing handshake may take before the socket is dropped. */
const CLOSE_GRACE_MS = 2_000;

function bounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

function validateFaults(f: Partial<MockEndpointFaults>): void {
  const bad = (what: string) => new MockEndpointError('NBWSS_ERR_MOCK_OPTIONS', what);
  if (f.ackDelayMs !== undefined && (!Number.isFinite(f.ackDelayMs) || f.ackDelayMs < 0)) throw bad(`ackDelayMs must be >= 0, got ${f.ackDelayMs}`);
  if (f.closeAfter !== undefined && (!Number.isInteger(f.closeAfter) || f.closeAfter < 0)) throw bad(`closeAfter must be a whole number >= 0, got ${f.closeAfter}`);
  if (f.idleCloseMs !== undefined && (!Number.isFinite(f.idleCloseMs) || f.idleCloseMs < 0)) throw bad(`idleCloseMs must be >= 0, got ${f.idleCloseMs}`);
  if (f.wrongId !== undefined && f.wrongId !== false && f.wrongId !== 'connect' && f.wrongId !== 'ack') throw bad(`wrongId must be false, "connect" or "ack", got ${String(f.wrongId)}`);
}

/**
 * The name a mock endpoint listening on `host` goes by (`hostName`, or the host, or the machine's name for a
 * wildcard address) and the names its generated certificate covers (that name first).
 */
export function endpointHosts(host: string, hostName?: string): { hostName: string; hosts: string[] } {
  const unspecified = host === '0.0.0.0' || host === '::' || host === '';
  const name = hostName ?? (unspecified ? machineName() : host);
  return { hostName: name, hosts: [...new Set([name, ...(unspecified ? ['localhost', '127.0.0.1'] : [host])])] };
}

/**
 * Start a mock cloud endpoint: a `wss://` server that plays the endpoint side of NBWSS (spec §2–§6) and records
 * and checks everything NetBackup sends it. Resolves once it listens.
 */
export async function createMockEndpoint(options: MockEndpointOptions = {}): Promise<MockEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const { hostName, hosts } = endpointHosts(host, options.hostName);
  if ((options.cert === undefined) !== (options.key === undefined)) throw new MockEndpointError('NBWSS_ERR_MOCK_OPTIONS', 'cert and key must be given together');
  const pair = options.cert && options.key ? { cert: options.cert, key: options.key } : await generateCertificate({ hosts });
  const endpoint = new MockEndpoint(options, host, hostName, pair);
  await endpoint.listen(options.port ?? 0);
  return endpoint;
}

/**
 * The mock endpoint. Create it with {@link createMockEndpoint}. Events: see {@link MockEndpointEvents}.
 */
export class MockEndpoint extends EventEmitter<MockEndpointEvents> {
  /** Name used in the URL and the endpoint JSON. */
  readonly hostName: string;
  /** WebSocket path. */
  readonly path: string;
  /** The served certificate, PEM. */
  readonly certPem: string;
  /** SHA-256 fingerprint of the served certificate, `AA:BB:…` (what `nbwss endpoints add --fingerprint` takes). */
  readonly fingerprint256: string;
  /** The token CONNECT REQUESTs must carry. */
  readonly token: string;
  readonly #host: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #https: Server;
  readonly #wss: WebSocketServer;
  readonly #commandTimeoutMs: number;
  readonly #maxRecorded: number;
  readonly #connections = new Map<number, MockConnection>();
  readonly #records: RecordedMessage[] = [];
  readonly #seen = new Map<string, { timesSeen: number; firstSeenAt: number; digest: string }>();
  readonly #commands: CommandTracker;
  readonly #stats: Omit<MockEndpointStats, 'openSockets' | 'connectedSockets'> = {
    totalConnections: 0,
    maxConcurrentSockets: 0,
    notificationsReceived: 0,
    duplicateNotifications: 0,
    notificationsAcknowledged: 0,
    commandsSent: 0,
    commandResponses: 0,
    problems: 0,
  };
  #faults: Readonly<MockEndpointFaults>;
  #port = 0;
  #seq = 0;
  #closing: Promise<void> | undefined;
  readonly #connectionHost: ConnectionHost;

  /** @internal use {@link createMockEndpoint}. */
  constructor(options: MockEndpointOptions, host: string, hostName: string, pair: { cert: string; key: string }) {
    super();
    if (options.faults) validateFaults(options.faults);
    this.#host = host;
    this.hostName = hostName;
    this.path = options.path ?? '/nbwss';
    this.certPem = pair.cert;
    this.fingerprint256 = fingerprint256(pair.cert);
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger()).child({ subsystem: 'endpoint-mock' });
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.#maxRecorded = options.maxRecorded ?? 1_000;
    this.#faults = Object.freeze({ ...NO_FAULTS, ...options.faults });
    this.#commands = new CommandTracker(this.#clock);
    this.#connectionHost = this.#makeConnectionHost(options);
    this.#https = createServer({ cert: pair.cert, key: pair.key }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end(`nbwss mock endpoint: connect with ${this.url}\n`);
    });
    this.#https.on('tlsClientError', (err) => this.#log.debug({ err }, 'TLS handshake failed'));
    this.#wss = new WebSocketServer({ server: this.#https, path: this.path, autoPong: false, clientTracking: false, maxPayload: options.maxPayload ?? 16 * 1024 * 1024 });
    this.#wss.on('connection', (ws, req) => this.#accept(ws, req));
    this.#wss.on('error', (err) => this.#log.warn({ err }, 'websocket server error'));
  }

  /** @internal listen on `port` (0: any). */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#https.once('error', reject);
      this.#https.listen(port, this.#host, () => {
        this.#https.off('error', reject);
        const addr = this.#https.address();
        this.#port = typeof addr === 'object' && addr ? addr.port : port;
        this.#log.info({ url: this.url, fingerprint256: this.fingerprint256 }, 'mock endpoint listening');
        resolve();
      });
    });
  }

  /** Where it listens, and the `wss://` URL NetBackup dials (host part: {@link hostName}). */
  address(): { host: string; port: number; url: string } {
    return { host: this.#host, port: this.#port, url: this.url };
  }

  /** The `wss://` URL NetBackup dials. */
  get url(): string {
    const h = isIP(this.hostName) === 6 ? `[${this.hostName}]` : this.hostName;
    return `wss://${h}:${this.#port}${this.path}`;
  }

  /** The fault switches in force. */
  get faults(): Readonly<MockEndpointFaults> {
    return this.#faults;
  }

  /** Change fault switches at runtime; each applies to the next message it concerns. */
  setFaults(changes: Partial<MockEndpointFaults>): Readonly<MockEndpointFaults> {
    validateFaults(changes);
    this.#faults = Object.freeze({ ...this.#faults, ...changes });
    this.#log.info({ faults: this.#faults }, 'faults changed');
    return this.#faults;
  }

  /** Every message received so far (the last `maxRecorded`), in arrival order. */
  received(): RecordedMessage[] {
    return [...this.#records];
  }

  /** The sockets open now. */
  connections(): ConnectionInfo[] {
    return [...this.#connections.values()].map((c) => c.info());
  }

  /** Counters: sockets open now, ever, at most at once; notifications; commands; problems. */
  stats(): MockEndpointStats {
    const open = [...this.#connections.values()];
    return { openSockets: open.length, connectedSockets: open.filter((c) => c.status === 'CONNECTED').length, ...this.#stats };
  }

  /** The endpoint JSON of spec §8 (exactly five members) for this endpoint. */
  endpointDetails(options: EndpointDetailsOptions): EndpointDetails {
    return buildEndpointDetails({
      token: options.token ?? this.token,
      priority: options.priority,
      groupId: options.group,
      hostName: options.hostName ?? this.hostName,
      url: this.url,
    });
  }

  /** Write {@link endpointDetails} to `path` (mode 0600) and return them. */
  writeEndpointFile(path: string, options: EndpointDetailsOptions): EndpointDetails {
    const details = this.endpointDetails(options);
    writeDetailsFile(path, details);
    return details;
  }

  /**
   * Send a COMMAND REQUEST to the connected NetBackup and resolve with the COMMAND RESPONSE payload paired by id.
   * Rejects (coded {@link MockEndpointError}) when no socket is connected, on timeout, or when the socket closes first.
   */
  sendCommand(command: MockCommand, options: SendCommandOptions = {}): Promise<CommandResponsePayload> {
    const conn = this.#pickConnection(options.connectionId);
    if (!conn) return Promise.reject(new MockEndpointError('NBWSS_ERR_MOCK_NOT_CONNECTED', 'no NetBackup connection is established'));
    const { method, uri, headers, parameters } = command;
    const payload = {
      uri,
      method,
      ...(headers ? { headers } : {}),
      ...(parameters !== undefined ? { parameters: typeof parameters === 'string' ? parameters : JSON.stringify(parameters) } : {}),
    };
    const request = commandRequest(payload, epochSeconds(this.#clock));
    const result = this.#commands.track(conn.id, request, options.timeoutMs ?? this.#commandTimeoutMs);
    conn.noteCommandSent(request.id);
    this.#stats.commandsSent += 1;
    conn.send(request);
    this.emit('commandSent', { connection: conn.info(), request });
    return result;
  }

  /** Send any frame as is (drills of NetBackup's decoder policy). False when that socket is not open. */
  sendRaw(data: string | object, connectionId?: number): boolean {
    const conn = this.#pickConnection(connectionId, true);
    return conn ? conn.send(data) : false;
  }

  /**
   * Resolve with the next `event` whose argument satisfies `predicate`; reject after `timeoutMs` (default 10 s).
   * For tests and the demo: await what happens instead of sleeping.
   */
  waitFor<K extends keyof MockEndpointEvents>(event: K, predicate: (arg: MockEndpointEvents[K][0]) => boolean = () => true, timeoutMs = 10_000): Promise<MockEndpointEvents[K][0]> {
    return new Promise((resolve, reject) => {
      const listener = (arg: MockEndpointEvents[K][0]) => {
        if (!predicate(arg)) return;
        this.#clock.clearTimeout(timer);
        this.off(event, listener as never);
        resolve(arg);
      };
      // a waiter must not hold the process open
      const timer = this.#clock.setTimeout(() => {
        this.off(event, listener as never);
        reject(new MockEndpointError('NBWSS_ERR_MOCK_WAIT_TIMEOUT', `no matching "${String(event)}" event within ${timeoutMs} ms`));
      }, timeoutMs).unref();
      this.on(event, listener as never);
    });
  }

  /** Close every open socket (the server keeps listening); resolves when they are closed. */
  disconnectAll(options: MockCloseOptions = {}): Promise<void> {
    return this.#closeSockets(options.code ?? 1000, options.reason ?? 'mock endpoint disconnects', options.terminate ?? false);
  }

  /** Close every socket (default code 1001), stop listening, and resolve when all is closed. Idempotent. */
  close(options: MockCloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.#closeSockets(options.code ?? 1001, options.reason ?? 'mock endpoint shutting down', options.terminate ?? false);
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        this.#https.close(() => resolve());
        this.#https.closeAllConnections();
      });
      this.#log.info({ url: this.url }, 'mock endpoint closed');
    })();
    return this.#closing;
  }

  async #closeSockets(code: number, reason: string, terminate: boolean): Promise<void> {
    const open = [...this.#connections.values()];
    if (open.length === 0) return;
    const allClosed = Promise.all(open.map((c) => (c.status === 'CLOSED' ? undefined : this.waitFor('close', (e) => e.connection.id === c.id, CLOSE_GRACE_MS * 2).catch(() => undefined))));
    // a peer that never answers the close frame is dropped after a grace period
    const fallback = this.#clock.setTimeout(() => open.forEach((c) => c.terminate()), CLOSE_GRACE_MS);
    for (const c of open) {
      if (terminate) c.terminate();
      else c.close(code, reason);
    }
    await allClosed;
    this.#clock.clearTimeout(fallback);
  }

  #pickConnection(id?: number, anyStatus = false): MockConnection | undefined {
    if (id !== undefined) {
      const c = this.#connections.get(id);
      return c && (anyStatus || c.status === 'CONNECTED') ? c : undefined;
    }
    let best: MockConnection | undefined;
    for (const c of this.#connections.values()) {
      if (c.status !== 'CONNECTED' && !(anyStatus && c.status === 'OPEN')) continue;
      if (!best || c.connectedAt >= best.connectedAt) best = c;
    }
    return best;
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.#closing) {
      ws.terminate();
      return;
    }
    this.#stats.totalConnections += 1;
    const conn = new MockConnection(this.#stats.totalConnections, ws, { address: req.socket.remoteAddress, port: req.socket.remotePort }, this.#connectionHost);
    this.#connections.set(conn.id, conn);
    this.#stats.maxConcurrentSockets = Math.max(this.#stats.maxConcurrentSockets, this.#connections.size);
    this.#log.info({ connectionId: conn.id, remote: `${conn.remoteAddress}:${conn.remotePort}` }, 'socket opened');
    this.emit('connection', { connection: conn.info() });
  }

  #makeConnectionHost(options: MockEndpointOptions): ConnectionHost {
    const tokenBytes = Buffer.from(this.token, 'utf8');
    return {
      clock: this.#clock,
      log: this.#log,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      rejectCloseGraceMs: options.rejectCloseGraceMs ?? 5_000,
      faults: () => this.#faults,
      tokenValid: (token) => {
        if (typeof token !== 'string') return false;
        const given = Buffer.from(token, 'utf8');
        return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
      },
      seenNotification: (request) => {
        const entry = this.#seen.get(request.id);
        if (entry) {
          entry.timesSeen += 1;
          return { ...entry };
        }
        const fresh = { timesSeen: 1, firstSeenAt: this.#clock.now(), digest: payloadDigest(request.payload) };
        bounded(this.#seen, request.id, fresh, MAX_SEEN);
        return { ...fresh };
      },
      record: (conn, entry) => {
        const record: RecordedMessage = { seq: ++this.#seq, connectionId: conn.id, receivedAt: this.#clock.now(), ...entry };
        this.#records.push(record);
        if (this.#records.length > this.#maxRecorded) this.#records.shift();
        this.#log.debug({ connectionId: conn.id, seq: record.seq, type: record.message?.type, subType: record.message?.subType, id: record.message?.id }, 'message received');
        this.emit('message', record);
        if (record.problems.length > 0) this.#reportProblems(conn, record.problems, record);
        return record;
      },
      connected: (conn, request) => {
        this.#log.info({ connectionId: conn.id }, 'CONNECT accepted');
        this.emit('connected', { connection: conn.info(), request });
      },
      otherConnected: (conn) => [...this.#connections.values()].some((c) => c !== conn && c.status === 'CONNECTED'),
      rejected: (conn, request, reason) => {
        this.#log.info({ connectionId: conn.id, reason }, 'CONNECT rejected');
        this.emit('rejected', { connection: conn.info(), request, reason });
      },
      notification: (event) => {
        this.#stats.notificationsReceived += 1;
        if (event.duplicate) this.#stats.duplicateNotifications += 1;
        this.emit('notification', event);
      },
      acknowledged: (conn, id, delayMs) => {
        this.#stats.notificationsAcknowledged += 1;
        this.emit('acknowledged', { connection: conn.info(), id, delayMs });
      },
      commandResponse: (conn, response) => {
        this.#stats.commandResponses += 1;
        const { request, rttMs, late, settle } = this.#commands.pair(conn.id, response);
        this.emit('commandResponse', { connection: conn.info(), request, response, rttMs, late });
        settle();
      },
      ping: (conn, answered) => this.emit('ping', { connection: conn.info(), answered }),
      problems: (conn, problems) => this.#reportProblems(conn, problems),
      closed: (conn, code, reason, by) => {
        this.#connections.delete(conn.id);
        this.#commands.connectionClosed(conn.id, code);
        this.#log.info({ connectionId: conn.id, code, reason, by }, 'socket closed');
        this.emit('close', { connection: conn.info(), code, reason, by });
      },
    };
  }

  #reportProblems(conn: MockConnection, problems: RecordedMessage['problems'], record?: RecordedMessage): void {
    this.#stats.problems += problems.length;
    for (const p of problems) this.#log.warn({ connectionId: conn.id, rule: p.rule, path: p.path, severity: p.severity }, `conformance: ${p.message}`);
    this.emit('problem', { connection: conn.info(), problems, ...(record ? { record } : {}) });
  }
}
