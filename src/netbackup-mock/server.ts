/**
 * The mock NetBackup primary server: the REST surface of `spec/netbackup-rest.md` over one {@link World}.
 *
 * Built on `node:http`/`node:https` rather than a framework: the surface is a dozen fixed routes, and a mock has
 * to control the wire exactly (the order of 404/405/413/415/406/401, `X-Request-ID` on every answer, a body sent
 * chunked or with a length, a response held back on an injected clock) — things a framework's defaults would
 * have to be argued out of. It also keeps the mock fast enough to sit behind the COMMAND benchmark without
 * measuring itself, and adds no dependency.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { MockAuth, type MockUser } from './auth.js';
import { HttpError, NbErrorCode, errorBody, nbMediaType, negotiate, type Reply } from './http.js';
import { RequestLog } from './request-log.js';
import { matchRoute, type Route, type RouteContext } from './router.js';
import { imageRoutes } from './routes/images.js';
import { jobRoutes } from './routes/jobs.js';
import { loginRoutes } from './routes/login.js';
import { testRoutes } from './routes/test-routes.js';
import { vmServerRoutes } from './routes/vmservers.js';
import { World, WorldError } from './world.js';

/** Default request body limit: 1 MiB (larger → 413). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** API version of answers when the request names none (the guide's examples say 1.0). */
export const DEFAULT_API_VERSION = '1.0';

/** Options of {@link createMockNetBackup}. */
export interface MockNetBackupOptions {
  /** The world to serve (share it with the event simulator). Default: a new empty one on `clock`. */
  world?: World;
  /** Who may log in. Default {@link DEFAULT_USERS}: `admin` / `password`. */
  users?: readonly MockUser[];
  /** Token validity in seconds, returned as `validity` (default 86400). */
  tokenValidity?: number;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Time source for token expiry, request times and the slow test route. Default: the system clock. */
  clock?: Clock;
  /** One `info` line per request goes here. Default: silent. */
  logger?: Logger;
  /** Serve the `/netbackup/test/*` routes (routes/test-routes.ts). Default false. */
  testRoutes?: boolean;
  /** Request body limit in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** API version answered when the request names none (default `1.0`). */
  defaultApiVersion?: string;
  /** How many requests {@link MockNetBackup.requests} keeps in full (default 1000; the count is unbounded). */
  requestLogSize?: number;
}

/** Where a listener is. */
export interface ListenAddress {
  /** `http(s)://host:port`, without a trailing slash. */
  url: string;
  host: string;
  port: number;
}

/** A running (or ready to run) mock primary. */
export interface MockNetBackup {
  readonly world: World;
  readonly auth: MockAuth;
  /** Every request seen (count, last N in full). */
  readonly requests: RequestLog;
  /** True when it serves HTTPS. */
  readonly tls: boolean;
  /** The URL of the first listener, once listening. */
  readonly url: string | undefined;
  /** The request listener, to mount on a server of your own. */
  readonly handler: RequestListener;
  /** Listen on `host:port` (default 127.0.0.1, port 0 = any free port). May be called again for another address. */
  listen(host?: string, port?: number): Promise<ListenAddress>;
  /** Abort pending slow responses, close every connection and listener. */
  close(): Promise<void>;
}

const ALL_ROUTES: readonly Route[] = [...loginRoutes, ...jobRoutes, ...imageRoutes, ...vmServerRoutes];

function requestIdOf(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^[\x21-\x7e]{1,200}$/.test(v) ? v : randomUUID();
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, NbErrorCode.payloadTooLarge, `Request body larger than ${limit} bytes`, [], { connection: 'close' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping it but drain the rest, so the client can read the 413 instead of a reset.
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof WorldError) {
    if (err.code === 'NBWSS_ERR_MOCK_NOT_FOUND') return new HttpError(404, NbErrorCode.notFound, `${err.message}: no entity was found`);
    if (err.code === 'NBWSS_ERR_MOCK_EXISTS') return new HttpError(409, NbErrorCode.alreadyExists, `${err.message}: the entity already exists`);
    return new HttpError(400, NbErrorCode.invalidParameter, `invalid command parameter: ${err.message}`);
  }
  return undefined;
}

