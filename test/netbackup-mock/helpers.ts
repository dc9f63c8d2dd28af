import { request, type Dispatcher } from 'undici';
import { afterEach } from 'vitest';
import type { ManualClock } from '../helpers/manual-clock.js';
import { createMockNetBackup, type MockNetBackup, type MockNetBackupOptions } from '../../src/netbackup-mock/index.js';

/** The media type the guide's examples use. */
export const NB_JSON = 'application/vnd.netbackup+json;version=1.0';

/** Where the mock's tests start their {@link ManualClock}: 2024-01-01T00:00:00Z. */
export const MOCK_START = Date.parse('2024-01-01T00:00:00.000Z');

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
