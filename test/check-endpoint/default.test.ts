import { describe, expect, it } from 'vitest';
import { CHECKS, exitCodeOf } from '../../src/check-endpoint/index.js';
import { DEFAULT_COMMAND_HEADERS } from '../../src/endpoint-mock/index.js';
import { check, mockEndpoint, statuses } from './helpers.js';

describe('check-endpoint against the mock endpoint in its default mode', () => {
  it('quick: every check passes (command.shape is skipped: no COMMAND came); exit 0', async () => {
    const endpoint = await mockEndpoint();
    const report = await check(endpoint);
    const expected = Object.fromEntries(CHECKS.filter((c) => c.profile === 'quick').map((c) => [c.id, c.id === 'command.shape' ? 'skip' : 'pass']));
    expect(statuses(report)).toEqual(expected);
    expect(report.summary).toEqual({ pass: Object.keys(expected).length - 1, warn: 0, fail: 0, skip: 1 });
    expect(exitCodeOf(report)).toBe(0);
    expect(report.endpoint).toEqual({ hostName: '127.0.0.1', url: endpoint.url, groupId: 'G1' });
  });

  it('full, with a load: every check passes; the COMMANDs the endpoint sends are answered by the mock NetBackup and listed', async () => {
    const endpoint = await mockEndpoint();
    endpoint.on('connected', ({ connection }) => {
      void endpoint.sendCommand({ method: 'POST', uri: '/netbackup/login', headers: { ...DEFAULT_COMMAND_HEADERS }, parameters: { userName: 'admin', password: 'password' } }, { connectionId: connection.id }).catch(() => undefined);
    });
    const report = await check(endpoint, { profile: 'full', load: 250 });
    expect(statuses(report)).toEqual(Object.fromEntries(CHECKS.map((c) => [c.id, 'pass'])));
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c.message]));
    expect(byId['command.shape']).toMatch(/^\d+ COMMAND REQUESTs?: (POST \/netbackup\/login → (201|not answered \(socket closed\)); )*POST \/netbackup\/login → 201/);
    expect(byId['load.throughput']).toMatch(/^250 notifications in 3 requests of up to 100 in [\d.]+ s: [\d,]+ notifications\/s/);
    expect(byId['notification.resend']).toMatch(/the resend 1,500 ms later \(same id, new timeStamp\) was acknowledged in/);
    expect(byId['keepalive.idle']).toMatch(/after 600 ms idle \(\d pings?, one every 200 ms\)/);
    // what the mock endpoint saw of the run conforms to what NetBackup sends
    expect(endpoint.received().flatMap((r) => r.problems.filter((p) => p.severity === 'error'))).toEqual([]);
  });
});
