import { request, type Dispatcher } from 'undici';
import { afterEach } from 'vitest';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { createMockNetBackup, type MockNetBackup, type MockNetBackupOptions } from '../../src/netbackup-mock/index.js';

/** The media type the guide's examples use. */
export const NB_JSON = 'application/vnd.netbackup+json;version=1.0';

/** A clock tests drive by hand: `advance(ms)` runs due timers in order. */
export class ManualClock implements Clock {
  #t: number;
  #timers: { at: number; fn: () => void; id: number; every?: number }[] = [];
  #seq = 0;
  constructor(start = Date.parse('2024-01-01T00:00:00.000Z')) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  monotonic(): number {
    return this.#t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { at: this.#t + ms, fn, id: ++this.#seq };
    this.#timers.push(t);
    const handle = { id: t.id, unref: () => handle };
    return handle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    const id = (handle as { id?: number } | undefined)?.id;
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = { at: this.#t + ms, fn, id: ++this.#seq, every: ms };
    this.#timers.push(t);
    const handle = { id: t.id, unref: () => handle };
    return handle;
  }
  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }
  /** Number of timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }
  advance(ms: number): void {
    const end = this.#t + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#t = due.at;
      if (due.every) due.at += due.every;
      else this.#timers = this.#timers.filter((t) => t !== due);
      due.fn();
    }
    this.#t = end;
  }
}

/** Resolves once `clock` has a timer waiting (a route has reached its wait), checking between I/O turns. */
export function timerSet(clock: ManualClock): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (clock.pending > 0 ? resolve() : setImmediate(check));
    check();
  });
}

const started: MockNetBackup[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.close()));
});

/** A mock on 127.0.0.1, any port, closed after the test. */
export async function startMock(options: MockNetBackupOptions = {}): Promise<{ mock: MockNetBackup; url: string }> {
  const mock = createMockNetBackup(options);
  started.push(mock);
  const { url } = await mock.listen('127.0.0.1', 0);
  return { mock, url };
}

/** What {@link call} returns. */
export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTP request with undici; `json` is the parsed body (undefined when empty or not JSON). */
export async function call(
  url: string,
  method: Dispatcher.HttpMethod,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown; dispatcher?: Dispatcher; signal?: AbortSignal } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.body !== undefined ? { 'content-type': NB_JSON } : {}), ...(options.token ? { authorization: options.token } : {}), ...options.headers };
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const res = await request(url + path, { method, headers, body, dispatcher: options.dispatcher, signal: options.signal });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** Log in as admin/password and return the token. */
export async function login(url: string, dispatcher?: Dispatcher): Promise<string> {
  const res = await call(url, 'POST', '/netbackup/login', { body: { userName: 'admin', password: 'password' }, dispatcher });
  if (res.status !== 201) throw new Error(`login failed: ${res.status} ${res.text}`);
  return (res.json as { token: string }).token;
}
