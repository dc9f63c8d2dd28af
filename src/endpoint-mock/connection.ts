import type { WebSocket, RawData } from 'ws';
import { epochSeconds, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import {
  commandRequest,
  connectResponse,
  decode,
  newMessageId,
  notificationResponse,
  preview,
  type CommandResponse,
  type ConnectRequest,
  type Message,
  type NotificationRequest,
} from '../protocol/index.js';
import { checkFromNetBackup, parseFrame, resendProblems, sequenceProblems, type Problem } from '../conformance/index.js';
import {
  OVERSIZE_FRAME_BYTES,
  type ConnectionInfo,
  type MockConnectionStatus,
  type MockEndpointFaults,
  type NotificationEvent,
  type RecordedMessage,
  type RejectReason,
} from './types.js';

/** What a connection needs from the endpoint that owns it (the endpoint keeps stats, records, and events). */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly connectTimeoutMs: number;
  readonly rejectCloseGraceMs: number;
  faults(): Readonly<MockEndpointFaults>;
  tokenValid(token: unknown): boolean;
  /** Note a NOTIFICATION REQUEST id (de-duplication); returns what was known before. */
  seenNotification(request: NotificationRequest): { timesSeen: number; firstSeenAt: number; digest: string };
  /** Record a received frame (and emit `message`/`problem`). */
  record(connection: MockConnection, entry: Omit<RecordedMessage, 'seq' | 'connectionId' | 'receivedAt'>): RecordedMessage;
  connected(connection: MockConnection, request: ConnectRequest): void;
  rejected(connection: MockConnection, request: ConnectRequest, reason: RejectReason): void;
  /** True when another socket of the endpoint is CONNECTED. */
  otherConnected(connection: MockConnection): boolean;
  notification(event: NotificationEvent): void;
  acknowledged(connection: MockConnection, id: string, delayMs: number): void;
  commandResponse(connection: MockConnection, response: CommandResponse): void;
  ping(connection: MockConnection, answered: boolean): void;
  problems(connection: MockConnection, problems: Problem[]): void;
  closed(connection: MockConnection, code: number, reason: string, by: 'endpoint' | 'netbackup'): void;
}

const TRANSITIONS: Record<MockConnectionStatus, readonly MockConnectionStatus[]> = {
  OPEN: ['CONNECTED', 'REJECTED', 'CLOSED'],
  CONNECTED: ['REJECTED', 'CLOSED'],
  REJECTED: ['CLOSED'],
  CLOSED: [],
};

/** Most COMMAND ids remembered per socket for pairing late responses and the conformance check. */
const MAX_SENT_IDS = 10_000;

/**
 * One NetBackup socket as the mock endpoint sees it: answers CONNECT, acknowledges notifications, answers pings,
 * applies the fault switches, and checks every frame. All closes end in one teardown path ({@link #teardown}).
 */
export class MockConnection {
  /** Unique per socket within the endpoint. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Epoch ms when the socket opened. */
  readonly openedAt: number;
  /** Ids of COMMAND REQUESTs sent on this socket (bounded). */
  readonly sentCommandIds = new Set<string>();
  #status: MockConnectionStatus = 'OPEN';
  #notificationsReceived = 0;
  #connectedAt = 0;
  readonly #unacked = new Set<string>();
  readonly #timers = new Set<TimerHandle>();
  #idleTimer: TimerHandle | undefined;
  #closedBy: 'endpoint' | undefined;
  readonly #ws: WebSocket;
  readonly #host: ConnectionHost;
  readonly #onMessage = (data: RawData, isBinary: boolean) => this.#receive(data, isBinary);
  readonly #onPing = (data: Buffer) => this.#ping(data);
  readonly #onClose = (code: number, reason: Buffer) => this.#teardown(code, reason.toString('utf8'));
  readonly #onError = (err: Error) => this.#host.log.warn({ connectionId: this.id, err }, 'socket error');

