import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { epochSeconds, type Clock, type TimerHandle } from '../clock.js';
import { checkFromEndpoint, isObject, parseFrame, type Problem } from '../conformance/index.js';
import type { Channel } from '../connection/channel.js';
import { classifyOpenError } from '../connection/open-error.js';
import { pinnedTlsOptions } from '../connection/tls-pin.js';
import { connectRequest, newMessageId, sameId, type Message, type NotificationElement } from '../protocol/index.js';

/**
 * One socket to the endpoint under test, dialled as NetBackup dials (TLS pinned or CA-verified, no compression,
 * no redirects, the CONNECT REQUEST first) but lenient where NetBackup is strict: it records what a real NetBackup
 * would refuse (a message before the CONNECT RESPONSE, a frame over 2 MB, a wrong id) instead of closing, so every
 * deviation lands in the report and the run goes on. Every frame received is checked with the conformance rules.
 */

/** How the probe trusts the endpoint's certificate (decided by the TLS check). */
export type ProbeTrust = { kind: 'pin'; certPem: string; fingerprint: string } | { kind: 'ca'; caPem: string } | { kind: 'public' };

/** Largest frame the probe reads (it judges frames over 2 MB instead of dropping them): 16 MiB. */
export const PROBE_MAX_PAYLOAD = 16 * 1024 * 1024;

/** One frame received, as the report needs it (never the whole value: a frame may be megabytes). */
export interface ReceivedFrame {
  /** `main#1`, `wrong-token#2`: which probe. */
  connection: string;
  /** `COMMAND REQUEST`, `NOTIFICATION RESPONSE`, or `(unparsable)`. */
  kind: string;
  id: string | undefined;
  bytes: number;
  /** Received before this connection's CONNECT RESPONSE. */
  beforeConnect: boolean;
  problems: Problem[];
  /** For a COMMAND REQUEST: its method and uri (bounded). */
  command?: { method: string; uri: string };
}

/** How a socket ended. */
export interface ProbeClose {
  code: number;
  reason: string;
  /** Who started it: `netbackup` (the probe) or `endpoint` (the peer, or the network). */
  by: 'netbackup' | 'endpoint';
}

/** Outcome of {@link Probe.open}. */
export type OpenOutcome = { ok: true; ms: number } | { ok: false; reason: string; message: string; status?: number };

/** Outcome of {@link Probe.connect}. */
export type ConnectOutcome =
  | { kind: 'response'; ms: number; valid: unknown; id: string; requestId: string; problems: Problem[] }
  | { kind: 'timeout'; ms: number }
  | { kind: 'closed'; ms: number; close: ProbeClose };

/** Outcome of {@link Probe.notify}. */
export type AckOutcome =
  | { kind: 'ack'; ms: number; id: string; payloadEmpty: boolean; problems: Problem[] }
  | { kind: 'timeout'; ms: number }
  | { kind: 'closed'; ms: number; close: ProbeClose }
  | { kind: 'notOpen' };

/** Outcome of {@link Probe.ping}. */
export type PingOutcome = { kind: 'pong'; ms: number } | { kind: 'timeout'; ms: number } | { kind: 'closed'; close: ProbeClose } | { kind: 'notOpen' };

/** Options of {@link Probe}. */
export interface ProbeOptions {
  label: string;
  url: string;
  hostName: string;
  groupId: string;
  trust: ProbeTrust;
  clock: Clock;
  /** Limit for TCP + TLS + upgrade, and for the CONNECT RESPONSE (`connectionInfo.handshakeTimeout`). */
  handshakeTimeoutMs: number;
  /** A COMMAND REQUEST received once CONNECTED (the runner answers it through the COMMAND proxy). */
  onCommand?: (message: Message, probe: Probe) => void;
  /** Every frame received (the runner keeps them for the envelope and COMMAND checks). */
  onFrame?: (frame: ReceivedFrame) => void;
}

/** Typed events of a probe. */
export interface ProbeEvents {
  close: [ProbeClose];
}

let nextId = 1;

type Status = 'idle' | 'opening' | 'open' | 'connecting' | 'connected' | 'rejected' | 'closed';

/** See the module comment. Implements `Channel`, so the COMMAND proxy answers through it. */
export class Probe extends EventEmitter<ProbeEvents> implements Channel {
  readonly connectionId = nextId++;
  readonly label: string;
  readonly hostName: string;
  readonly groupId: string;
  readonly #o: ProbeOptions;
  readonly #abort = new AbortController();
  readonly #closed: Promise<ProbeClose>;
  readonly #responses = new Map<string, (frame: { value: Record<string, unknown>; problems: Problem[] }) => void>();
  readonly #pongs = new Map<string, () => void>();
  readonly #notificationIds = new Set<string>();
  #resolveClosed!: (c: ProbeClose) => void;
  #status: Status = 'idle';
  #ws: WebSocket | undefined;
  #connectId: string | undefined;
  #closeInfo: ProbeClose | undefined;
  #closingByUs = false;
  #pingSeq = 0;

