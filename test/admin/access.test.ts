import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkListenPolicy, isLoopbackHost, parseListen } from '../../src/admin/access.js';
import { startDaemon } from '../../src/daemon.js';
import { ConfigError } from '../../src/errors.js';
import { daemonConfig } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { startAdminDaemon } from './helpers.js';

/**
 * The auth rule (issue 7): loopback only unless admin.token is set; with a token, "Authorization: Bearer" on every
 * request (Basic with the token as password for browsers) except health probes without credentials, which get the
 * status only (issue 13); a non-loopback admin.listen without a token refuses to start; changes from another web
 * origin are refused.
 */

const TOKEN = 'correct-horse-battery-staple-42';

/** A raw GET with any Host header (fetch does not let a test set Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin.listen policy', () => {
  it('parses listen addresses and knows loopback from the rest', () => {
    expect(parseListen('')).toBeUndefined();
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('9464')).toThrow(ConfigError);
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', 'localhost.example.com', '']) expect(isLoopbackHost(h), h).toBe(false);
    expect(() => checkListenPolicy({ host: '127.0.0.1', port: 1 }, '')).not.toThrow();
    expect(() => checkListenPolicy({ host: '0.0.0.0', port: 1 }, TOKEN)).not.toThrow();
  });

  it('refuses to start on a non-loopback address without admin.token, with a message naming both keys', async () => {
    expect(() => checkListenPolicy({ host: '::', port: 9464 }, '')).toThrow(/admin\.listen=\[::\]:9464 is not a loopback address and admin\.token is empty/);
    const dir = tempDir();
    const config = daemonConfig(dir, { 'admin.listen': '0.0.0.0:0' });
    await expect(startDaemon({ config })).rejects.toThrow(/admin\.listen=0\.0\.0\.0:0 is not a loopback address and admin\.token is empty: refusing to start the admin API\. Set admin\.token/);
    // Nothing was left running: the same database can be used again at once.
    const again = await startDaemon({ config: daemonConfig(dir, { 'admin.listen': '0.0.0.0:0', 'admin.token': TOKEN }) });
    await again.stop();
  });
});

describe('admin.listen in use', () => {
  it('fails the start with a message naming the address, and leaves nothing behind', async () => {
    const a = await startAdminDaemon();
    const busy = new URL(a.base).host;
    const dir = tempDir();
    await expect(startDaemon({ config: daemonConfig(dir, { 'admin.listen': busy }) })).rejects.toThrow(`admin.listen=${busy}: cannot listen (EADDRINUSE)`);
    const again = await startDaemon({ config: daemonConfig(dir) });
    await again.stop();
    expect((await a.call('GET', '/healthz')).status).toBe(200);
  });
});

describe('with admin.token', () => {
  it('requires the bearer token on every request, compared exactly; Basic with the token as password works for browsers', async () => {
    const a = await startAdminDaemon({ overrides: { 'admin.token': TOKEN } });
    const routes: [string, string][] = [
      ['GET', '/api/endpoints'],
      ['GET', '/api/endpoints/x'],
      ['POST', '/api/endpoints'],
      ['POST', '/api/endpoints/validate'],
      ['POST', '/api/endpoints/x/activate'],
      ['POST', '/api/endpoints/x/deactivate'],
      ['DELETE', '/api/endpoints/x'],
      ['GET', '/api/endpoints/x/monitor'],
      ['GET', '/api/groups'],
      ['POST', '/api/notifications'],
      ['GET', '/api/realization?requestId=x'],
      ['GET', '/api/events'],
      ['GET', '/metrics'],
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/'],
      ['GET', '/console.js'],
      ['GET', '/no-such-route'],
    ];
    const wrong = [undefined, 'Bearer', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `bearer  ${TOKEN.toUpperCase()}`, TOKEN, `Token ${TOKEN}`, `Basic ${Buffer.from(`admin:${TOKEN}x`).toString('base64')}`];
    for (const [method, path] of routes) {
      for (const auth of wrong) {
        // A health probe without any credentials is answered (next test); wrong credentials never are.
        if (auth === undefined && method === 'GET' && (path === '/healthz' || path === '/readyz')) continue;
        const res = await a.call(method, path, undefined, auth === undefined ? {} : { authorization: auth });
        expect(res.status, `${method} ${path} with ${auth}`).toBe(401);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('NBWSS_ERR_HTTP_UNAUTHORIZED');
        expect(res.headers.get('www-authenticate')).toContain('Bearer realm="nbwss"');
      }
    }
    const good = { authorization: `Bearer ${TOKEN}` };
    expect((await a.call('GET', '/api/endpoints', undefined, good)).status).toBe(200);
    expect((await a.call('GET', '/healthz', undefined, good)).status).toBe(200);
    expect((await a.call('GET', '/metrics', undefined, good)).status).toBe(200);
    expect((await a.call('GET', '/', undefined, { authorization: `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}` })).status).toBe(200);
    // Authenticated requests still get the ordinary errors.
    expect((await a.call('GET', '/api/endpoints/x', undefined, good)).status).toBe(404);
  });

  it('serves a wildcard address when a token is set', async () => {
    const a = await startAdminDaemon({ overrides: { 'admin.listen': '0.0.0.0:0', 'admin.token': TOKEN } });
    const port = new URL(a.base).port;
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('answers health probes without credentials with the status only; the token shows the details; /metrics needs the token', async () => {
    // G1's only endpoint refuses the token: the group never connects, so /readyz?connected=1 fails.
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1', faults: { rejectToken: true } }], overrides: { 'admin.token': TOKEN } });
    const good = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/healthz', '/readyz']) {
      const probe = await a.json<{ status: string; checks: Record<string, Record<string, unknown>> }>('GET', path);
      expect(probe.status, path).toBe(200);
      expect(probe.body.status).toBe('ok');
      expect(Object.keys(probe.body.checks).length).toBeGreaterThan(0);
      for (const [name, check] of Object.entries(probe.body.checks)) expect(check, `${path} ${name}`).toEqual({ ok: true });
      expect((await a.call('HEAD', path)).status).toBe(200);
      const full = await a.json<{ checks: Record<string, Record<string, unknown>> }>('GET', path, undefined, good);
      expect(Object.keys(full.body.checks).sort()).toEqual(Object.keys(probe.body.checks).sort());
      expect(full.body).toEqual(expect.objectContaining({ status: 'ok' }));
    }
    // The readiness details (how long ago the connection task ran) are there with the token only.
    const ready = await a.json<{ checks: { scheduler: Record<string, unknown> } }>('GET', '/readyz', undefined, good);
    expect(ready.body.checks.scheduler).toMatchObject({ ok: true, state: 'running' });

    // A failing probe: 503, the failing check named, its message (which names the group) withheld.
    const failing = await a.json<{ status: string; checks: Record<string, Record<string, unknown>> }>('GET', '/readyz?connected=1');
    expect(failing).toMatchObject({ status: 503, body: { status: 'fail', checks: { groups: { ok: false } } } });
    for (const check of Object.values(failing.body.checks)) expect(Object.keys(check)).toEqual(['ok']);
    expect(JSON.stringify(failing.body)).not.toContain('G1');
    const detailed = await a.json<{ checks: { groups: Record<string, unknown> } }>('GET', '/readyz?connected=1', undefined, good);
    expect(detailed.body.checks.groups).toMatchObject({ ok: false, disconnected: ['G1'], message: 'not connected: G1' });
    // Not probes: a POST to a probe path, every other route, and anything with wrong credentials.
    expect((await a.call('POST', '/healthz')).status).toBe(401);
    expect((await a.call('GET', '/metrics')).status).toBe(401);
    expect((await a.call('GET', '/healthz?x=1', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await a.call('GET', '/', undefined)).status).toBe(401);
  });
});

describe('without admin.token (loopback only)', () => {
  it('refuses a non-loopback Host header (DNS rebinding) and changes from another web origin', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 3600 } });
    const port = new URL(a.base).port;
    expect(await rawGet(`${a.base}/api/endpoints`, { host: `127.0.0.1:${port}` })).toBe(200);
    expect(await rawGet(`${a.base}/api/endpoints`, { host: `localhost:${port}` })).toBe(200);
    expect(await rawGet(`${a.base}/api/endpoints`, { host: `evil.example.com:${port}` })).toBe(403);
    expect(await rawGet(`${a.base}/`, { host: 'evil.example.com' })).toBe(403);

    const crossOrigin = await a.json<{ error: { code: string } }>('POST', '/api/endpoints/127.0.0.2/deactivate', undefined, { origin: 'http://evil.example.com' });
    expect(crossOrigin).toMatchObject({ status: 403, body: { error: { code: 'NBWSS_ERR_HTTP_FORBIDDEN' } } });
    expect((await a.call('DELETE', '/api/endpoints/127.0.0.2', undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await a.call('POST', '/api/endpoints/127.0.0.2/deactivate', undefined, { origin: 'null' })).status).toBe(403);
    expect((await a.json<{ state: string }>('GET', '/api/endpoints/127.0.0.2')).body.state).toBe('ACTIVATED');
    // The console's own requests (same origin) are fine.
    const own = await a.call('POST', '/api/endpoints/127.0.0.2/deactivate', undefined, { origin: a.base, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(202);
  });
});