  constructor(id: number, ws: WebSocket, remote: { address?: string | undefined; port?: number | undefined }, host: ConnectionHost) {
    this.id = id;
    this.#ws = ws;
    this.#host = host;
    this.remoteAddress = remote.address ?? '';
    this.remotePort = remote.port ?? 0;
    this.openedAt = host.clock.now();
    ws.on('message', this.#onMessage);
    ws.on('ping', this.#onPing);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
    if (host.connectTimeoutMs > 0) {
      this.#after(host.connectTimeoutMs, () => {
        if (this.#status !== 'OPEN') return;
        this.#host.problems(this, [{ rule: 'sequence.noConnect', path: '$', message: `no CONNECT REQUEST within ${host.connectTimeoutMs} ms`, severity: 'error' }]);
        this.close(1008, 'no CONNECT REQUEST');
      });
    }
    this.#armIdle();
  }

  /** Where the socket is in its life. */
  get status(): MockConnectionStatus {
    return this.#status;
  }

  /** Epoch ms of the accepted CONNECT (0 before). */
  get connectedAt(): number {
    return this.#connectedAt;
  }

  /** A snapshot for events and listings. */
  info(): ConnectionInfo {
    return {
      id: this.id,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      status: this.#status,
      openedAt: this.openedAt,
      notificationsReceived: this.#notificationsReceived,
    };
  }

  /** Send one frame (an object is serialized). False when the socket is not open. */
  send(data: object | string): boolean {
    if (this.#status === 'CLOSED' || this.#ws.readyState !== this.#ws.OPEN) return false;
    this.#ws.send(typeof data === 'string' ? data : JSON.stringify(data));
    return true;
  }

  /** Remember a COMMAND id sent on this socket. */
  noteCommandSent(id: string): void {
    this.sentCommandIds.add(id);
    if (this.sentCommandIds.size > MAX_SENT_IDS) this.sentCommandIds.delete(this.sentCommandIds.values().next().value!);
  }

  /** Start a closing handshake with `code` (the endpoint closed). */
  close(code = 1000, reason = ''): void {
    if (this.#status === 'CLOSED') return;
    this.#closedBy ??= 'endpoint';
    this.#ws.close(code, reason);
  }

  /** Drop the TCP connection without a close frame (NetBackup sees 1006). */
  terminate(): void {
    if (this.#status === 'CLOSED') return;
    this.#closedBy ??= 'endpoint';
    this.#ws.terminate();
  }

  #transition(to: MockConnectionStatus): void {
    if (!TRANSITIONS[this.#status].includes(to)) throw new Error(`illegal mock connection transition ${this.#status} → ${to}`);
    this.#status = to;
  }

  #after(ms: number, fn: () => void): void {
    const handle = this.#host.clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, ms);
    this.#timers.add(handle);
  }

  /** The idleCloseMs fault: (re)start the idle timer; any message restarts it, pings do not. */
  #armIdle(): void {
    if (this.#idleTimer) {
      this.#host.clock.clearTimeout(this.#idleTimer);
      this.#timers.delete(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    const ms = this.#host.faults().idleCloseMs;
    if (ms <= 0 || this.#status === 'CLOSED') return;
    const handle = this.#host.clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.#idleTimer = undefined;
      this.#host.log.info({ connectionId: this.id, idleCloseMs: ms }, 'idleCloseMs: closing an idle socket');
      this.close(1000, 'idle timeout');
    }, ms);
    this.#idleTimer = handle;
    this.#timers.add(handle);
  }

  /** The id a response carries under the faults in force: the request's, in lower case, or another one. */
  #responseId(requestId: string, wrong: boolean): string {
    if (wrong) return newMessageId();
    return this.#host.faults().lowerCaseIds ? requestId.toLowerCase() : requestId;
  }

  #receive(raw: RawData, isBinary: boolean): void {
    this.#armIdle();
    const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
    const parsed = parseFrame(data, isBinary);
    const problems = [...parsed.problems];
    if (parsed.value) {
      problems.push(...checkFromNetBackup(parsed.value, { sentCommandIds: this.sentCommandIds, bytes: data.length }));
      problems.push(...sequenceProblems({ connected: this.#status === 'CONNECTED', rejected: this.#status === 'REJECTED', unackedNotificationIds: this.#unacked }, parsed.value));
    }
    let message: Message | undefined;
    let undecodable: RecordedMessage['undecodable'];
    try {
      message = decode(data, isBinary);
    } catch (err) {
      undecodable = { error: (err as Error).message, preview: preview(data) };
    }
    let seen: ReturnType<ConnectionHost['seenNotification']> | undefined;
    if (message?.type === 'NOTIFICATION' && message.subType === 'REQUEST' && this.#status === 'CONNECTED') {
      seen = this.#host.seenNotification(message);
      if (seen.timesSeen > 1) problems.push(...resendProblems(seen.digest, message.payload));
    }
    this.#host.record(this, { bytes: data.length, ...(message ? { message } : {}), ...(undecodable ? { undecodable } : {}), problems });
    if (!message || this.#status === 'CLOSED') return;
    if (message.type === 'CONNECT' && message.subType === 'REQUEST') this.#connect(message);
    else if (message.type === 'NOTIFICATION' && message.subType === 'REQUEST' && seen) this.#notification(message, seen);
    else if (message.type === 'COMMAND' && message.subType === 'RESPONSE') this.#host.commandResponse(this, message);
    // anything else (a NOTIFICATION before CONNECT, a message NetBackup never sends) is reported and ignored
  }

  #connect(request: ConnectRequest): void {
    const faults = this.#host.faults();
    const reason: RejectReason | undefined = faults.rejectToken
      ? 'rejectToken'
      : !faults.acceptAnyToken && !this.#host.tokenValid(request.payload?.token)
        ? 'token'
        : faults.rejectSecondConnection && this.#host.otherConnected(this)
          ? 'rejectSecondConnection'
          : undefined;
    const valid = reason === undefined;
    if (faults.earlySend) {
      const early = commandRequest({ uri: '/netbackup/admin/jobs', method: 'GET', headers: {} }, epochSeconds(this.#host.clock));
      this.noteCommandSent(early.id);
      this.send(early);
    }
    this.send(connectResponse(this.#responseId(request.id, faults.wrongId === 'connect'), valid, epochSeconds(this.#host.clock)));
    if (!valid) {
      if (this.#status !== 'REJECTED') this.#transition('REJECTED');
      this.#host.rejected(this, request, reason);
      this.#after(this.#host.rejectCloseGraceMs, () => {
        this.#host.problems(this, [{ rule: 'sequence.notClosedAfterReject', path: '$', message: `NetBackup did not close within ${this.#host.rejectCloseGraceMs} ms of valid:false`, severity: 'error' }]);
        this.close(1008, 'CONNECT rejected');
      });
      return;
    }
    if (this.#status === 'OPEN') {
      this.#transition('CONNECTED');
      this.#connectedAt = this.#host.clock.now();
    }
    this.#host.connected(this, request);
    if (faults.oversizeFrame) this.#sendOversizeFrame();
  }

  /** A harmless COMMAND REQUEST padded past the 2 MB cap: NetBackup must drop the connection with 1009. */
  #sendOversizeFrame(): void {
    const base = commandRequest({ uri: '/netbackup/ping', method: 'GET', headers: {} }, epochSeconds(this.#host.clock));
    const json = JSON.stringify({ ...base, padding: '' });
    const padded = json.replace('"padding":""', `"padding":"${'x'.repeat(OVERSIZE_FRAME_BYTES - json.length)}"`);
    this.#host.log.info({ connectionId: this.id, bytes: padded.length }, 'oversizeFrame: sending a frame over 2 MB');
    this.send(padded);
  }

  #notification(request: NotificationRequest, seen: { timesSeen: number; firstSeenAt: number }): void {
    const faults = this.#host.faults();
    this.#notificationsReceived += 1;
    const action: NotificationEvent['action'] =
      faults.closeAfter > 0 && this.#notificationsReceived >= faults.closeAfter
        ? 'close'
        : faults.dropAcks
          ? 'drop'
          : faults.noReAck && seen.timesSeen > 1
            ? 'ignore'
            : 'ack';
    this.#unacked.add(request.id);
    this.#host.notification({ connection: this.info(), request, duplicate: seen.timesSeen > 1, timesSeen: seen.timesSeen, firstSeenAt: seen.firstSeenAt, action });
    if (action === 'close') {
      this.close(1000, `closeAfter ${faults.closeAfter}`);
    } else if (action === 'ack') {
      const delay = faults.ackDelayMs;
      if (delay > 0) this.#after(delay, () => this.#ack(request.id, delay));
      else this.#ack(request.id, 0);
    }
  }

  #ack(id: string, delayMs: number): void {
    if (!this.send(notificationResponse(this.#responseId(id, this.#host.faults().wrongId === 'ack'), epochSeconds(this.#host.clock)))) return;
    this.#unacked.delete(id);
    this.#host.acknowledged(this, id, delayMs);
  }

  #ping(data: Buffer): void {
    const answered = !this.#host.faults().noPong;
    if (answered && this.#ws.readyState === this.#ws.OPEN) this.#ws.pong(data);
    this.#host.ping(this, answered);
  }

  /** The one teardown path: every close (ours, theirs, a drop) ends here exactly once. */
  #teardown(code: number, reason: string): void {
    if (this.#status === 'CLOSED') return;
    this.#transition('CLOSED');
    for (const t of this.#timers) this.#host.clock.clearTimeout(t);
    this.#timers.clear();
    this.#idleTimer = undefined;
    this.#ws.off('message', this.#onMessage);
    this.#ws.off('ping', this.#onPing);
    this.#ws.off('close', this.#onClose);
    // keep an error listener: a late socket error must not become an uncaught exception
    this.#host.closed(this, code, reason, this.#closedBy ?? 'netbackup');
  }
}
