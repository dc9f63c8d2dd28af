import type { MockEndpoint } from './server.js';
import { DEFAULT_COMMAND_HEADERS } from './command-line.js';

/** What {@link loginThroughChannel} found. */
export type LoginResult = { ok: true; token: string; responseCode: number } | { ok: false; responseCode: number | undefined; message: string };

/**
 * Log in to NetBackup through the channel, as a cloud application does (spec §4: the JWT comes from "an earlier
 * login call through the same channel"): a COMMAND `POST /netbackup/login` with `{"userName","password"}` on the
 * given socket, and the `token` of the answer. Never throws.
 */
export async function loginThroughChannel(endpoint: MockEndpoint, credentials: { userName: string; password: string }, connectionId?: number): Promise<LoginResult> {
  try {
    const res = await endpoint.sendCommand(
      { method: 'POST', uri: '/netbackup/login', headers: { ...DEFAULT_COMMAND_HEADERS }, parameters: JSON.stringify(credentials) },
      connectionId === undefined ? {} : { connectionId },
    );
    if (res.responseCode < 200 || res.responseCode > 299) return { ok: false, responseCode: res.responseCode, message: `login answered ${res.responseCode}: ${res.body.slice(0, 200)}` };
    let token: unknown;
    try {
      token = (JSON.parse(res.body) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') return { ok: false, responseCode: res.responseCode, message: `login answered ${res.responseCode} without a "token" in its body` };
    return { ok: true, token, responseCode: res.responseCode };
  } catch (err) {
    return { ok: false, responseCode: undefined, message: `login failed: ${(err as Error).message}` };
  }
}
