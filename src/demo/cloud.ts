/**
 * The demo's cloud application: what a real one typically does over the channel once NetBackup is connected —
 * log in to the NetBackup REST API through a COMMAND, then look at jobs and images now and then with the token.
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { formatImage, formatJob } from '../endpoint-mock/format.js';
import type { MockEndpoint } from '../endpoint-mock/index.js';
import type { Narrator, Tag } from './narrator.js';

const NB_JSON = 'application/vnd.netbackup+json;version=1.0';

/** The COMMANDs the demo's endpoints send, in turn. */
const QUERIES = [
  { uri: '/netbackup/admin/jobs?page[limit]=1', what: 'jobs', show: formatJob },
  { uri: '/netbackup/catalog/images?page[limit]=1', what: 'images', show: formatImage },
] as const;

interface ListBody {
  data?: { id?: string; attributes?: Record<string, unknown> }[];
  meta?: { pagination?: { count?: number } };
}

/** Options of {@link CommandLoop}. */
export interface CommandLoopOptions {
  narrator: Narrator;
  tag: Tag;
  endpoint: MockEndpoint;
  /** Between two COMMANDs, ms. */
  intervalMs: number;
  clock?: Clock;
}

/**
 * On every CONNECT of its endpoint: `POST /netbackup/login`, then every `intervalMs` a GET of the newest job or
 * image, each round trip narrated. Stops on close.
 */
export class CommandLoop {
  readonly #o: CommandLoopOptions;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #token: string | undefined;
  #turn = 0;
  #stopped = false;
  /** COMMANDs answered so far, by response code. */
  readonly answered = new Map<number, number>();

  constructor(options: CommandLoopOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    options.endpoint.on('connected', () => void this.#onConnected());
    options.endpoint.on('close', () => this.#idle());
  }

  /** Stop sending (the endpoint may stay up). */
  stop(): void {
    this.#stopped = true;
    this.#idle();
  }

  #idle(): void {
    this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#token = undefined;
  }

  async #onConnected(): Promise<void> {
    if (this.#stopped) return;
    const res = await this.#send('POST', '/netbackup/login', { userName: 'admin', password: 'password' });
    if (!res) return;
    try {
      this.#token = (JSON.parse(res.body) as { token?: string }).token;
    } catch {
      this.#token = undefined;
    }
    this.#say(`→ COMMAND POST /netbackup/login → ${res.responseCode} in ${res.rtt} ms: ${this.#token ? 'a NetBackup token for the next COMMANDs' : 'no token'}`);
    this.#clock.clearInterval(this.#timer);
    this.#timer = this.#clock.setInterval(() => void this.#query(), this.#o.intervalMs).unref();
  }

  async #query(): Promise<void> {
    if (!this.#token || this.#stopped) return;
    const q = QUERIES[this.#turn++ % QUERIES.length]!;
    const res = await this.#send('GET', q.uri);
    if (!res) return;
    let detail = `${Buffer.byteLength(res.body)} bytes`;
    try {
      const body = JSON.parse(res.body) as ListBody;
      const newest = body.data?.[0]?.attributes;
      const count = body.meta?.pagination?.count ?? 0;
      detail = newest ? `${count} ${q.what} in the world; newest: ${q.show(newest)}` : `no ${q.what} yet`;
    } catch {
      // not JSON: the size says enough
    }
    this.#say(`→ COMMAND GET ${q.uri} → ${res.responseCode} in ${res.rtt} ms: ${detail}`);
  }

  async #send(method: string, uri: string, parameters?: unknown): Promise<{ responseCode: number; body: string; rtt: number } | undefined> {
    const started = this.#clock.monotonic();
    try {
      const headers: Record<string, string> = { Accept: NB_JSON, ...(parameters !== undefined ? { 'Content-Type': NB_JSON } : {}), ...(this.#token ? { Authorization: this.#token } : {}) };
      const res = await this.#o.endpoint.sendCommand({ method, uri, headers, ...(parameters !== undefined ? { parameters } : {}) }, { timeoutMs: 10_000 });
      this.answered.set(res.responseCode, (this.answered.get(res.responseCode) ?? 0) + 1);
      return { responseCode: res.responseCode, body: res.body, rtt: Math.round(this.#clock.monotonic() - started) };
    } catch (err) {
      // The socket closed under it (failover, Ctrl-C): the next connection starts over.
      if (!this.#stopped) this.#say(`COMMAND ${method} ${uri} not answered: ${(err as Error).message}`);
      return undefined;
    }
  }

  #say(text: string): void {
    if (!this.#stopped) this.#o.narrator.line(this.#o.tag, text);
  }
}
