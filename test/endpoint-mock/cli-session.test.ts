import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Probe } from '../../src/check-endpoint/probe.js';
import { systemClock } from '../../src/clock.js';
import { CommandProxy } from '../../src/commands/proxy.js';
import { headerValueProblem, parseInputLine } from '../../src/endpoint-mock/index.js';
import { silentLogger } from '../../src/logger.js';
import { startMockFromBaseUrl } from '../../src/netbackup-mock/start.js';
import { daemonConfig } from '../helpers/daemon.js';
import { assertBuilt, killAll, runCli, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The mock endpoint's COMMAND loop (issue 12 item 10): --login logs in through the channel and sends the token
 * with later COMMANDs, --full prints whole bodies, header lines on stdin, and --state-dir keeps the certificate
 * and token across restarts so that a pinned endpoint stays pinned.
 */
afterEach(killAll);

/** A NetBackup side for the spawned mock: one CONNECTed socket whose COMMANDs are answered by the mock NetBackup. */
async function netbackup(url: string, certPem: string, fingerprint: string): Promise<Probe> {
  const nbu = await startMockFromBaseUrl('http://127.0.0.1:0', { logger: silentLogger() });
  const proxy = new CommandProxy({ config: () => daemonConfig(tempDir()), logger: silentLogger(), baseUrl: nbu.url });
  const probe = new Probe({
    label: 'nbu', url, hostName: '127.0.0.1', groupId: 'G1', clock: systemClock, handshakeTimeoutMs: 5000,
    trust: { kind: 'pin', certPem, fingerprint },
    onCommand: (m, p) => proxy.handle(m, p),
  });
  onTestFinished(async () => {
    await probe.close(1001);
    await proxy.close();
    await nbu.mock.close();
  });
  return probe;
}

describe('nbwss mock-endpoint: the COMMAND loop', () => {
  beforeAll(assertBuilt);

  it('--login logs in through a COMMAND and later COMMANDs carry the token; --full prints the whole login body', async () => {
    const dir = tempDir();
    const cli = spawnNbwss(['mock-endpoint', '--listen', '127.0.0.1:0', '--token', 'T', '--state-dir', dir, '--login', 'admin:password', '--full', '--command', 'GET /netbackup/admin/jobs']);
    const url = (await cli.line(/^url: /)).slice('url: '.length);
    const probe = await netbackup(url, readFileSync(join(dir, 'cert.pem'), 'utf8'), (await cli.line(/^fingerprint: /)).slice('fingerprint: '.length));
    expect((await probe.open()).ok).toBe(true);
    expect(await probe.connect('T')).toMatchObject({ kind: 'response', valid: true });
    const logged = await cli.line(/logged in as admin/);
    const length = Number(/token of (\d+) chars/.exec(logged)?.[1]);
    // the GET needs the login token (the mock NetBackup answers 401 without it)
    expect(await cli.line(/COMMAND RESPONSE .*← GET \/netbackup\/admin\/jobs/)).toMatch(/ 200 \(/);
    const lines = cli.lines();
    const body = lines[lines.findIndex((l) => /COMMAND RESPONSE .*← POST \/netbackup\/login/.test(l)) + 1]!.trim();
    expect((JSON.parse(body) as { token: string }).token).toHaveLength(length);
    expect(length).toBeGreaterThan(200); // longer than the 200 characters shown without --full
  });

  it('--state-dir keeps the certificate and token across restarts: a client pinned to the first start still connects', async () => {
    const dir = tempDir();
    const start = async () => {
      const cli = spawnNbwss(['mock-endpoint', '--listen', '127.0.0.1:0', '--state-dir', dir, '--group', 'G9']);
      const fingerprint = (await cli.line(/^fingerprint: /)).slice('fingerprint: '.length);
      const token = (await cli.line(/^token: /)).slice('token: '.length);
      const state = await cli.line(/^state: /);
      return { cli, fingerprint, token, state };
    };
    const first = await start();
    expect(first.state).toBe(`state: ${dir} (certificate generated)`);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    first.cli.signal('SIGTERM');
    expect((await first.cli.exit).code).toBe(0);

    const second = await start();
    expect(second.state).toBe(`state: ${dir} (certificate kept)`);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.token).toBe(first.token);
    const details = JSON.parse(readFileSync(join(dir, 'endpoint.json'), 'utf8')) as { token: string; groupId: string; url: string };
    expect(details).toMatchObject({ token: first.token, groupId: 'G9' });
    const r = await runCli(['check-endpoint', '--file', join(dir, 'endpoint.json'), '--fingerprint', first.fingerprint, '--only', 'tls.certificate,connect.valid']);
    expect(r.stdout).toMatch(/PASS {2}connect\.valid/);
    expect(r.code).toBe(0);
  });

  it('a --header value copied from a shortened line is a usage error that says so', async () => {
    const r = await runCli(['mock-endpoint', '--header', 'Authorization: eyJhbGciOiJIUzI1NiJ9.eyJ…']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--header Authorization: the value contains "…".*--full.*--login/);
  });
});

describe('mock-endpoint input lines and header values', () => {
  it('a header line sets (or, empty, removes) a header; a COMMAND line is a COMMAND', () => {
    expect(parseInputLine('Authorization: eyJhbGciOi.x.y')).toEqual({ header: { name: 'Authorization', value: 'eyJhbGciOi.x.y' } });
    expect(parseInputLine('X-Trace:')).toEqual({ header: { name: 'X-Trace', value: '' } });
    expect(parseInputLine('GET /netbackup/admin/jobs')).toEqual({ command: { method: 'GET', uri: '/netbackup/admin/jobs' } });
    expect(parseInputLine('# Authorization: x')).toEqual({});
  });

  it('a value copied from a shortened line is refused with the reason', () => {
    expect(headerValueProblem('eyJhbGciOiJIUzI1NiJ9.eyJ…')).toMatch(/"…" \(U\+2026\) at position 24.*--full.*--login/);
    expect(headerValueProblem('a\r\nX-Evil: 1')).toMatch(/a line break/);
    expect(headerValueProblem('plain-ASCII value')).toBeUndefined();
    expect(parseInputLine('Authorization: eyJ…').error).toMatch(/^header Authorization: the value contains "…"/);
  });
});