function send(res: ServerResponse, reply: Reply, version: string): void {
  const headers: Record<string, string> = { ...reply.headers };
  const body = reply.json !== undefined ? JSON.stringify(reply.json) : reply.raw;
  if (body !== undefined) {
    headers['content-type'] = nbMediaType(version);
    if (!reply.chunked) headers['content-length'] = String(Buffer.byteLength(body));
  } else if (reply.status !== 204 && reply.status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(reply.status, headers);
  if (body !== undefined && reply.chunked) {
    res.write(body);
    res.end();
  } else {
    res.end(body);
  }
}

function hostForUrl(host: string, address: AddressInfo): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? address.address : host;
  if (h === '0.0.0.0') return '127.0.0.1';
  if (h === '::') return '[::1]';
  return h.includes(':') ? `[${h}]` : h;
}

/** Build a mock NetBackup primary (call `listen()` to serve). */
export function createMockNetBackup(options: MockNetBackupOptions = {}): MockNetBackup {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? silentLogger();
  const world = options.world ?? new World({ clock });
  const auth = new MockAuth({ users: options.users, tokenValidity: options.tokenValidity, clock });
  const requests = new RequestLog(options.requestLogSize);
  const routes = options.testRoutes ? [...ALL_ROUTES, ...testRoutes] : ALL_ROUTES;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const defaultVersion = options.defaultApiVersion ?? DEFAULT_API_VERSION;
  const scheme = options.tls ? 'https' : 'http';
  const servers: Server[] = [];
  const inflight = new Set<AbortController>();
  let firstUrl: string | undefined;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = clock.monotonic();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-ID', requestId);
    const record = requests.add({ method, url, headers: req.headers, body: '', requestId, receivedAt: clock.now() });
    const controller = new AbortController();
    inflight.add(controller);
    res.once('close', () => {
      inflight.delete(controller);
      const finished = res.writableFinished;
      if (!finished) controller.abort(new Error('the client went away'));
      const durationMs = Math.round((clock.monotonic() - started) * 1000) / 1000;
      requests.finish(record, finished ? res.statusCode : undefined, durationMs);
      log.info({ requestId, method, url, status: finished ? res.statusCode : undefined, durationMs }, finished ? 'request' : 'request aborted');
    });

    let version = defaultVersion;
    try {
      const body = await readBody(req, maxBody);
      record.body = body.toString('utf8');
      const q = url.indexOf('?');
      const match = matchRoute(routes, method, q < 0 ? url : url.slice(0, q));
      if (match.kind === 'bad-path') throw new HttpError(400, NbErrorCode.invalidParameter, 'Malformed percent-encoding in the path');
      if (match.kind === 'none') throw new HttpError(404, NbErrorCode.routeNotFound, `No resource at ${method} ${url.slice(0, q < 0 ? undefined : q)}`);
      if (match.kind === 'method') {
        throw new HttpError(405, NbErrorCode.methodNotAllowed, `Method ${method} not allowed here`, [], { allow: match.allow.join(', ') });
      }
      const { route, params } = match;
      if (route.negotiate !== false) {
        const n = negotiate(req.headers, body.length > 0, defaultVersion);
        if (!n.ok) throw n.error;
        version = n.version;
      }
      const session = route.public ? undefined : auth.verify(req.headers.authorization);
      if (!route.public && !session) {
        throw new HttpError(401, NbErrorCode.unauthorized, 'Unauthorized: send the token from POST /netbackup/login in the Authorization header');
      }
      const ctx: RouteContext = {
        method,
        params,
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        headers: req.headers,
        body,
        url,
        origin: `${scheme}://${req.headers.host ?? 'localhost'}`,
        session,
        signal: controller.signal,
        world,
        auth,
        clock,
        log,
      };
      send(res, await route.handle(ctx), version);
    } catch (err) {
      if (controller.signal.aborted || res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const httpError = toHttpError(err);
      if (!httpError) log.error({ err, requestId, method, url }, 'mock netbackup route failed');
      const e = httpError ?? new HttpError(500, NbErrorCode.internal, 'Internal error in the mock NetBackup primary');
      send(res, { status: e.status, json: errorBody(e.errorCode, e.message, e.errorDetails), headers: e.headers }, version);
    }
  }

  const handler: RequestListener = (req, res) => void serve(req, res);

  return {
    world,
    auth,
    requests,
    tls: options.tls !== undefined,
    handler,
    get url() {
      return firstUrl;
    },
    async listen(host = '127.0.0.1', port = 0) {
      const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
      const address = server.address() as AddressInfo;
      const url = `${scheme}://${hostForUrl(host, address)}:${address.port}`;
      firstUrl ??= url;
      return { url, host: address.address, port: address.port };
    },
    async close() {
      for (const c of inflight) c.abort(new Error('the mock NetBackup primary is closing'));
      await Promise.all(
        servers.splice(0).map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
