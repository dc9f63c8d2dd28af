import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { epochSeconds, systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ConnectError, DecodeError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { MAX_FRAME_BYTES, connectRequest, decode, newMessageId, preview, summarize, type Message } from '../protocol/index.js';
import { Barrier } from './barrier.js';
import type { Channel, Router } from './channel.js';
import { sendableCloseCode, truncateReason } from './close-codes.js';
import { connectResponseProblem, socketOptions } from './handshake.js';
import { Keepalive } from './keepalive.js';
import { classifyOpenError } from './open-error.js';
import type { TrustAnchor } from './tls-pin.js';
import { OVERSIZE_REASON, type CloseInfo, type CloseOptions, type ConnectionEvents, type ConnectionSettings, type ConnectionStats, type ConnectionStatus, type EndpointIdentity, type EndpointTarget } from './types.js';

export * from './types.js';

/** Legal status transitions; anything else is a bug and throws. */
const TRANSITIONS: Record<ConnectionStatus, readonly ConnectionStatus[]> = {
  idle: ['opening', 'closed'],
  opening: ['handshaking', 'closing'],
  handshaking: ['connected', 'closing'],
  connected: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** Options of {@link EndpointConnection}. */
export interface EndpointConnectionOptions extends ConnectionSettings {
  endpoint: EndpointTarget;
  /**
   * The decrypted token, sent in the CONNECT REQUEST only after the peer's certificate was verified, and not kept
   * by the connection after that.
   */
  token: string;
  /** Where decoded messages (other than the CONNECT RESPONSE) go. */
  router: Router;
  clock?: Clock;
  logger?: Logger;
}

let nextConnectionId = 1;

/** The connection a socket belongs to, set on the socket (its listeners are shared functions: see `#socketListeners`). */
const OWNER = Symbol('nbwss.connection');

/** A `ws` socket of an {@link EndpointConnection}. */
type OwnedSocket = WebSocket & { [OWNER]: EndpointConnection };

/**
 * One socket to one endpoint (spec §3, §6, §7): TLS pinned to the stored certificate, the CONNECT handshake,
 * keepalive, the 2 MB frame cap and the decoder policy. Every way it can end — failed attempt, peer close,
 * keepalive budget, decoder policy, shutdown — goes through {@link close}, which records why exactly once.
 *
 * One barrier: every callback the socket makes into this class (and through it into the routed handlers and the
 * event listeners) runs inside a {@link Barrier}. An exception nobody expected closes this connection with 1011 (or
 * fails this attempt), is logged once, and goes no further: other connections and the process carry on.
 */
export class EndpointConnection extends EventEmitter<ConnectionEvents> implements Channel {
  readonly groupId: string;
  readonly hostName: string;
  readonly connectionId = nextConnectionId++;

  /**
   * The socket's listeners, one set for every connection: each finds its connection on the socket (`this`) and runs
   * inside that connection's barrier. Closures per socket (two per event) cost ~0.8 KB per connection at thousands.
   */
  static readonly #socketListeners = {
    open(this: WebSocket): void {
      const c = (this as OwnedSocket)[OWNER];
      c.#barrier.run('open', () => c.#onOpen());
    },
    message(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
      const c = (this as OwnedSocket)[OWNER];
      c.#barrier.run('message', () => c.#onMessage(data as Buffer, isBinary));
    },
    pong(this: WebSocket, data: Buffer): void {
      const c = (this as OwnedSocket)[OWNER];
      c.#barrier.run('pong', () => c.#onPong(data));
    },
    error(this: WebSocket, err: Error): void {
      const c = (this as OwnedSocket)[OWNER];
      c.#barrier.run('error', () => c.#onError(err));
    },
    close(this: WebSocket, code: number, reason: Buffer): void {
      const c = (this as OwnedSocket)[OWNER];
      c.#barrier.run('close', () => c.#onClose(code, reason.toString('utf8')));
    },
  };
  /** The endpoint this socket goes to (its trust anchor is held only while connecting: see {@link #anchor}). */
  readonly endpoint: Readonly<EndpointIdentity>;

  /** The settings and collaborators (not the endpoint, not the token). */
  readonly #o: Omit<EndpointConnectionOptions, 'endpoint' | 'token'>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #childLog: Logger | undefined;
  /** The pinned certificate (or CA) while connecting: dropped once CONNECTED, when nothing needs it any more. */
  #anchor: TrustAnchor | undefined;
  readonly #abort = new AbortController();
  readonly #keepalive: Keepalive;
  readonly #closed: Promise<CloseInfo>;
  readonly #barrier: Barrier;
  #resolveClosed!: (info: CloseInfo) => void;
  #status: ConnectionStatus = 'idle';
  #token: string | undefined;
  #ws: WebSocket | undefined;
  #connectId: string | undefined;
  #attempt: { resolve: () => void; reject: (err: ConnectError) => void; error?: Promise<ConnectError> } | undefined;
  #attemptTimer: TimerHandle | undefined;
  #closeInfo: CloseInfo | undefined;
  #connectedSince: number | null = null;
  #closedAt = 0;
  #messagesIn = 0;
  #messagesOut = 0;

  constructor(options: EndpointConnectionOptions) {
    super();
    // Only what the connection needs is kept, not the caller's endpoint record (which may carry the encrypted
    // token, the last error…): thousands of sockets each holding a record add up.
    const { endpoint, token, ...rest } = options;
    const { hostName, url, groupId, priority, certPem, certFingerprint, caPem } = endpoint;
    this.endpoint = { hostName, url, groupId, priority, certFingerprint };
    this.#anchor = { certPem, certFingerprint, caPem };
    this.#o = rest;
    this.#token = token; // kept only until the CONNECT REQUEST is sent
    this.groupId = groupId;
    this.hostName = hostName;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger();
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#barrier = new Barrier(() => this.#log, () => this.#status, (where, err) => this.#onFault(where, err));
    this.#keepalive = new Keepalive({
      clock: this.#clock,
      intervalMs: options.keepAliveIntervalMs,
      maxMisses: options.maxPongMissAllowed,
      sendPing: (data) => this.#ws?.ping(data),
      onDead: (misses) => void this.close({ code: 1006, reason: `keepalive: ${misses} consecutive pongs missed`, terminate: true }),
    });
  }

  /** This connection's logger, made on first use (most connections never log: no child logger per socket). */
  get #log(): Logger {
    return (this.#childLog ??= this.#logger.child({ groupId: this.groupId, hostName: this.hostName, connectionId: this.connectionId }));
  }

  /** The endpoint with its trust anchor: what opening the socket and explaining its failure need. */
  #target(): EndpointTarget {
    return { ...this.endpoint, ...this.#anchor! };
  }

  /** Current lifecycle status. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** True while CONNECTED and the socket is open. */
  get isOpen(): boolean {
    return this.#status === 'connected' && this.#ws?.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Aborted (with the close reason) as soon as the teardown starts. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Resolves once the socket is fully closed (never rejects). */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** Figures for the admin surface. */
  get stats(): ConnectionStats {
    const c = this.#closeInfo;
    return {
      status: this.#status,
      connectedSince: this.#connectedSince,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      lastClose: c && this.#status === 'closed' ? { code: c.code, reason: c.reason, initiator: c.initiator, at: this.#closedAt } : null,
      ...this.#keepalive.stats,
    };
  }

  /**
   * Open the socket and run the CONNECT handshake. Resolves when CONNECTED; rejects with a {@link ConnectError}
   * once the socket is fully closed again (so a caller that moves on to the next endpoint never has two sockets).
   * `signal` aborts the attempt. Callable once.
   */
  connect(signal?: AbortSignal): Promise<void> {
    this.#transition('opening');
    const promise = new Promise<void>((resolve, reject) => (this.#attempt = { resolve, reject }));
    try {
      this.#open(promise, signal);
    } catch (err) {
      // e.g. `ws` refusing the url (a #fragment), or a stored certificate the TLS layer cannot load: the attempt
      // fails like any other, through the one teardown path.
      const detail = err instanceof Error ? err.message : summarize(err);
      this.#failAttempt(new ConnectError('setup', `cannot open a connection to ${this.hostName}: ${detail}`, { cause: err }), 1006, true);
    }
    return promise;
  }

  /** The part of {@link connect} that may throw: socket first, then the listeners, the timer and the abort. */
  #open(promise: Promise<void>, signal: AbortSignal | undefined): void {
    const timeoutMs = this.#o.handshakeTimeoutMs;
    const ws = new WebSocket(this.endpoint.url, socketOptions(this.#target(), this.#o)) as OwnedSocket;
    ws[OWNER] = this;
    this.#ws = ws;
    const on = EndpointConnection.#socketListeners;
    ws.on('open', on.open);
    ws.on('message', on.message);
    ws.on('pong', on.pong);
    ws.on('error', on.error);
    ws.on('close', on.close);
    this.#attemptTimer = this.#clock.setTimeout(
      () => this.#failAttempt(new ConnectError('handshake_timeout', `no CONNECT RESPONSE from ${this.hostName} within ${timeoutMs} ms`), 1000, true),
      timeoutMs,
    );
    if (signal) {
      const onAbort = () => this.#failAttempt(new ConnectError('aborted', `connection attempt to ${this.hostName} aborted`), 1001, false);
      if (signal.aborted) {
        queueMicrotask(onAbort);
      } else {
        // Only the attempt listens: once it settles, the (long-lived, shared) signal forgets this connection.
        signal.addEventListener('abort', onAbort, { once: true });
        const forget = () => signal.removeEventListener('abort', onAbort);
        promise.then(forget, forget);
      }
    }
  }

  /**
   * Send one message as one text frame (a string as is). False when not CONNECTED, or when the frame is over
   * {@link MAX_FRAME_BYTES} (the endpoint would close with 1009; builders keep frames under it, so this is logged as
   * a bug): nothing is sent.
   */
  send(message: object | string): boolean {
    if (!this.isOpen) return false;
    const frame = typeof message === 'string' ? message : JSON.stringify(message);
    const bytes = Buffer.byteLength(frame, 'utf8');
    if (bytes > MAX_FRAME_BYTES) {
      this.#log.error({ bytes, maxBytes: MAX_FRAME_BYTES, preview: preview(frame, 120) }, 'frame over 2 MiB not sent: the endpoint would close with 1009');
      return false;
    }
    // No corking of the socket per tick: measured with bench/commands.ts, it made no difference (docs/commands.md).
    this.#ws!.send(frame);
    this.#messagesOut++;
    return true;
  }

  /**
   * The one teardown path: stop timers, abort {@link signal}, send a close frame (or destroy the socket), record
   * why. The first call's code and reason win; later calls just wait. Resolves when the socket is fully closed.
   */
  close(options: CloseOptions): Promise<CloseInfo> {
    if (this.#status === 'closing' || this.#status === 'closed') return this.#closed;
    const wasConnected = this.#status === 'connected';
    this.#closeInfo = { code: options.code, reason: options.reason, cause: options.cause, initiator: 'local', wasConnected };
    if (this.#status === 'idle') {
      this.#transition('closed');
      this.#finish();
      return this.#closed;
    }
    this.#transition('closing');
    this.#stopActivity(options.reason);
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) {
      this.#finish(); // no socket (set-up threw) or already closed
    } else if (options.terminate || ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else if (ws.readyState === WebSocket.OPEN) {
      ws.close(sendableCloseCode(options.code), truncateReason(options.reason));
    }
    // CLOSING: ws is already closing (e.g. its own 1009); the 'close' event finishes the teardown.
    return this.#closed;
  }

  /** What the barrier does with an unexpected exception: close this connection (or fail this attempt) with 1011. */
  #onFault(where: string, err: unknown): void {
    const reason = `internal error (${where})`;
    if (this.#status === 'opening' || this.#status === 'handshaking') {
      this.#failAttempt(new ConnectError('internal', `${this.hostName}: ${reason}`, { cause: err }), 1011, false);
    } else if (this.#status === 'connected') {
      void this.close({ code: 1011, reason, cause: err });
    }
  }

  #transition(to: ConnectionStatus): void {
    if (!TRANSITIONS[this.#status].includes(to)) throw new Error(`EndpointConnection ${this.hostName}: illegal transition ${this.#status} → ${to}`);
    this.#status = to;
  }

  #stopActivity(reason: string): void {
    this.#keepalive.stop();
    this.#clock.clearTimeout(this.#attemptTimer);
    this.#attemptTimer = undefined;
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error(reason));
  }

  #failAttempt(err: ConnectError, code: number, terminate: boolean): void {
    if (!this.#attempt || (this.#status !== 'opening' && this.#status !== 'handshaking')) return;
    this.#attempt.error ??= Promise.resolve(err);
    void this.close({ code, reason: err.message, cause: err, terminate });
  }

  #onOpen(): void {
    if (this.#status !== 'opening') return;
    this.#transition('handshaking');
    this.#connectId = newMessageId();
    // The peer's certificate has been verified by now (checkServerIdentity ran before the upgrade was written).
    this.#ws!.send(JSON.stringify(connectRequest(this.#token ?? '', epochSeconds(this.#clock), this.#connectId)));
    this.#token = undefined;
    this.#messagesOut++;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#status !== 'handshaking' && this.#status !== 'connected') return;
    this.#messagesIn++;
    let message: Message;
    try {
      message = decode(data, isBinary);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err; // not the peer's fault: the barrier closes with 1011
      this.#decoderPolicy(err, data);
      return;
    }
    if (this.#status === 'handshaking') {
      this.#onHandshakeMessage(message);
      return;
    }
    if (message.type === 'CONNECT' && message.subType === 'RESPONSE') {
      this.#log.warn({ id: message.id }, 'CONNECT RESPONSE after the connection was established: ignored');
      return;
    }
    const handler = this.#o.router.get(message.type, message.subType);
    if (!handler) {
      this.#decoderPolicy(new DecodeError('NBWSS_ERR_DECODE_TYPE', `no handler for ${message.type} ${message.subType}`, 1007), data);
      return;
    }
    handler(message, this); // handlers must not throw; if one does, the barrier closes this connection with 1011
  }

  #onHandshakeMessage(message: Message): void {
    const problem = connectResponseProblem(message, this.#connectId!, this.hostName);
    if (problem) {
      this.#failAttempt(problem.error, problem.closeCode, false);
      return;
    }
    this.#clock.clearTimeout(this.#attemptTimer);
    this.#attemptTimer = undefined;
    this.#anchor = undefined;
    this.#connectId = undefined;
    this.#transition('connected');
    this.#connectedSince = this.#clock.now();
    this.#keepalive.start();
    const attempt = this.#attempt!;
    this.#attempt = undefined;
    attempt.resolve();
    this.emit('connected');
  }

  #decoderPolicy(err: DecodeError, data: Buffer): void {
    const fields = { code: err.code, closeCode: err.closeCode, reason: err.message, preview: preview(data) };
    if (this.#o.ignoreDecoder) {
      this.#log.warn(fields, 'undecodable frame ignored (exception.ignoreDecoder=true)');
      this.emit('decodeError', { code: err.code, ignored: true });
      return;
    }
    this.#log.warn(fields, 'undecodable frame: closing the connection (exception.ignoreDecoder=false)');
    this.emit('decodeError', { code: err.code, ignored: false });
    if (this.#status === 'handshaking') {
      this.#failAttempt(new ConnectError('rejected', `${this.hostName} sent an undecodable frame before the CONNECT RESPONSE: ${err.message}`, { cause: err }), err.closeCode, false);
    } else {
      void this.close({ code: err.closeCode, reason: err.message, cause: err });
    }
  }

  #onPong(data: Buffer): void {
    const rttMs = this.#keepalive.pong(data);
    if (rttMs !== undefined) this.emit('pong', { rttMs });
  }

  #onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (this.#status === 'opening') {
      if (this.#attempt && !this.#attempt.error) {
        this.#attempt.error = classifyOpenError(err, this.#target(), this.#o.handshakeTimeoutMs);
        void this.close({ code: 1006, reason: err.message, cause: err, terminate: true });
      }
      return;
    }
    if (this.#status === 'closing' || this.#status === 'closed') {
      this.#log.debug({ err }, 'socket error while closing');
      return;
    }
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.#log.warn({ maxPayload: this.#o.maxPayload ?? MAX_FRAME_BYTES }, `${OVERSIZE_REASON}: closing with 1009`);
      this.#failAttempt(new ConnectError('rejected', `${this.hostName}: ${OVERSIZE_REASON}`, { cause: err }), 1009, false);
      void this.close({ code: 1009, reason: OVERSIZE_REASON, cause: err });
      return;
    }
    const closeCode = code === 'WS_ERR_INVALID_UTF8' ? 1007 : code?.startsWith('WS_ERR_') ? 1002 : 1006;
    this.#log.warn({ err, closeCode }, 'socket error');
    this.#failAttempt(new ConnectError('closed', `${this.hostName}: ${err.message}`, { cause: err }), closeCode, closeCode === 1006);
    void this.close({ code: closeCode, reason: err.message, cause: err, terminate: closeCode === 1006 });
  }

  #onClose(code: number, reason: string): void {
    if (this.#status !== 'closing') {
      // The peer closed (or the socket dropped) first.
      const wasConnected = this.#status === 'connected';
      const text = reason || (code === 1006 ? 'connection lost (no close frame)' : 'closed by the endpoint');
      if (this.#status === 'handshaking' && this.#attempt) {
        this.#attempt.error ??= Promise.resolve(new ConnectError('closed', `${this.hostName} closed the connection before the CONNECT RESPONSE (${code} ${text})`));
      }
      this.#closeInfo = { code, reason: text, initiator: 'peer', wasConnected };
      this.#transition('closing');
      this.#stopActivity(text);
    }
    this.#finish();
  }

  /** Final step of the teardown: once the socket is closed. */
  #finish(): void {
    if (this.#status === 'closing') this.#transition('closed');
    const ws = this.#ws;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late error on a dead socket must not crash the process
    }
    this.#closedAt = this.#clock.now();
    const info = this.#closeInfo!;
    const attempt = this.#attempt;
    this.#attempt = undefined;
    this.#resolveClosed(info);
    if (attempt) {
      const fallback = new ConnectError('closed', `${this.hostName}: ${info.reason}`, { cause: info.cause });
      void (attempt.error ?? Promise.resolve(fallback)).then(attempt.reject, () => attempt.reject(fallback));
    }
    if (info.wasConnected) {
      this.#log.info({ code: info.code, reason: info.reason, initiator: info.initiator }, 'connection closed');
      try {
        this.emit('disconnected', info);
      } catch (err) {
        this.#barrier.fault('disconnected listener', err);
      }
    }
  }
}
