import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { call, login, NB_JSON, startMock } from './helpers.js';

describe('media types', () => {
  it('answers in the version asked for; the spelling in the wild (space, quotes, case) is fine', async () => {
    const { url } = await startMock();
    const token = await login(url);
    const get = (headers: Record<string, string>) => call(url, 'GET', '/netbackup/admin/jobs', { token, headers });
    expect((await get({})).headers['content-type']).toBe(NB_JSON);
    expect((await get({ accept: 'application/vnd.netbackup+json;version=4.0' })).headers['content-type']).toBe('application/vnd.netbackup+json;version=4.0');
    expect((await get({ 'content-type': 'application/vnd.netbackup+json; version=3.0' })).headers['content-type']).toBe('application/vnd.netbackup+json;version=3.0');
    expect((await get({ accept: 'Application/VND.netbackup+JSON; version="10.0"' })).status).toBe(200);
    expect((await get({ accept: '*/*', 'content-type': NB_JSON })).status).toBe(200);
    expect((await get({ accept: 'text/html, application/*;q=0.5' })).status).toBe(200);
    const both = await get({ accept: 'application/vnd.netbackup+json;version=2.0', 'content-type': 'application/vnd.netbackup+json;version=2.0' });
    expect(both.status).toBe(200);
    expect(both.headers['content-type']).toBe('application/vnd.netbackup+json;version=2.0');
  });

  it('406 for an Accept it cannot produce or one that differs from the Content-Type', async () => {
    const { url } = await startMock();
    const token = await login(url);
    const get = (headers: Record<string, string>) => call(url, 'GET', '/netbackup/admin/jobs', { token, headers });
    for (const headers of <Record<string, string>[]>[
      { accept: 'application/json' },
      { accept: 'application/vnd.netbackup+json;version=11.0' },
      { accept: 'application/vnd.netbackup+json;version=3.0', 'content-type': 'application/vnd.netbackup+json;version=1.0' },
    ]) {
      const res = await get(headers);
      expect(res.status, JSON.stringify(headers)).toBe(406);
      expect(res.json).toEqual({ errorCode: 406, errorMessage: expect.any(String), errorDetails: [] });
      expect(res.headers['content-type']).toBe(NB_JSON);
    }
  });

  it('415 for an unsupported Content-Type, or a body without one', async () => {
    const { url } = await startMock();
    const creds = JSON.stringify({ userName: 'admin', password: 'password' });
    const post = (headers: Record<string, string>) => call(url, 'POST', '/netbackup/login', { body: creds, headers });
    expect((await post({ 'content-type': 'application/json' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/vnd.netbackup+json;version=0.5' })).status).toBe(415);
    const res = await request(`${url}/netbackup/login`, { method: 'POST', body: creds });
    expect(res.statusCode).toBe(415);
    expect(await res.body.json()).toMatchObject({ errorCode: 415 });
  });
});

describe('X-Request-ID, unknown routes, limits', () => {
  it('echoes the client X-Request-ID and generates one otherwise, on every answer (errors too)', async () => {
    const { url, mock } = await startMock();
    const echoed = await call(url, 'GET', '/netbackup/admin/jobs', { headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.status).toBe(401);
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await call(url, 'GET', '/nothing-here');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const weird = await call(url, 'GET', '/netbackup/admin/jobs', { headers: { 'x-request-id': 'has space' } });
    expect(weird.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(mock.requests.last()?.requestId).toBe(weird.headers['x-request-id']);
  });

  it('404 with a NetBackup body for an unknown route, 405 with Allow for a wrong method', async () => {
    const { url } = await startMock();
    const res = await call(url, 'GET', '/netbackup/nope');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ errorCode: 404, errorMessage: expect.stringContaining('/netbackup/nope'), errorDetails: [] });
    const wrong = await call(url, 'PUT', '/netbackup/admin/jobs');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    expect((await call(url, 'GET', '/netbackup/test/echo')).status).toBe(404);
    expect((await call(url, 'GET', '/netbackup/%zz')).status).toBe(400);
  });

  it('413 for a body over the limit, declared or streamed; the connection stays usable for the client', async () => {
    const { url } = await startMock({ maxBodyBytes: 1024 });
    const big = 'x'.repeat(4096);
    const declared = await call(url, 'POST', '/netbackup/login', { body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.errorCode).toBe(413);
    const streamed = await request(`${url}/netbackup/login`, {
      method: 'POST',
      headers: { 'content-type': NB_JSON },
      // A stream has no Content-Length: the limit must be enforced while reading.
      body: Readable.from((function* () {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(512, 120);
      })()),
    });
    expect(streamed.statusCode).toBe(413);
    await streamed.body.dump();
    expect((await call(url, 'POST', '/netbackup/login', { body: { userName: 'admin', password: 'password' } })).status).toBe(201);
  });

  it('counts and keeps every request (what a proxy test asserts on)', async () => {
    const { url, mock } = await startMock();
    expect(mock.requests.count).toBe(0);
    const token = await login(url);
    await call(url, 'GET', '/netbackup/admin/jobs?filter=jobId+eq+1', { token, headers: { 'x-custom': 'v' } });
    expect(mock.requests.count).toBe(2);
    const last = mock.requests.last()!;
    expect(last).toMatchObject({ seq: 2, method: 'GET', url: '/netbackup/admin/jobs?filter=jobId+eq+1', status: 200 });
    expect(last.headers['x-custom']).toBe('v');
    expect(mock.requests.entries()[0]!.body).toContain('"userName":"admin"');
    mock.requests.clear();
    expect(mock.requests.count).toBe(0);
  });

  it('answers HEAD like GET without a body', async () => {
    const { url } = await startMock();
    const token = await login(url);
    const res = await call(url, 'HEAD', '/netbackup/admin/jobs', { token });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
  });
});