  constructor(options: ProbeOptions) {
    super();
    this.#o = options;
    this.label = `${options.label}#${this.connectionId}`;
    this.hostName = options.hostName;
    this.groupId = options.groupId;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** True while CONNECTED and the socket is open. */
  get isOpen(): boolean {
    return this.#status === 'connected' && this.#ws?.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Aborted when the socket closes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Resolves when the socket has closed (never rejects). */
  get closed(): Promise<ProbeClose> {
    return this.#closed;
  }

  /** How the socket ended, once it has. */
  get closeInfo(): ProbeClose | undefined {
    return this.#closeInfo;
  }

  /** Send one frame (COMMAND RESPONSEs from the proxy). False when not CONNECTED. */
  send(message: object | string): boolean {
    if (!this.isOpen) return false;
    this.#ws!.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /** Open the socket: TCP, TLS as decided, the WebSocket upgrade. Nothing is sent yet. */
  open(): Promise<OpenOutcome> {
    if (this.#status !== 'idle') throw new Error(`probe ${this.label}: open() twice`);
    this.#status = 'opening';
    const started = this.#o.clock.monotonic();
    const trust = this.#o.trust;
    const tls =
      trust.kind === 'pin'
        ? pinnedTlsOptions({ certPem: trust.certPem, certFingerprint: trust.fingerprint, caPem: null })
        : trust.kind === 'ca'
          ? pinnedTlsOptions({ certPem: '', certFingerprint: '', caPem: trust.caPem })
          : { rejectUnauthorized: true };
    return new Promise<OpenOutcome>((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.#o.url, {
          ...tls,
          maxPayload: PROBE_MAX_PAYLOAD,
          perMessageDeflate: false,
          handshakeTimeout: this.#o.handshakeTimeoutMs,
          followRedirects: false,
          closeTimeout: 2000,
        } as unknown as WebSocket.ClientOptions);
      } catch (err) {
        this.#finish({ code: 1006, reason: (err as Error).message, by: 'netbackup' });
        resolve({ ok: false, reason: 'url', message: (err as Error).message });
        return;
      }
      this.#ws = ws;
      let settled = false;
      ws.once('open', () => {
        settled = true;
        this.#status = 'open';
        resolve({ ok: true, ms: this.#o.clock.monotonic() - started });
      });
      ws.on('error', (err) => {
        if (settled) return;
        settled = true;
        const anchor = trust.kind === 'pin' ? { certPem: trust.certPem, certFingerprint: trust.fingerprint, caPem: null } : { certPem: '', certFingerprint: '(public CAs)', caPem: trust.kind === 'ca' ? trust.caPem : null };
        void classifyOpenError(err, { hostName: this.hostName, url: this.#o.url, ...anchor }, this.#o.handshakeTimeoutMs).then((e) => {
          const status = /HTTP (\d{3})/.exec(e.message)?.[1];
          resolve({ ok: false, reason: e.reason, message: e.message, ...(status ? { status: Number(status) } : {}) });
        });
      });
      ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
      ws.on('pong', (data) => this.#pongs.get(data.toString('latin1'))?.());
      ws.on('close', (code, reason) => this.#finish({ code, reason: reason.toString('utf8').slice(0, 200), by: this.#closingByUs ? 'netbackup' : 'endpoint' }));
    });
  }

  /**
   * Send the CONNECT REQUEST with `token` and wait for the CONNECT RESPONSE (matched without regard to case), up
   * to the handshake timeout. A CONNECT RESPONSE with another id ends the wait too (NetBackup fails the attempt).
   */
  async connect(token: string): Promise<ConnectOutcome> {
    if (this.#status !== 'open') throw new Error(`probe ${this.label}: connect() in status ${this.#status}`);
    this.#status = 'connecting';
    const id = newMessageId();
    this.#connectId = id;
    const started = this.#o.clock.monotonic();
    const response = this.#expectResponse('CONNECT', this.#o.handshakeTimeoutMs);
    this.#ws!.send(JSON.stringify(connectRequest(token, epochSeconds(this.#o.clock), id)));
    const r = await response;
    const ms = this.#o.clock.monotonic() - started;
    if (r.kind === 'timeout') return { kind: 'timeout', ms };
    if (r.kind === 'closed') return { kind: 'closed', ms, close: r.close };
    const valid = isObject(r.value.payload) ? r.value.payload.valid : undefined;
    const matches = typeof r.value.id === 'string' && sameId(r.value.id, id);
    if (this.#status === 'connecting') this.#status = valid === true && matches ? 'connected' : 'rejected';
    return { kind: 'response', ms, valid, id: String(r.value.id), requestId: id, problems: r.problems };
  }

  /**
   * Send a NOTIFICATION REQUEST (a resend when `id` was sent before) and wait up to `waitMs` for the
   * NOTIFICATION RESPONSE with its id (matched without regard to case).
   */
  async notify(payload: NotificationElement[] | unknown[], waitMs: number, id: string = newMessageId()): Promise<AckOutcome> {
    if (!this.isOpen) return { kind: 'notOpen' };
    this.#notificationIds.add(id);
    const started = this.#o.clock.monotonic();
    const response = this.#expectResponse(`NOTIFICATION ${id}`, waitMs);
    this.#ws!.send(JSON.stringify({ version: '1.0', id, type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: epochSeconds(this.#o.clock), payload }));
    const r = await response;
    const ms = this.#o.clock.monotonic() - started;
    if (r.kind === 'timeout') return { kind: 'timeout', ms };
    if (r.kind === 'closed') return { kind: 'closed', ms, close: r.close };
    return { kind: 'ack', ms, id: String(r.value.id), payloadEmpty: Array.isArray(r.value.payload) && r.value.payload.length === 0, problems: r.problems };
  }

  /** Send a WebSocket ping and wait up to `waitMs` for its pong. */
  ping(waitMs: number): Promise<PingOutcome> {
    if (this.#closeInfo) return Promise.resolve({ kind: 'closed', close: this.#closeInfo });
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return Promise.resolve({ kind: 'notOpen' });
    const key = `nbwss-check-${++this.#pingSeq}`;
    const started = this.#o.clock.monotonic();
    return new Promise((resolve) => {
      const done = (outcome: PingOutcome) => {
        this.#o.clock.clearTimeout(timer);
        this.#pongs.delete(key);
        this.off('close', onClose);
        resolve(outcome);
      };
      const onClose = (close: ProbeClose) => done({ kind: 'closed', close });
      const timer = this.#o.clock.setTimeout(() => done({ kind: 'timeout', ms: this.#o.clock.monotonic() - started }), waitMs);
      this.#pongs.set(key, () => done({ kind: 'pong', ms: this.#o.clock.monotonic() - started }));
      this.on('close', onClose);
      this.#ws!.ping(Buffer.from(key, 'latin1'));
    });
  }

  /** Close with `code` (NetBackup closing) and wait until the socket is closed. */
  close(code = 1000, reason = 'nbwss check-endpoint'): Promise<ProbeClose> {
    if (this.#closeInfo) return this.#closed;
    this.#closingByUs = true;
    const ws = this.#ws;
    if (!ws) this.#finish({ code, reason, by: 'netbackup' });
    else if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    else ws.terminate();
    return this.#closed;
  }

  #expectResponse(key: string, waitMs: number): Promise<{ kind: 'frame'; value: Record<string, unknown>; problems: Problem[] } | { kind: 'timeout' } | { kind: 'closed'; close: ProbeClose }> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (r: Parameters<typeof resolve>[0]) => {
        this.#o.clock.clearTimeout(timer);
        this.#responses.delete(key);
        this.off('close', onClose);
        resolve(r);
      };
      const onClose = (close: ProbeClose) => done({ kind: 'closed', close });
      if (this.#closeInfo) {
        resolve({ kind: 'closed', close: this.#closeInfo });
        return;
      }
      timer = this.#o.clock.setTimeout(() => done({ kind: 'timeout' }), waitMs);
      this.#responses.set(key, (frame) => done({ kind: 'frame', ...frame }));
      this.on('close', onClose);
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const parsed = parseFrame(data, isBinary);
    const value = parsed.value;
    const context = { bytes: data.length, nowSeconds: epochSeconds(this.#o.clock), notificationIds: this.#notificationIds, ...(this.#connectId ? { connectRequestId: this.#connectId } : {}) };
    const problems = [...parsed.problems, ...(value ? checkFromEndpoint(value, context) : [])];
    const type = value && typeof value.type === 'string' ? value.type : undefined;
    const subType = value && typeof value.subType === 'string' ? value.subType : undefined;
    const id = value && typeof value.id === 'string' ? value.id : undefined;
    const kind = value ? `${type ?? '?'} ${subType ?? '?'}` : '(unparsable)';
    const beforeConnect = this.#status === 'open' || (this.#status === 'connecting' && kind !== 'CONNECT RESPONSE');
    const frame: ReceivedFrame = { connection: this.label, kind, id: id?.slice(0, 80), bytes: data.length, beforeConnect, problems };
    if (kind === 'COMMAND REQUEST' && isObject(value!.payload)) {
      const p = value!.payload;
      frame.command = { method: String(p.method).slice(0, 16), uri: String(p.uri).slice(0, 200) };
    }
    this.#o.onFrame?.(frame);
    if (!value) return;
    if (kind === 'CONNECT RESPONSE' && this.#status === 'connecting') {
      this.#responses.get('CONNECT')?.({ value, problems });
    } else if (kind === 'NOTIFICATION RESPONSE' && id !== undefined) {
      this.#responses.get(`NOTIFICATION ${id.toUpperCase()}`)?.({ value, problems });
    } else if (kind === 'COMMAND REQUEST' && this.#status === 'connected' && typeof value.id === 'string' && isObject(value.payload)) {
      this.#o.onCommand?.(value as unknown as Message, this);
    }
  }

  #finish(close: ProbeClose): void {
    if (this.#closeInfo) return;
    this.#closeInfo = close;
    this.#status = 'closed';
    const ws = this.#ws;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined); // a late error on a dead socket must not crash the process
    }
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error(`closed ${close.code}`));
    this.#resolveClosed(close);
    this.emit('close', close);
  }
}
