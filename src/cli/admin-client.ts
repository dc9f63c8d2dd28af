import { request } from 'node:http';
import { parseListen } from '../admin/access.js';
import type { Config } from '../config/index.js';

/**
 * How CLI commands reach the running daemon: its admin API at `admin.listen`, with `admin.token` when set
 * (`healthcheck`, `endpoints … --wait`). Plain node:http: these commands start fast and load nothing else.
 */

/** One answer of the admin API. */
export interface AdminAnswer {
  status: number;
  body: string;
}

/** The daemon's admin API as a CLI command dials it. */
export interface AdminTarget {
  host: string;
  port: number;
  token: string;
  /** `http://host:port`, for messages. */
  base: string;
}

/** Where to dial for a listen address: a wildcard address is reached on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** The admin API of the configuration, or undefined when `admin.listen` is empty (the API is off). */
export function adminTarget(config: Readonly<Config>): AdminTarget | undefined {
  const listen = parseListen(config.admin.listen);
  if (!listen) return undefined;
  const host = dialHost(listen.host);
  return { host, port: listen.port, token: config.admin.token, base: `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}` };
}

/** One request to the admin API (JSON in and out); rejects when there is no answer within `timeoutMs`. */
export function adminRequest(target: AdminTarget, options: { method: 'GET' | 'POST'; path: string; body?: unknown; timeoutMs: number }): Promise<AdminAnswer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: options.path,
        method: options.method,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The message of an admin API error answer (`{"error":{"message"}}`), else the start of the body. */
export function answerMessage(answer: AdminAnswer): string {
  try {
    const body = JSON.parse(answer.body) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON
  }
  return answer.body.slice(0, 200);
}
