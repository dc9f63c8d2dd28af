/**
 * Test-only routes (served only with `testRoutes: true` / `--test-routes`): knobs the COMMAND proxy's tests need.
 * No token and no media-type checks, so they exercise the proxy and nothing else.
 *
 * - `GET /netbackup/test/slow?ms=N[&status=S]`: answers after N ms (on the server's clock; cancelled when the
 *   client goes away or the server closes) with `{"delayedMs":N}`.
 * - `GET /netbackup/test/large?bytes=N[&chunked=1]`: a JSON body of exactly N bytes (`{"data":"xxx…"}`, N ≥ 11),
 *   with `Content-Length`, or chunked without it.
 * - `ANY /netbackup/test/echo`: `{"method","url","headers","body"}` of the request as received.
 * - `GET /netbackup/test/status?code=N`: answers status N with a NetBackup error body (no body for 204/304).
 */
import { sleep } from '../../clock.js';
import { HttpError, NbErrorCode, errorBody } from '../http.js';
import type { Route, RouteContext } from '../router.js';

/** Longest `slow` delay, ms. */
export const MAX_SLOW_MS = 600_000;
/** Largest `large` body, bytes. */
export const MAX_LARGE_BYTES = 64 * 1024 * 1024;

function num(ctx: RouteContext, name: string, min: number, max: number, fallback?: number): number {
  const raw = ctx.query.get(name);
  if (raw === null && fallback !== undefined) return fallback;
  if (raw === null || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(400, NbErrorCode.invalidParameter, `${name} must be an integer ${min}-${max}`);
  }
  return Number(raw);
}

/** The test routes. */
export const testRoutes: Route[] = [
  {
    method: 'GET',
    path: '/netbackup/test/slow',
    public: true,
    negotiate: false,
    handle: async (ctx) => {
      const ms = num(ctx, 'ms', 0, MAX_SLOW_MS);
      const status = num(ctx, 'status', 200, 599, 200);
      await sleep(ctx.clock, ms, ctx.signal);
      return { status, json: { delayedMs: ms } };
    },
  },
  {
    method: 'GET',
    path: '/netbackup/test/large',
    public: true,
    negotiate: false,
    handle: (ctx) => {
      const bytes = num(ctx, 'bytes', 11, MAX_LARGE_BYTES);
      const raw = `{"data":"${'x'.repeat(bytes - 11)}"}`;
      return { status: 200, raw, chunked: ctx.query.get('chunked') === '1' };
    },
  },
  {
    method: '*',
    path: '/netbackup/test/echo',
    public: true,
    negotiate: false,
    handle: (ctx) => ({ status: 200, json: { method: ctx.method, url: ctx.url, headers: ctx.headers, body: ctx.body.toString('utf8') } }),
  },
  {
    method: 'GET',
    path: '/netbackup/test/status',
    public: true,
    negotiate: false,
    handle: (ctx) => {
      const code = num(ctx, 'code', 200, 599);
      if (code === 204 || code === 304) return { status: code };
      return { status: code, json: errorBody(code, `test status ${code}`) };
    },
  },
];
