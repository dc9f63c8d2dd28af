import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { pinnedTlsOptions, PinMismatchError, presentedFingerprint } from '../../src/connection/tls-pin.js';
import { ConnectError } from '../../src/errors.js';
import { freshCertificate } from '../helpers/certs.js';
import { rejection } from '../helpers/rejection.js';
import { closedPort, startTcpServer, startTlsServer } from '../helpers/tls-server.js';
import { cleanUpAfterEach, connection, server, target } from './harness.js';

cleanUpAfterEach();

const peer = (fingerprint256: string | undefined) => ({ fingerprint256 }) as unknown as PeerCertificate;

describe('the fingerprint256 comparison of a pinned endpoint (issue 10 F21)', () => {
  it('accepts exactly the pinned SHA-256 fingerprint (any case) and refuses every other, naming both', async () => {
    const cert = await freshCertificate('127.0.0.1');
    const fp = cert.fingerprint256;
    const check = pinnedTlsOptions({ certPem: cert.cert, certFingerprint: fp.toLowerCase(), caPem: null }).checkServerIdentity;
    expect(check('any-host', peer(fp))).toBeUndefined();
    expect(check('any-host', peer(fp.toLowerCase()))).toBeUndefined();
    const lastChanged = fp.slice(0, -1) + (fp.endsWith('0') ? '1' : '0');
    for (const other of [lastChanged, fp.slice(3), '', undefined]) {
      const err = check('any-host', peer(other));
      expect(err).toBeInstanceOf(PinMismatchError);
      expect(err).toMatchObject({ code: 'NBWSS_PIN_MISMATCH', expected: fp, presented: other ?? '(none)' });
    }
  });

  it('with a CA given at add time, the host name is checked instead (Node’s own check)', async () => {
    const cert = await freshCertificate('127.0.0.1');
    expect(pinnedTlsOptions({ certPem: cert.cert, certFingerprint: 'unused', caPem: cert.cert }).checkServerIdentity).toBe(checkServerIdentity);
  });

  it('end to end: a certificate the TLS chain accepts but whose fingerprint differs from the stored one is refused before the upgrade', async () => {
    // The stored PEM is the server's (chain verification passes, as it would for a public-CA certificate); only the
    // stored fingerprint differs: nothing but the fingerprint comparison can refuse it.
    const s = await server();
    const other = await freshCertificate('127.0.0.1');
    const err = await rejection(connection(target(s, '/', { certFingerprint: other.fingerprint256 })).connect(), ConnectError);
    expect(err.reason).toBe('pin_mismatch');
    expect(err.message).toContain(`expected SHA-256 ${other.fingerprint256}, presented ${s.fingerprint}`);
    expect(s.totalSockets('/')).toBe(0);
  });
});

describe('presentedFingerprint: what a refused peer presented, through the one certificate fetch', () => {
  it('is the SHA-256 of the certificate served, and undefined for a peer that is not TLS, a closed port or a bad URL', async () => {
    const cert = await freshCertificate('127.0.0.1');
    const tls = await startTlsServer(cert);
    expect(await presentedFingerprint(tls.wssUrl(), 5000)).toBe(cert.fingerprint256);
    const plain = await startTcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(await presentedFingerprint(`wss://127.0.0.1:${plain.port}/`, 5000)).toBeUndefined();
    expect(await presentedFingerprint(`wss://127.0.0.1:${await closedPort()}/`, 5000)).toBeUndefined();
    expect(await presentedFingerprint('not a url', 5000)).toBeUndefined();
    const aborted = new AbortController();
    aborted.abort();
    expect(await presentedFingerprint(tls.wssUrl(), 5000, aborted.signal)).toBeUndefined();
  });
});
