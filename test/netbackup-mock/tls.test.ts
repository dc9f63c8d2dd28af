import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startMockFromBaseUrl } from '../../src/netbackup-mock/index.js';
import { testCertificate } from '../helpers/certs.js';
import { killAll, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { call, login, startMock } from './helpers.js';

describe('HTTPS', () => {
  it('serves the API over TLS with a generated certificate that a client trusts as ca', async () => {
    const cert = await testCertificate({ hosts: ['127.0.0.1', 'localhost'] });
    const { url, mock } = await startMock({ tls: cert });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.tls).toBe(true);
    const dispatcher = new Agent({ connect: { ca: cert.cert } });
    onTestFinished(() => dispatcher.close());
    const token = await login(url, dispatcher);
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token, dispatcher })).status).toBe(200);
    const untrusting = new Agent();
    onTestFinished(() => untrusting.close());
    await expect(call(url, 'GET', '/netbackup/admin/jobs', { dispatcher: untrusting })).rejects.toThrow();
  });

  it('startMockFromBaseUrl picks https from the URL, generates a certificate and answers on localhost', async () => {
    const { mock, url, certificate } = await startMockFromBaseUrl('https://localhost:0');
    onTestFinished(() => mock.close());
    expect(url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const dispatcher = new Agent({ connect: { ca: certificate!.cert } });
    onTestFinished(() => dispatcher.close());
    const token = await login(url, dispatcher);
    expect((await call(url, 'GET', '/netbackup/config/servers/vmservers', { token, dispatcher })).json).toEqual({ data: [] });
  });

  it('startMockFromBaseUrl serves plain http for an http URL and refuses a URL with a path', async () => {
    const { mock, url, certificate } = await startMockFromBaseUrl('http://127.0.0.1:0/', { testRoutes: true });
    onTestFinished(() => mock.close());
    expect(certificate).toBeUndefined();
    expect((await call(url, 'GET', '/netbackup/test/status?code=200')).status).toBe(200);
    await expect(startMockFromBaseUrl('https://localhost:1556/netbackup')).rejects.toThrow(/has a path/);
    await expect(startMockFromBaseUrl('ftp://localhost:1556')).rejects.toMatchObject({ code: 'NBWSS_ERR_CONFIG' });
  });
});

describe('nbwss mock-netbackup', () => {
  afterEach(killAll);

  it('--tls prints its URL and fingerprint, writes the certificate, logs requests, exits 0 on SIGINT', async () => {
    const dir = tempDir();
    const certFile = join(dir, 'mock.pem');
    const cli = spawnNbwss(['mock-netbackup', '--listen', '127.0.0.1:0', '--tls', '--cert-out', certFile, '--test-routes', '--user', 'ops:pw'], {
      env: { NBWSS_CONFIG: '', NBWSS_LOG_LEVEL: 'info' },
    });
    const listening = await cli.line(/listening on https:\/\/127\.0\.0\.1:\d+ /);
    const url = /(https:\/\/[^/ ]+)/.exec(listening)![1]!;
    // the URL to give netbackup.baseUrl has no /netbackup: COMMAND uris bring it (issue 12 item 11)
    expect(listening).toContain(`set netbackup.baseUrl=${url})`);
    const fingerprint = (await cli.line(/fingerprint/)).split(': ')[1];
    const pem = readFileSync(certFile, 'utf8');
    const { fingerprint256 } = await import('../../src/certificates.js');
    expect(fingerprint256(pem)).toBe(fingerprint);
    const dispatcher = new Agent({ connect: { ca: pem } });
    onTestFinished(() => dispatcher.close());
    const res = await call(url, 'POST', '/netbackup/login', { body: { userName: 'ops', password: 'pw' }, dispatcher, headers: { 'x-request-id': 'cli-test-1' } });
    expect(res.status).toBe(201);
    // the seeded world: the guide's example
    expect((await call(url, 'GET', '/netbackup/admin/jobs/146', { token: res.json.token, dispatcher })).json.data.attributes.parentJobId).toBe(145);
    const logLine = await cli.line(/cli-test-1/);
    expect(JSON.parse(logLine)).toMatchObject({ msg: 'request', method: 'POST', url: '/netbackup/login', status: 201 });
    expect(logLine).not.toContain('"pw"');
    cli.signal('SIGINT');
    expect((await cli.exit).code).toBe(0);
  });
});
