import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { HttpError } from './http.js';

/**
 * Who may use the admin surface (issue 7): without `admin.token` only this machine (loopback listen address,
 * loopback peers, a loopback `Host` so a web page cannot reach it by DNS rebinding); with a token, anyone who
 * sends it. Requests that change something must not come from another web origin (CSRF) in either mode.
 *
 * Health probes are the exception (issue 13): with a token set, `GET /healthz` and `GET /readyz` sent without any
 * credentials are answered, with the status only (`{"status","checks":{name:{"ok"}}}`, HTTP 200 or 503). Kubelet
 * probes, load-balancer checks and orchestrators' health checks send no credentials; the messages (database path,
 * group ids) stay behind the token. Wrong credentials are refused there as everywhere. `/metrics` is not a probe:
 * it carries host names and group ids, so a scraper sends the token (Prometheus: `authorization: { credentials_file }`).
 */

/** `admin.listen` split into host and port (IPv6 brackets removed). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parse an `admin.listen` value (`host:port`, `[v6]:port`); undefined for the empty string (admin off). */
export function parseListen(value: string): ListenAddress | undefined {
  if (value === '') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new ConfigError(`admin.listen=${value} must be host:port (e.g. 127.0.0.1:9464), or empty to turn the admin API off`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback. A DNS name other than localhost is not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * Refuse to serve on a non-loopback address without a token (a clear message naming both keys). A wildcard address
 * (0.0.0.0, ::) is non-loopback: it accepts connections from every interface.
 */
export function checkListenPolicy(listen: ListenAddress, token: string): void {
  if (isLoopbackHost(listen.host) || token !== '') return;
  const shown = listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
  throw new ConfigError(
    `admin.listen=${shown} is not a loopback address and admin.token is empty: refusing to start the admin API. ` +
      'Set admin.token (every admin request must then send it as "Authorization: Bearer <token>"), ' +
      'or listen on 127.0.0.1 (the default).',
  );
}

/** The host part of a `Host` header (`[::1]:9464` → `::1`). */
function hostOfHeader(value: string): string {
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
  return value.split(':')[0]!;
}

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

/** What a request may see: `full`, or `probe` (a health probe without credentials: the status only, see {@link probeView}). */
export type AccessLevel = 'full' | 'probe';

/** The paths a probe may read without credentials when `admin.token` is set. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** A health report as a probe without credentials sees it: the overall status and each check's `ok`, nothing else. */
export function probeView<R extends { status: string; checks: Record<string, { ok: boolean }> }>(report: R): { status: R['status']; checks: Record<string, { ok: boolean }> } {
  return { status: report.status, checks: Object.fromEntries(Object.entries(report.checks).map(([name, c]) => [name, { ok: c.ok }])) };
}

/** The auth and origin rules of every admin request. */
export class AccessPolicy {
  readonly #tokenDigest: Buffer | undefined;

  /** `token`: `admin.token` (empty: loopback-only mode). */
  constructor(token: string) {
    this.#tokenDigest = token === '' ? undefined : digest(token);
  }

  /** Whether a token is required. */
  get tokenRequired(): boolean {
    return this.#tokenDigest !== undefined;
  }

  /** What `req` (for `pathname`) may see; throws a 401/403 {@link HttpError} when it may not proceed. */
  check(req: IncomingMessage, pathname: string): AccessLevel {
    if (this.#tokenDigest) {
      const credentials = req.headers.authorization;
      if (credentials === undefined && PROBE_PATHS.has(pathname) && (req.method === 'GET' || req.method === 'HEAD')) return 'probe';
      if (!this.#tokenMatches(credentials)) {
        throw new HttpError(401, 'NBWSS_ERR_HTTP_UNAUTHORIZED', 'a valid admin token is required: send "Authorization: Bearer <admin.token>"', {
          // Bearer for scripts; Basic (any user name, the token as password) lets a browser open the console.
          'www-authenticate': ['Bearer realm="nbwss"', 'Basic realm="nbwss", charset="UTF-8"'],
        });
      }
    } else {
      if (!isLoopbackHost(req.socket.remoteAddress ?? '')) throw new HttpError(403, 'NBWSS_ERR_HTTP_FORBIDDEN', 'the admin API answers only this machine unless admin.token is set');
      const host = req.headers.host;
      if (!host || !isLoopbackHost(hostOfHeader(host))) {
        throw new HttpError(403, 'NBWSS_ERR_HTTP_FORBIDDEN', `Host ${JSON.stringify(host ?? '')} is not a loopback name: use 127.0.0.1, [::1] or localhost`);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') this.#checkSameOrigin(req);
    return 'full';
  }

  /** Constant time: both sides are hashed to 32 bytes first, so neither length nor content leaks through timing. */
  #tokenMatches(header: string | undefined): boolean {
    if (!header) return false;
    const space = header.indexOf(' ');
    if (space < 0) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    let presented: string;
    if (scheme === 'bearer') presented = value;
    else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      presented = decoded.slice(colon + 1);
    } else return false;
    return timingSafeEqual(digest(presented), this.#tokenDigest!);
  }

  /** A change requested by a page of another origin (a form post, a fetch) is refused. */
  #checkSameOrigin(req: IncomingMessage): void {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const refuse = () => new HttpError(403, 'NBWSS_ERR_HTTP_FORBIDDEN', 'cross-origin requests may not change anything');
    if (site === 'cross-site' || site === 'same-site') throw refuse();
    if (origin === undefined) return;
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw refuse();
    }
    if (originHost !== req.headers.host) throw refuse();
  }
}
