import { EventEmitter } from 'node:events';
import type { RawData } from 'ws';
import type { Config } from '../../src/config/index.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import type { NotificationSubsystem } from '../../src/notifications/subsystem.js';
import { notificationResponse, type NotificationRequest } from '../../src/protocol/messages.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { startWssServer, type ServerSocket, type TestWssServer } from '../helpers/wss-server.js';

/** One NOTIFICATION REQUEST as an endpoint received it. */
export interface ReceivedRequest {
  /** The frame text, byte for byte. */
  raw: string;
  msg: NotificationRequest;
  sock: ServerSocket;
  /** Date.now() at arrival. */
  at: number;
}

/** How a {@link RecordingEndpoint} answers: at once, never (the test answers), or after some ms. */
export type AckMode = 'auto' | 'manual' | { delayMs: number };

/**
 * A real local wss:// endpoint (the shared test server) that records every NOTIFICATION REQUEST with its raw
 * bytes and acknowledges per {@link AckMode}. Tests await `request` events; nothing sleeps.
 */
export class RecordingEndpoint extends EventEmitter<{ request: [ReceivedRequest] }> {
  readonly requests: ReceivedRequest[] = [];
  ack: AckMode;

  private constructor(
    readonly server: TestWssServer,
    ack: AckMode,
  ) {
    super();
    this.setMaxListeners(0);
    this.ack = ack;
    server.defaultBehaviour = { onMessage: (m, sock, raw) => this.#onMessage(m, sock, raw) };
  }

  static async start(host: string, ack: AckMode = 'auto'): Promise<RecordingEndpoint> {
    return new RecordingEndpoint(await startWssServer({ host }), ack);
  }

  #onMessage(m: unknown, sock: ServerSocket, raw: RawData): void {
    const msg = m as NotificationRequest;
    if (msg?.type !== 'NOTIFICATION' || msg.subType !== 'REQUEST') return;
    const req: ReceivedRequest = { raw: (raw as Buffer).toString('utf8'), msg, sock, at: Date.now() };
    this.requests.push(req);
    const mode = this.ack;
    if (mode === 'auto') this.respond(req);
    else if (mode !== 'manual') setTimeout(() => this.respond(req), mode.delayMs);
    this.emit('request', req);
  }

  /** Answer a request: by default the right id and `[]`. */
  respond(req: ReceivedRequest, payload: unknown[] = [], id = req.msg.id): void {
    if (req.sock.ws.readyState !== req.sock.ws.OPEN) return;
    req.sock.send({ ...notificationResponse(id, Math.floor(Date.now() / 1000)), payload });
  }

  /** The next request for which `predicate` holds (register before the action that causes it). */
  next(predicate: (r: ReceivedRequest) => boolean = () => true, timeoutMs = 15_000): Promise<ReceivedRequest> {
    return new Promise((resolve, reject) => {
      const listener = (r: ReceivedRequest) => {
        if (!predicate(r)) return;
        clearTimeout(timer);
        this.off('request', listener);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.off('request', listener);
        reject(new Error(`no matching NOTIFICATION REQUEST within ${timeoutMs} ms (${this.requests.length} received)`));
      }, timeoutMs);
      this.on('request', listener);
    });
  }

  /** Every jobId / backupId received so far, in arrival order (resends included). */
  get received(): (number | string)[] {
    return this.requests.flatMap((r) => r.msg.payload.flatMap((e) => e.data.map((d) => (e.object === 'JOB' ? (d.jobId as number) : (d.backupId as string)))));
  }

  /** Resolve once every one of `ids` has been received (at least once). */
  async receivedAll(ids: (number | string)[], timeoutMs = 20_000): Promise<void> {
    const missing = () => {
      const got = new Set(this.received);
      return ids.filter((i) => !got.has(i));
    };
    if (missing().length === 0) return;
    await this.next(() => missing().length === 0, timeoutMs);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** Store an endpoint of `server` in the database of `config`, as `nbwss endpoints add` does. */
export function addEndpoint(config: Readonly<Config>, server: TestWssServer, hostName: string, groupId: string, priority = 1): void {
  const store = Store.open(config.db.path);
  try {
    const cipher = TokenCipher.fromKeyFile(config.security.keyFile);
    new EndpointStore(store).insert({ hostName, url: server.url('/'), groupId, priority, tokenEnc: cipher.encrypt('TOKEN', hostName), certPem: server.certPem, certFingerprint: server.fingerprint, caPem: null });
  } finally {
    store.close();
  }
}

/** Start the real daemon in-process; returns it with its notification subsystem. */
export async function startTestDaemon(config: Readonly<Config>): Promise<{ daemon: DaemonHandle; notifications: NotificationSubsystem }> {
  const daemon = await startDaemon({ config });
  const notifications = daemon.services.notifications;
  return { daemon, notifications };
}
