import { rejection } from '../helpers/rejection.js';
import { describe, expect, it } from 'vitest';
import { fetchCertificate, dialTarget } from '../../src/endpoints/certificate.js';
import { EndpointError } from '../../src/errors.js';
import { testCertificate } from '../helpers/certs.js';
import { closedPort, startTcpServer, startTlsServer } from '../helpers/tls-server.js';

describe('dialTarget', () => {
  it('takes host and port from a wss URL, 443 by default, IPv6 without brackets', () => {
    expect(dialTarget('wss://h.example.com:14146/x')).toEqual({ host: 'h.example.com', port: 14146 });
    expect(dialTarget('wss://h.example.com/x')).toEqual({ host: 'h.example.com', port: 443 });
    expect(dialTarget('wss://[::1]:8443/')).toEqual({ host: '::1', port: 8443 });
  });
});

describe('fetchCertificate against a real local TLS server', () => {
  it('returns the presented certificate: subject, issuer, validity, SHA-256, SANs', async () => {
    const cert = await testCertificate({ hosts: ['127.0.0.1', 'ep1.test'] });
    const server = await startTlsServer(cert);
    const info = await fetchCertificate(server.wssUrl(), { timeoutMs: 5000 });
    expect(info.fingerprint256).toBe(cert.fingerprint256);
    expect(info.subject).toBe('CN=127.0.0.1');
    expect(info.subjectAltNames).toEqual(['IP Address:127.0.0.1', 'DNS:ep1.test']);
    expect(info.selfSigned).toBe(true);
    expect(info.chainVerified).toBe(false);
    expect(Date.parse(info.validTo)).toBeGreaterThan(Date.now());
    expect(info.pem).toContain('BEGIN CERTIFICATE');
  });

  it('with a CA: says whether the chain verifies to it and names the host', async () => {
    const ca = await testCertificate({ hosts: [], commonName: 'Test CA', isCa: true });
    const leaf = await testCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } });
    const server = await startTlsServer(leaf);
    const ok = await fetchCertificate(server.wssUrl(), { timeoutMs: 5000, caPem: ca.cert });
    expect(ok.chainVerified).toBe(true);
    expect(ok.hostnameError).toBeUndefined();
    expect(ok.selfSigned).toBe(false);
    const other = await testCertificate({ hosts: [], commonName: 'Other CA', isCa: true });
    const bad = await fetchCertificate(server.wssUrl(), { timeoutMs: 5000, caPem: other.cert });
    expect(bad.chainVerified).toBe(false);
    expect(bad.chainError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
  });

  it('refused connection → Unable to establish connection with host: <hostName>', async () => {
    const port = await closedPort();
    const err = await rejection(fetchCertificate(`wss://127.0.0.1:${port}/x`, { timeoutMs: 5000, hostName: 'ep1.acme.com' }), EndpointError);
    expect(err.message).toBe('Unable to establish connection with host: ep1.acme.com');
    expect(err.code).toBe('NBWSS_ERR_UNREACHABLE');
    expect(err.detail).toMatch(/ECONNREFUSED/);
  });

  it('unknown host name (DNS) → Unable to establish connection with host', async () => {
    const err = await rejection(fetchCertificate('wss://no-such-host.invalid:14146/x', { timeoutMs: 5000 }), EndpointError);
    expect(err.message).toBe('Unable to establish connection with host: no-such-host.invalid');
  });

  it('a peer that is not TLS → Failed to setup SSL security', async () => {
    const { port } = await startTcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const err = await rejection(fetchCertificate(`wss://127.0.0.1:${port}/x`, { timeoutMs: 5000 }), EndpointError);
    expect(err.message).toBe('Failed to setup SSL security');
    expect(err.code).toBe('NBWSS_ERR_SSL_SETUP');
  });

  it('a peer that accepts TCP but never answers the handshake → Failed to setup SSL security after the timeout', async () => {
    const { port } = await startTcpServer(() => undefined);
    const err = await rejection(fetchCertificate(`wss://127.0.0.1:${port}/x`, { timeoutMs: 150 }), EndpointError);
    expect(err.message).toBe('Failed to setup SSL security');
    expect(err.detail).toMatch(/no TLS handshake within 150 ms/);
  });

  it('an aborted signal stops the attempt', async () => {
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop'));
    await rejection(fetchCertificate(server.wssUrl(), { timeoutMs: 5000, signal: ctrl.signal }), EndpointError);
  });
});
