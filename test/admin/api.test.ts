import { describe, expect, it } from 'vitest';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { detailsOf, startAdminDaemon } from './helpers.js';

/**
 * Every admin route against a real daemon (mock endpoints over wss on 127.0.0.x), success and error cases.
 * Errors always read {"error":{"code","message"}}; tokens are never returned.
 */

type ErrorBody = { error: { code: string; message: string; detail?: string } };

describe('admin API: endpoints', () => {
  it('lists and shows endpoints without their tokens; an unknown endpoint is 404 "no entity was found"', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }] });
    const list = await a.json<{ endpoints: Record<string, unknown>[] }>('GET', '/api/endpoints');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    expect(list.body.endpoints).toEqual([
      expect.objectContaining({ hostName: '127.0.0.2', groupId: 'G1', priority: 1, state: 'ACTIVATED', connectionState: 'CONNECTED', url: a.endpoints[0]!.url, role: 'serving' }),
    ]);
    expect(list.body.endpoints[0]).not.toHaveProperty('groupBacklog'); // the backlog is the group's: GET /api/groups
    const show = await a.json('GET', '/api/endpoints/127.0.0.2');
    expect(show.status).toBe(200);
    expect(show.body).toMatchObject({ hostName: '127.0.0.2', trust: 'pinned', fingerprint: a.endpoints[0]!.fingerprint256 });
    for (const body of [JSON.stringify(list.body), JSON.stringify(show.body)]) {
      expect(body).not.toContain('token-127.0.0.2');
      expect(body).not.toMatch(/"token/i);
    }
    const missing = await a.json<ErrorBody>('GET', '/api/endpoints/nope.example.com');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NBWSS_ERR_NOT_FOUND', message: 'no entity was found' } });
    const badEncoding = await a.json<ErrorBody>('GET', '/api/endpoints/%E0%A4%A');
    expect(badEncoding.status).toBe(400);
  });

  it('validates (shows the certificate) and adds with the accepted fingerprint; X-Request-Id and Location on the add', async () => {
    const a = await startAdminDaemon();
    const ep = await createMockEndpoint({ host: '127.0.0.3', token: 'secret-3' });
    try {
      const details = detailsOf(ep, 'G3', 2);
      const validated = await a.json<{ details: Record<string, unknown>; certificate: { fingerprint256: string; selfSigned: boolean } }>('POST', '/api/endpoints/validate', { details });
      expect(validated.status).toBe(200);
      expect(validated.body.certificate.fingerprint256).toBe(ep.fingerprint256);
      expect(validated.body.details).toEqual({ hostName: '127.0.0.3', url: ep.url, groupId: 'G3', priority: 2 });
      expect(JSON.stringify(validated.body)).not.toContain('secret-3');
      expect((await a.json('GET', '/api/endpoints')).body.endpoints).toEqual([]); // validate stores nothing

      // the file's text is accepted as well (what the console uploads)
      const added = await a.json<{ endpoint: Record<string, unknown>; requestId: string }>('POST', '/api/endpoints', { details: JSON.stringify(details), fingerprint: validated.body.certificate.fingerprint256 });
      expect(added.status).toBe(201);
      expect(added.body.endpoint).toMatchObject({ hostName: '127.0.0.3', groupId: 'G3', priority: 2, state: 'ACTIVATED' });
      expect(added.headers.get('x-request-id')).toBe(added.body.requestId);
      expect(added.headers.get('location')).toBe('/api/endpoints/127.0.0.3');
      expect(JSON.stringify(added.body)).not.toContain('secret-3');

      const again = await a.json<ErrorBody>('POST', '/api/endpoints', { details, acceptCertificate: true });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'NBWSS_ERR_ALREADY_EXISTS', message: 'the entity already exists' });
    } finally {
      await ep.close();
    }
  });

  it('refuses bad adds with the guide messages and clear API errors', async () => {
    const a = await startAdminDaemon();
    const ep = await createMockEndpoint({ host: '127.0.0.4', token: 'secret-4' });
    try {
      const details = detailsOf(ep, 'G4');
      const cases: [unknown, number, string, RegExp?][] = [
        [{ details, fingerprint: 'AA:'.repeat(31) + 'AA' }, 409, 'NBWSS_ERR_CERTIFICATE_MISMATCH', /did not match/],
        [{ details }, 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /trusted explicitly/],
        [{ details, acceptCertificate: 'yes' }, 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /true or false/],
        [{ details, acceptCertificate: true, fingerprint: ep.fingerprint256 }, 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /not both/],
        [{ details, acceptCertificate: true, extra: 1 }, 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /unexpected member extra/],
        [{ details: { ...details, url: details.url.replace('wss:', 'ws:') }, acceptCertificate: true }, 400, 'NBWSS_ERR_INVALID_PROTOCOL', /Only wss protocol/],
        [{ details: { ...details, groupId: "it's" }, acceptCertificate: true }, 400, 'NBWSS_ERR_JSON_NOT_VALID', /^JSON contents not valid$/],
        [{ details: { ...details, extra: 1 }, acceptCertificate: true }, 400, 'NBWSS_ERR_JSON_NOT_VALID'],
        [{ details: '{"token":"SECRET-IN-BAD-JSON",' }, 400, 'NBWSS_ERR_JSON_NOT_VALID'],
        [{ fingerprint: ep.fingerprint256 }, 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /details is missing/],
        [[details], 400, 'NBWSS_ERR_HTTP_BAD_REQUEST', /JSON object/],
        [{ details: { ...details, url: 'wss://127.0.0.4:1/none' }, acceptCertificate: true }, 502, 'NBWSS_ERR_UNREACHABLE', /Unable to establish connection/],
      ];
      for (const [body, status, code, message] of cases) {
        const res = await a.json<ErrorBody>('POST', '/api/endpoints', body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.body.error.code, JSON.stringify(body)).toBe(code);
        if (message) expect(res.body.error.message).toMatch(message);
        expect(JSON.stringify(res.body)).not.toContain('SECRET');
      }
      const notJson = await a.json<ErrorBody>('POST', '/api/endpoints', '{"details": ');
      expect(notJson).toMatchObject({ status: 400, body: { error: { code: 'NBWSS_ERR_HTTP_BAD_JSON', message: 'the body is not valid JSON: unexpected end of input at line 1, column 13' } } });
      // the strict reader (issue 10 D14): not UTF-8, a number that cannot be read back, too deep — 400 naming the place
      const strict: [string | Buffer, RegExp][] = [
        [Buffer.concat([Buffer.from('{"details":"'), Buffer.from([0xff]), Buffer.from('"}')]), /^the body is not valid UTF-8 at byte 12$/],
        ['{"object":"JOB","data":{"jobId":12345678901234567890}}', /^the body is refused: field \$\.data\.jobId: the number 12345678901234567890 would be read as/],
        [`{"details":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /^the body is refused: field \$\.details(\[0\])+: nested deeper than 64 levels/],
      ];
      for (const [body, message] of strict) {
        const res = await a.call('POST', '/api/endpoints', body, { 'content-type': 'application/json' });
        expect(res.status).toBe(400);
        const err = ((await res.json()) as ErrorBody).error;
        expect(err.code).toBe('NBWSS_ERR_HTTP_BAD_JSON');
        expect(err.message).toMatch(message);
      }
      const wrongType = await a.call('POST', '/api/endpoints', JSON.stringify({ details }), { 'content-type': 'text/plain' });
      expect(wrongType.status).toBe(415);
      expect(((await wrongType.json()) as ErrorBody).error.code).toBe('NBWSS_ERR_HTTP_MEDIA_TYPE');
      const huge = await a.json<ErrorBody>('POST', '/api/endpoints', { details, pad: 'x'.repeat(300 * 1024) });
      expect(huge).toMatchObject({ status: 413, body: { error: { code: 'NBWSS_ERR_HTTP_BODY_TOO_LARGE' } } });
      const validateBad = await a.json<ErrorBody>('POST', '/api/endpoints/validate', { details: { ...details, priority: '1' } });
      expect(validateBad).toMatchObject({ status: 400, body: { error: { code: 'NBWSS_ERR_JSON_NOT_VALID', errors: [{ field: 'details.priority', message: 'must be a number' }] } } });
      expect((await a.json<{ endpoints: unknown[] }>('GET', '/api/endpoints')).body.endpoints).toEqual([]);
    } finally {
      await ep.close();
    }
  });

  it('activates, deactivates and deletes with 202 and an X-Request-Id; unknown endpoints are 404', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 3600 } });
    for (const [method, path, state] of [
      ['POST', '/api/endpoints/127.0.0.2/deactivate', 'DEACTIVATED'],
      ['POST', '/api/endpoints/127.0.0.2/activate', 'ACTIVATED'],
    ] as const) {
      const res = await a.json<{ requestId: string; state: string }>(method, path);
      expect(res.status).toBe(202);
      expect(res.body.state).toBe(state);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
      expect((await a.json<{ state: string }>('GET', '/api/endpoints/127.0.0.2')).body.state).toBe(state);
    }
    const del = await a.json<{ requestId: string; deleted: boolean }>('DELETE', '/api/endpoints/127.0.0.2');
    expect(del.status).toBe(202);
    expect(del.body.deleted).toBe(true);
    expect(del.headers.get('x-request-id')).toBe(del.body.requestId);
    for (const [method, path] of [
      ['POST', '/api/endpoints/127.0.0.2/activate'],
      ['POST', '/api/endpoints/127.0.0.2/deactivate'],
      ['DELETE', '/api/endpoints/127.0.0.2'],
      ['GET', '/api/endpoints/127.0.0.2/monitor'],
    ] as const) {
      const res = await a.json<ErrorBody>(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.message).toBe('no entity was found');
      expect(res.headers.get('x-request-id')).toBeNull();
    }
  });

  it('shows the connection monitor of an endpoint', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'keepAlive.scheduledRate': 0.05 } });
    const conn = a.daemon.scheduler.connections().get('G1')!;
    await new Promise((resolve) => conn.once('pong', resolve));
    const res = await a.json<Record<string, unknown>>('GET', '/api/endpoints/127.0.0.2/monitor');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hostName: '127.0.0.2', groupId: 'G1', connected: true, connects: 1, reconnects: 0, lastClose: null, lastError: null });
    expect(res.body.pingsSent).toBeGreaterThanOrEqual(1);
    expect(res.body.pongsReceived).toBeGreaterThanOrEqual(1);
    expect(res.body.lastRttMs).toEqual(expect.any(Number));
    expect(res.body.maxRttMs).toEqual(expect.any(Number));
    expect(res.body.lossRate).toEqual(expect.any(Number));
    expect(Date.parse(res.body.connectedSince as string)).toBeGreaterThan(0);

    // The endpoint closes the socket: the next period reconnects, and the monitor counts it.
    const reconnected = new Promise((resolve) => a.daemon.scheduler.once('connected', resolve));
    await a.endpoints[0]!.disconnectAll({ code: 1000, reason: 'maintenance' });
    await reconnected;
    const after = await a.json<Record<string, unknown>>('GET', '/api/endpoints/127.0.0.2/monitor');
    expect(after.body).toMatchObject({ connected: true, connects: 2, reconnects: 1, lastClose: { code: 1000, reason: 'maintenance', initiator: 'peer' } });
  });
});

describe('admin API: groups and notifications', () => {
  it('GET /api/groups shows the connected endpoint, cursor, backlog, oldest pending age and the in-flight batch', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1', faults: { dropAcks: true } }] });
    const raised = await a.json<{ firstSeq: number; lastSeq: number; count: number; requestId: string }>('POST', '/api/notifications', {
      object: 'image',
      data: [
        { backupId: 'vm1_1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 },
        { backupId: 'vm2_1', operationId: 'CREATE', clientName: 'vm2', clientType: 'VMWARE', backupTime: 1700000000, createdTime: 1700000100 },
      ],
    });
    expect(raised.status).toBe(202);
    expect(raised.body).toMatchObject({ object: 'IMAGE', count: 2 });
    expect(raised.headers.get('x-request-id')).toBe(raised.body.requestId);
    await a.endpoints[0]!.waitFor('notification');
    const res = await a.json<{ groups: Record<string, unknown>[] }>('GET', '/api/groups');
    expect(res.status).toBe(200);
    const [g] = res.body.groups;
    expect(g).toMatchObject({ groupId: 'G1', endpoints: 1, activated: 1, connectedEndpoint: '127.0.0.2', cursor: 0, backlog: 2, inflight: { count: 2, firstSeq: raised.body.firstSeq, lastSeq: raised.body.lastSeq } });
    expect(g!.oldestPendingAgeMs).toEqual(expect.any(Number));
    expect(Date.parse(g!.connectedSince as string)).toBeGreaterThan(0);
    // Never acknowledged: the realization of the notification says so.
    const r = await a.json<{ state: string; details: { groupId: string; state: string }[] }>('GET', `/api/realization?requestId=${raised.body.requestId}`);
    expect(r.body).toMatchObject({ state: 'in_progress', details: [{ groupId: 'G1', state: 'in_progress' }] });
  });

  it('POST /api/notifications validates like nbwss notify and is in sync once every group acknowledged', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }, { host: '127.0.0.3', group: 'G2' }] });
    const job = { jobId: 1, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1700000000, policyName: 'p', policyType: 'VMWARE', scheduleType: 'FULL', clientName: 'vm1' };
    const ok = await a.json<{ requestId: string; count: number }>('POST', '/api/notifications', { object: 'JOB', data: job });
    expect(ok.status).toBe(202);
    const synced = await a.json<{ state: string; details: { groupId: string; state: string }[] }>('GET', `/api/realization?wait=10&requestId=${ok.body.requestId}`);
    expect(synced.body.state).toBe('in_sync');
    expect(synced.body.details.map((d) => [d.groupId, d.state])).toEqual([
      ['G1', 'in_sync'],
      ['G2', 'in_sync'],
    ]);
    const bad: [unknown, RegExp][] = [
      [{ object: 'JOB', data: { ...job, state: 'RUNNING' } }, /state/],
      [{ object: 'JOB', data: { jobId: 1 } }, /parentJobId|jobType/],
      [{ object: 'VM', data: job }, /JOB or IMAGE/],
      [{ data: job }, /JOB or IMAGE/],
      [{ object: 'JOB' }, /data is missing/],
      [{ object: 'JOB', data: job, extra: true }, /unexpected member/],
    ];
    for (const [body, message] of bad) {
      const res = await a.json<ErrorBody>('POST', '/api/notifications', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const status = await a.json<{ outbox: { newestSeq: number } }>('GET', '/api/groups');
    expect(status.body.outbox.newestSeq).toBe(1); // nothing of the bad ones was stored
  });
});

describe('admin API: protocol', () => {
  it('answers unknown routes 404, wrong methods 405 with Allow, bad realization queries 400, unknown ids "unknown"', async () => {
    const a = await startAdminDaemon();
    expect(await a.json('GET', '/api/nothing')).toMatchObject({ status: 404, body: { error: { code: 'NBWSS_ERR_HTTP_NOT_FOUND' } } });
    const wrong = await a.json('PUT', '/api/endpoints');
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'NBWSS_ERR_HTTP_METHOD' } } });
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await a.json('DELETE', '/api/groups')).status).toBe(405);
    expect(await a.json('GET', '/api/realization')).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/requestId/) } } });
    expect(await a.json('GET', '/api/realization?requestId=x&wait=61')).toMatchObject({
      status: 400,
      body: { error: { code: 'NBWSS_ERR_HTTP_BAD_REQUEST', errors: [{ field: 'wait', message: 'must be a number of seconds from 0 to 60' }] } },
    });
    // the spelling of earlier versions is still understood
    expect((await a.json('GET', '/api/realization?request_id=never-given')).body).toEqual({ requestId: 'never-given', state: 'unknown', details: [] });
    expect((await a.json('GET', '/api/realization?requestId=x&wait=abc')).status).toBe(400);
    expect(await a.json('GET', '/api/realization?requestId=never-given')).toEqual({
      status: 200,
      headers: expect.anything(),
      body: { requestId: 'never-given', state: 'unknown', details: [] },
    });
    const head = await a.call('HEAD', '/healthz');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves the console page and its files (no external assets, a strict CSP), and nothing else', async () => {
    const a = await startAdminDaemon();
    const page = await a.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<table id="endpoints">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const file of ['/console.js', '/console.css']) {
      const res = await a.call('GET', file);
      expect(res.status, file).toBe(200);
      expect(await res.text()).not.toMatch(/https?:\/\/(?!127)/);
    }
    for (const path of ['/nothing.js', '/..%2fpackage.json', '/%2e%2e/package.json', '/index']) {
      expect((await a.call('GET', path)).status, path).toBe(404);
    }
  });

  it('health: /healthz and /readyz are 200 on a running daemon; ?connected=1 lists groups without a connection', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }, { host: '127.0.0.3', group: 'G2', faults: { rejectToken: true } }] });
    expect(await a.json('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok', checks: { store: { ok: true } } } });
    const ready = await a.json('GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok', checks: { migrations: { ok: true }, scheduler: { ok: true, state: 'running' } } } });
    const strict = await a.json('GET', '/readyz?connected=1');
    expect(strict).toMatchObject({ status: 503, body: { status: 'fail', checks: { groups: { ok: false, disconnected: ['G2'] } } } });
  });
});
