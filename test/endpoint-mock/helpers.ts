import { once } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createMockEndpoint, type MockEndpoint, type MockEndpointOptions } from '../../src/endpoint-mock/index.js';
import { connectRequest, newMessageId, type Message, type NotificationElement } from '../../src/protocol/index.js';

/** A mock endpoint on 127.0.0.1, port 0, closed when the test finishes. */
export async function startEndpoint(options: MockEndpointOptions = {}): Promise<MockEndpoint> {
  const endpoint = await createMockEndpoint({ host: '127.0.0.1', token: 'secret-token', ...options });
  onTestFinished(() => endpoint.close({ terminate: true }));
  return endpoint;
}

/** The guide's JOB and IMAGE notifications (spec §5). */
export function guidePayload(jobId = 146): NotificationElement[] {
  return [
    {
      notificationType: 'INFO',
      object: 'JOB',
      data: [{ scheduleType: 'ST_FULL', clientName: 'DummyTestVM', status: 0, startTime: 1459829698, state: 'DONE', policyName: 'vmware2', parentJobId: 145, jobId, policyType: 'VMWARE', jobType: 'BACKUP' }],
    },
    {
      notificationType: 'INFO',
      object: 'IMAGE',
      data: [{ clientType: 'VMWARE', clientName: 'DummyTestVM', backupTime: 1459811698, createdTime: 1459829720, operationId: 'UPDATE', backupId: 'DummyTestVM_1459811698' }],
    },
  ];
}

/**
 * A `ws` client playing NetBackup: pins the endpoint's certificate (as `ca` plus a fingerprint check), queues
 * what it receives, and lets a test await the next message that matches.
 */
export class FakeNetBackup {
  readonly ws: WebSocket;
  /** Every text frame received, raw. */
  readonly frames: string[] = [];
  /** The frames that parsed as JSON. */
  readonly received: Message[] = [];
  readonly pongs: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The last socket error (e.g. max payload exceeded). */
  error: (Error & { code?: string }) | undefined;
  readonly #waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.frames.push(String(data));
      let m: Message;
      try {
        m = JSON.parse(String(data)) as Message;
      } catch {
        return;
      }
      this.received.push(m);
      const i = this.#waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
    });
    ws.on('pong', () => this.pongs.push(this.received.length));
    ws.on('error', (err) => (this.error = err)); // errors also end in 'close', which tests await
    // not events.once: it would reject on the 'error' that precedes a 1009 close
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Open a socket to the endpoint (not yet CONNECTed). */
  static async open(endpoint: MockEndpoint, options: { maxPayload?: number; path?: string } = {}): Promise<FakeNetBackup> {
    const url = options.path ? endpoint.url.replace(endpoint.path, options.path) : endpoint.url;
    const ws = new WebSocket(url, {
      ca: endpoint.certPem,
      maxPayload: options.maxPayload ?? 2 * 1024 * 1024,
      // a tls option that @types/ws types too narrowly
      checkServerIdentity: ((_host: string, cert: PeerCertificate) => (cert.fingerprint256 === endpoint.fingerprint256 ? undefined : new Error('fingerprint mismatch'))) as never,
    });
    const client = new FakeNetBackup(ws);
    onTestFinished(() => ws.terminate());
    await once(ws, 'open');
    return client;
  }

  /** Open and CONNECT with `token`; resolves with the CONNECT RESPONSE. */
  static async connect(endpoint: MockEndpoint, token = endpoint.token, options: { maxPayload?: number } = {}): Promise<{ client: FakeNetBackup; response: Message }> {
    const client = await FakeNetBackup.open(endpoint, options);
    const response = await client.request(connectRequest(token, Math.floor(Date.now() / 1000)));
    return { client, response };
  }

  /** Resolve with the next received message matching `match` (messages already received count too). */
  next(match: (m: Message) => boolean): Promise<Message> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Send a message and await the response with the same id. */
  request(message: { id: string }): Promise<Message> {
    const reply = this.next((m) => m.id === message.id && m.subType === 'RESPONSE');
    this.send(message);
    return reply;
  }

  send(message: object | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** A NOTIFICATION REQUEST (upper-case UUID unless `id` is given). */
  notification(payload: unknown = guidePayload(), id: string = newMessageId()) {
    return { version: '1.0', id, type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: Math.floor(Date.now() / 1000), payload };
  }

  /** Ping and resolve with the pong. */
  async pingPong(): Promise<void> {
    const pong = once(this.ws, 'pong');
    this.ws.ping();
    await pong;
  }

  /**
   * Ping, then make a round trip the endpoint must answer; resolves true when a pong came before the answer.
   * The endpoint handles frames in order, so a pong sent at all arrives before the later answer.
   */
  async pingAnsweredBefore(roundTrip: () => Promise<unknown>): Promise<boolean> {
    const before = this.pongs.length;
    this.ws.ping();
    await roundTrip();
    return this.pongs.length > before;
  }
}

