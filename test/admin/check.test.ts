import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/check-endpoint/index.js';
import { EndpointChecks } from '../../src/admin/endpoint-check.js';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { silentLogger } from '../../src/logger.js';
import { daemonConfig } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { startAdminDaemon } from './helpers.js';

/** POST /api/endpoints/{hostName}/check: the checker against a stored endpoint, from the daemon. */
type ErrorBody = { error: { code: string; message: string } };
const statusOf = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)?.status;

describe('admin API: check a stored endpoint', () => {
  const overrides = { 'notification.sendTimeout': 2000, 'notification.scheduledRate': 2 } as const;

  it('while the daemon holds the endpoint\'s connection: TLS and the upgrade only, the rest skipped saying why; the connection stays', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides });
    const ep = a.endpoints[0]!;
    const res = await a.json<CheckReport>('POST', '/api/endpoints/127.0.0.2/check');
    expect(res.status).toBe(200);
    expect(res.body.endpoint).toEqual({ hostName: '127.0.0.2', url: ep.url, groupId: 'G1' });
    for (const id of ['tls.certificate', 'tls.expiry', 'tls.hostname', 'tls.version', 'upgrade.path']) expect(statusOf(res.body, id), id).toBe('pass');
    const skipped = res.body.checks.filter((c) => c.status === 'skip');
    expect(skipped.length).toBe(res.body.checks.length - 5);
    for (const c of skipped) expect(c.message).toMatch(/the daemon holds 127\.0\.0\.2's live connection.*spec §7.*"force": true/);
    expect(res.body.checks.find((c) => c.id === 'tls.certificate')!.message).toMatch(new RegExp(`^matches --fingerprint; SHA-256 ${ep.fingerprint256}`));
    expect(JSON.stringify(res.body)).not.toContain('token-127.0.0.2');
    // the daemon's connection was not disturbed: still the one CONNECTed socket, never a second CONNECT
    expect(ep.stats()).toMatchObject({ connectedSockets: 1 });
    expect(ep.received().filter((r) => r.message?.type === 'CONNECT')).toHaveLength(1);
  });

  it('a standby endpoint (not connected) gets every check it asks for, with its stored token and pin', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }, { host: '127.0.0.3', group: 'G1', priority: 2 }], overrides });
    const res = await a.json<CheckReport>('POST', '/api/endpoints/127.0.0.3/check', { only: ['tls', 'connect', 'notification.ack', 'keepalive.pong'] });
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({ fail: 0, warn: 0 });
    for (const id of ['connect.valid', 'connect.wrongToken', 'notification.ack', 'keepalive.pong']) expect(statusOf(res.body, id), id).toBe('pass');
    expect(a.endpoints[1]!.stats().notificationsAcknowledged).toBeGreaterThan(0);
  });

  it('"force": true runs the session checks beside the daemon\'s connection', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides });
    const res = await a.json<CheckReport>('POST', '/api/endpoints/127.0.0.2/check', { only: ['connect.valid'], force: true });
    expect(res.status).toBe(200);
    expect(statusOf(res.body, 'connect.valid')).toBe('pass');
  });

  it('errors: unknown endpoint 404, a bad body 400 naming the problem', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides });
    const missing = await a.json<ErrorBody>('POST', '/api/endpoints/nope.example.com/check');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NBWSS_ERR_NOT_FOUND', message: 'no entity was found' } } });
    for (const [body, message] of [
      [{ profile: 'slow' }, /profile must be "quick" or "full"/],
      [{ only: ['nope'] }, /--only: no check "nope"/],
      [{ only: 'tls' }, /only must be an array of check ids/],
      [{ colour: 1 }, /unexpected member colour/],
      [{ load: -1 }, /load must be a whole number/],
    ] as const) {
      const r = await a.json<ErrorBody>('POST', '/api/endpoints/127.0.0.2/check', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
  });
});

describe('EndpointChecks: one check per endpoint at a time', () => {
  it('a second check of the same endpoint while one runs is 409', async () => {
    const ep = await createMockEndpoint({ host: '127.0.0.1', token: 't' });
    try {
      const checks = new EndpointChecks({
        target: () => ({ details: ep.endpointDetails({ group: 'G', priority: 1 }), certFingerprint: ep.fingerprint256, caPem: null }),
        connected: () => false,
        config: () => daemonConfig(tempDir()),
        logger: silentLogger(),
      });
      const first = checks.run('127.0.0.1', { only: ['tls.certificate'] });
      await expect(checks.run('127.0.0.1', {})).rejects.toMatchObject({ status: 409, code: 'NBWSS_ERR_HTTP_CONFLICT' });
      expect((await first).summary.fail).toBe(0);
      expect((await checks.run('127.0.0.1', { only: ['tls.certificate'] })).summary.pass).toBe(1); // free again
    } finally {
      await ep.close();
    }
  });
});
