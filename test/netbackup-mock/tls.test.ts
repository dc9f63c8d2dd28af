import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMockFromBaseUrl } from '../../src/netbackup-mock/index.js';
import { testCertificate } from '../helpers/certs.js';
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
  it('--tls prints its URL and fingerprint, writes the certificate, logs requests, exits 0 on SIGINT', async () => {
    const dir = tempDir();
    const certFile = join(dir, 'mock.pem');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'mock-netbackup', '--listen', '127.0.0.1:0', '--tls', '--cert-out', certFile, '--test-routes', '--user', 'ops:pw'],
      { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, NBWSS_CONFIG: '', NBWSS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout });
    const lineMatching = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const found = lines.find((l) => re.test(l));
        if (found) return resolve(found);
        const onLine = (l: string) => {
          if (!re.test(l)) return;
          rl.off('line', onLine);
          resolve(l);
        };
        rl.on('line', onLine);
        child.once('exit', () => reject(new Error(`exited before ${re}: ${stderr}\n${lines.join('\n')}`)));
      });
    rl.on('line', (l) => lines.push(l));
    const listening = await lineMatching(/listening on https:\/\/127\.0\.0\.1:\d+\/netbackup/);
    const url = /(https:\/\/[^/]+)/.exec(listening)![1]!;
    const fingerprint = (await lineMatching(/fingerprint/)).split(': ')[1];
    const pem = readFileSync(certFile, 'utf8');
    const { fingerprint256 } = await import('../../src/certificates.js');
    expect(fingerprint256(pem)).toBe(fingerprint);
    const dispatcher = new Agent({ connect: { ca: pem } });
    onTestFinished(() => dispatcher.close());
    const res = await call(url, 'POST', '/netbackup/login', { body: { userName: 'ops', password: 'pw' }, dispatcher, headers: { 'x-request-id': 'cli-test-1' } });
    expect(res.status).toBe(201);
    // the seeded world: the guide's example
    expect((await call(url, 'GET', '/netbackup/admin/jobs/146', { token: res.json.token, dispatcher })).json.data.attributes.parentJobId).toBe(145);
    const logLine = await lineMatching(/cli-test-1/);
    expect(JSON.parse(logLine)).toMatchObject({ msg: 'request', method: 'POST', url: '/netbackup/login', status: 201 });
    expect(logLine).not.toContain('"pw"');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
