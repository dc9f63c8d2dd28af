import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessLevel } from './access.js';
import { HttpError } from './http.js';

/** What a route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path parameters, decoded (`{hostName}`). */
  params: Record<string, string>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** What the caller may see (`probe`: a health probe without credentials; see access.ts). */
  access: AccessLevel;
}

/** A route handler: sends the response itself, or throws an error that becomes the JSON error body. */
export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

/** Method + path template (`/api/endpoints/{hostName}/monitor`) → handler. Unknown path 404, known path with another method 405. */
export class AdminRouter {
  readonly #routes: Route[] = [];

  /** Add a route; `{name}` matches one path segment. */
  add(method: string, template: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.#routes.push({ method, template, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** Every route, in the order added (`GET /api/endpoints/{hostName}`, …). */
  routes(): { method: string; template: string }[] {
    return this.#routes.map((r) => ({ method: r.method, template: r.template }));
  }

  /** The handler and decoded parameters for a request; throws 404 / 405 / 400 (bad percent-encoding). */
  match(method: string, pathname: string): { handler: RouteHandler; params: Record<string, string> } {
    const allowed = new Set<string>();
    for (const r of this.#routes) {
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      const effective = method === 'HEAD' && r.method === 'GET' ? 'GET' : method;
      if (r.method !== effective) {
        allowed.add(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', `the path segment ${JSON.stringify(m[i + 1])} is not valid percent-encoding`);
        }
      });
      return { handler: r.handler, params };
    }
    if (allowed.size > 0) {
      if (allowed.has('GET')) allowed.add('HEAD');
      const allow = [...allowed].sort().join(', ');
      throw new HttpError(405, 'NBWSS_ERR_HTTP_METHOD', `${method} is not allowed on ${pathname} (allowed: ${allow})`, { allow });
    }
    throw new HttpError(404, 'NBWSS_ERR_HTTP_NOT_FOUND', `no such route: ${pathname}`);
  }
}
