/**
 * A route table small enough to read at a glance: a dozen fixed paths with `:param` segments. No framework (see
 * server.ts for why).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { MockAuth, Session } from './auth.js';
import type { Reply } from './http.js';
import type { World } from './world.js';

/** Everything a route handler may use for one request. */
export interface RouteContext {
  method: string;
  /** Decoded `:param` path segments. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body (at most the server's body limit). */
  body: Buffer;
  /** The path and query as received (echo route). */
  url: string;
  /** `http(s)://host[:port]` the client addressed (links in answers). */
  origin: string;
  /** The authenticated session; undefined on public routes. */
  session: Session | undefined;
  /** Aborted when the client goes away or the server closes (long waits must listen). */
  signal: AbortSignal;
  world: World;
  auth: MockAuth;
  clock: Clock;
  log: Logger;
}

/** One route. */
export interface Route {
  /** `*` matches any method (test echo). GET routes answer HEAD too. */
  method: 'GET' | 'POST' | 'DELETE' | '*';
  /** e.g. `/netbackup/admin/jobs/:jobId`. */
  path: string;
  /** No token needed (login, test routes). */
  public?: boolean;
  /** False: skip the Accept/Content-Type checks (test routes take anything). */
  negotiate?: boolean;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

/** Result of {@link matchRoute}. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' }
  | { kind: 'bad-path' };

function matchPath(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      params[p.slice(1)] = s;
    } else if (p !== s) return undefined;
  }
  return params;
}

/** Find the route for `method` and a raw path (no query). Segments are percent-decoded after splitting. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): RouteMatch {
  let segments: string[];
  try {
    segments = rawPath.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'bad-path' };
  }
  // Tolerate one trailing slash (`/admin/jobs/`), as servlet containers do.
  if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop();
  const allow = new Set<string>();
  for (const route of routes) {
    const params = matchPath(route.path.split('/'), segments);
    if (!params) continue;
    if (route.method === '*' || route.method === method || (route.method === 'GET' && method === 'HEAD')) {
      return { kind: 'found', route, params };
    }
    allow.add(route.method);
    if (route.method === 'GET') allow.add('HEAD');
  }
  return allow.size > 0 ? { kind: 'method', allow: [...allow] } : { kind: 'none' };
}
