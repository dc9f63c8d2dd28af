import { once } from 'node:events';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { call, MOCK_START, startMock, timerSet } from './helpers.js';

describe('test routes (testRoutes: true)', () => {
  it('are off by default', async () => {
    const { url } = await startMock();
    for (const path of ['/netbackup/test/slow?ms=1', '/netbackup/test/large?bytes=100', '/netbackup/test/echo', '/netbackup/test/status?code=500']) {
      expect((await call(url, 'GET', path)).status).toBe(404);
    }
  });

  it('slow answers when the injected clock has advanced by ms', async () => {
    const clock = new ManualClock(MOCK_START);
    const { url, mock } = await startMock({ clock, testRoutes: true });
    const arrived = once(mock.requests, 'request');
    const pending = call(url, 'GET', '/netbackup/test/slow?ms=5000&status=202');
    await arrived;
    await timerSet(clock);
    clock.advance(4999);
    expect(mock.requests.last()!.status).toBeUndefined();
    clock.advance(1);
    const res = await pending;
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ delayedMs: 5000 });
  });

  it('slow stops waiting when the client goes away or the server closes', async () => {
    const clock = new ManualClock(MOCK_START);
    const { url, mock } = await startMock({ clock, testRoutes: true });
    const ac = new AbortController();
    const pending = call(url, 'GET', '/netbackup/test/slow?ms=60000', { signal: ac.signal });
    await timerSet(clock);
    const finished = once(mock.requests, 'response');
    ac.abort();
    await expect(pending).rejects.toThrow();
    const [record] = await finished;
    expect(record.status).toBeUndefined();
    expect(clock.pending).toBe(0);
    const second = call(url, 'GET', '/netbackup/test/slow?ms=60000');
    await timerSet(clock);
    await mock.close();
    await expect(second).rejects.toThrow();
    expect(clock.pending).toBe(0);
  });

  it('large sends exactly N bytes of JSON, with Content-Length or chunked', async () => {
    const { url } = await startMock({ testRoutes: true });
    const n = 2 * 1024 * 1024 + 1;
    const sized = await request(`${url}/netbackup/test/large?bytes=${n}`);
    expect(sized.headers['content-length']).toBe(String(n));
    const text = await sized.body.text();
    expect(Buffer.byteLength(text)).toBe(n);
    expect(JSON.parse(text).data).toHaveLength(n - 11);
    const chunked = await request(`${url}/netbackup/test/large?bytes=3000000&chunked=1`);
    expect(chunked.headers['content-length']).toBeUndefined();
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(Buffer.byteLength(await chunked.body.text())).toBe(3_000_000);
    expect((await call(url, 'GET', '/netbackup/test/large?bytes=5')).status).toBe(400);
  });

  it('echo returns the request as received, whatever its media type and without a token', async () => {
    const { url } = await startMock({ testRoutes: true });
    const res = await call(url, 'PATCH', '/netbackup/test/echo?a=1', { headers: { 'content-type': 'text/plain', 'x-thing': 'yes' }, body: 'hello' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ method: 'PATCH', url: '/netbackup/test/echo?a=1', body: 'hello', headers: { 'content-type': 'text/plain', 'x-thing': 'yes' } });
  });

  it('status answers the code asked for with a NetBackup error body', async () => {
    const { url } = await startMock({ testRoutes: true });
    const res = await call(url, 'GET', '/netbackup/test/status?code=503');
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ errorCode: 503, errorMessage: 'test status 503', errorDetails: [] });
    expect((await call(url, 'GET', '/netbackup/test/status?code=204')).status).toBe(204);
  });
});
