import { describe, expect, it } from 'vitest';
import { CHECKS, checkEndpoint, exitCodeOf } from '../../src/check-endpoint/index.js';
import { startFayeEndpoint } from './faye-endpoint.js';
import { SHORT, statuses } from './helpers.js';

const details = (ep: { url: string; token: string }) => ({ token: ep.token, priority: 1, groupId: 'FAYE', hostName: '127.0.0.1', url: ep.url });

describe('check-endpoint against an endpoint on another stack (faye-websocket)', () => {
  it('full profile: no check fails; its lower-case COMMAND ids are the one warning; its COMMANDs were answered', async () => {
    const ep = await startFayeEndpoint();
    const report = await checkEndpoint({ details: details(ep), trust: { fingerprint: ep.fingerprint256 }, profile: 'full', load: 500, timings: SHORT });
    const expected = Object.fromEntries(CHECKS.map((c) => [c.id, c.id === 'envelope.shape' ? 'warn' : 'pass']));
    expect(statuses(report)).toEqual(expected);
    expect(report.checks.find((c) => c.id === 'envelope.shape')!.message).toMatch(/^\d+ problems? in \d+ messages: envelope\.idUpperCase ×\d+, e\.g\. COMMAND REQUEST [0-9a-f-]{36}/);
    expect(report.checks.find((c) => c.id === 'command.shape')!.message).toMatch(/POST \/netbackup\/login → 201/);
    expect(ep.commandStatuses).toContain(201);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('with a 1 MiB message limit: notification.large fails and says why', async () => {
    const ep = await startFayeEndpoint({ maxLength: 1024 * 1024 });
    const report = await checkEndpoint({ details: details(ep), trust: { fingerprint: ep.fingerprint256 }, only: ['notification'], timings: SHORT });
    const large = report.checks.find((c) => c.id === 'notification.large')!;
    expect(large.status).toBe('fail');
    expect(large.message).toMatch(/closed the connection \(1009.*Python `websockets` limits messages to 1 MiB/s);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['notification.large']);
  });

  it('a wrong path: upgrade.path fails with the HTTP status; the session checks are skipped', async () => {
    const ep = await startFayeEndpoint();
    const report = await checkEndpoint({ details: details({ ...ep, url: ep.url.replace('/faye/nbwss', '/nbwss') }), trust: { fingerprint: ep.fingerprint256 }, timings: SHORT });
    const upgrade = report.checks.find((c) => c.id === 'upgrade.path')!;
    expect(upgrade).toMatchObject({ status: 'fail', message: expect.stringMatching(/HTTP 404: is the path right\?/) });
    expect(statuses(report)['connect.valid']).toBe('skip');
    expect(exitCodeOf(report)).toBe(1);
  });
});
