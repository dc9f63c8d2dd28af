import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { rejection } from '../helpers/rejection.js';
import { describe, expect, it } from 'vitest';
import { EndpointService } from '../../src/endpoints/service.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import type { EndpointDetails } from '../../src/endpoints/validate.js';
import { CertificateRejectedError, EndpointError, InputError, UsageError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { freshCertificate, testCertificate } from '../helpers/certs.js';
import { closedPort, startTlsServer } from '../helpers/tls-server.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'tok-5f1c0e9a-VERY-SECRET-7d2b';

/** A service on a real SQLite file and key file in a temp folder, logging at trace level into `logs`. */
function setup() {
  const dir = tempDir();
  const dbPath = join(dir, 'nbwss.db');
  const store = Store.open(dbPath);
  const endpoints = new EndpointStore(store);
  const cipher = TokenCipher.fromKeyFile(join(dir, 'nbwss.key'));
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', stream });
  const service = new EndpointService({ endpoints, cipher, logger, certificateTimeoutMs: 5000 });
  return { dir, dbPath, store, endpoints, service, logs };
}

function detailsFor(url: string, patch: Partial<EndpointDetails> = {}): EndpointDetails {
  return { token: TOKEN, priority: 1, groupId: 'G1', hostName: 'ep1.test', url, ...patch };
}

describe('EndpointService: lifecycle on a real SQLite file', () => {
  it('add → list → show → deactivate/activate → update-token → delete', async () => {
    const { service } = setup();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const added = await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    expect(added.endpoint).toEqual({
      hostName: 'ep1.test',
      url: server.wssUrl(),
      groupId: 'G1',
      priority: 1,
      state: 'ACTIVATED',
      connectionState: 'DISCONNECTED',
      fingerprint: cert.fingerprint256,
    });
    await service.add(detailsFor(server.wssUrl(), { hostName: 'ep2.test', priority: 2 }), { acceptCertificate: true });

    const list = service.list();
    expect(list.map((e) => [e.hostName, e.priority])).toEqual([['ep1.test', 1], ['ep2.test', 2]]);
    for (const e of list) {
      expect(Object.keys(e).sort()).toEqual([
        'certificateExpiresAt',
        'closesWithinMs',
        'connectionState',
        'fingerprint',
        'groupId',
        'hostName',
        'lastError',
        'lastErrorAt',
        'priority',
        'role',
        'since',
        'state',
        'trust',
        'url',
      ]);
      expect(e.role).toBe('connecting'); // never dialled: no daemon here
    }
    expect(JSON.stringify(list)).not.toContain(TOKEN);

    const shown = service.show('ep1.test');
    expect(shown.token).toBeUndefined();
    expect(shown.trust).toBe('pinned');
    expect(shown.certificate.fingerprint256).toBe(cert.fingerprint256);
    expect(JSON.stringify(shown)).not.toContain(TOKEN);
    expect(service.show('ep1.test', { showToken: true }).token).toBe(TOKEN);

    service.deactivate('ep1.test');
    expect(service.show('ep1.test').state).toBe('DEACTIVATED');
    service.activate('ep1.test');
    expect(service.show('ep1.test').state).toBe('ACTIVATED');

    service.updateToken('ep1.test', 'rotated-token-2');
    expect(service.show('ep1.test', { showToken: true }).token).toBe('rotated-token-2');
    expect(service.show('ep1.test').fingerprint).toBe(cert.fingerprint256);

    service.delete('ep1.test');
    expect(service.list().map((e) => e.hostName)).toEqual(['ep2.test']);
  });

  it('unknown host → no entity was found, for show, activate, deactivate, delete, update-token', async () => {
    const { service } = setup();
    for (const op of [
      () => service.show('nope'),
      () => service.activate('nope'),
      () => service.deactivate('nope'),
      () => service.delete('nope'),
      () => service.updateToken('nope', 't'),
    ]) {
      const err = await rejection(op, Error);
      expect(err.message).toBe('no entity was found');
      expect((err as EndpointError).code).toBe('NBWSS_ERR_NOT_FOUND');
    }
  });

  it('a host name already stored → the entity already exists (before any network)', async () => {
    const { service } = setup();
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    const port = await closedPort();
    const err = await rejection(service.add(detailsFor(`wss://127.0.0.1:${port}/x`), { acceptCertificate: true }), Error);
    expect(err.message).toBe('the entity already exists');
    expect((err as EndpointError).code).toBe('NBWSS_ERR_ALREADY_EXISTS');
  });

  it('update-token rejects an empty token or one with an apostrophe', async () => {
    const { service } = setup();
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    for (const bad of ['', "it's"]) expect((await rejection(() => service.updateToken('ep1.test', bad), Error)).message).toBe('JSON contents not valid');
    expect(service.show('ep1.test', { showToken: true }).token).toBe(TOKEN);
  });

  it('tokenOf decrypts the stored token for the connection', async () => {
    const { service, endpoints } = setup();
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    expect(service.tokenOf(endpoints.require('ep1.test'))).toBe(TOKEN);
  });
});

describe('EndpointService: the token never leaves in clear', () => {
  it('is absent from the database file and its WAL, and from every log line', async () => {
    const { service, dbPath, store, logs } = setup();
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    await service.validate(detailsFor(server.wssUrl()));
    await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    service.updateToken('ep1.test', `${TOKEN}-rotated`);
    service.show('ep1.test', { showToken: true });
    service.list();
    const needle = Buffer.from(TOKEN);
    const files = [dbPath, `${dbPath}-wal`].filter((f) => existsSync(f) && statSync(f).size > 0);
    expect(files).toContain(`${dbPath}-wal`); // still in the WAL: the check covers the bytes a crash would leave
    for (const f of files) expect(readFileSync(f).includes(needle)).toBe(false);
    store.close();
    expect(readFileSync(dbPath).includes(needle)).toBe(false);
    expect(logs.length).toBeGreaterThan(3);
    expect(logs.join('')).toContain('endpoint added');
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it('the logger redacts a token passed by mistake', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    createLogger({ level: 'info', stream }).child({ subsystem: 'x' }).info({ token: TOKEN, endpoint: { token: TOKEN } }, 'oops');
    expect(lines.join('')).toContain('[redacted]');
    expect(lines.join('')).not.toContain(TOKEN);
  });
});

describe('EndpointService: pinning against a real local TLS server', () => {
  it('validate shows the certificate and stores nothing', async () => {
    const { service } = setup();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const result = await service.validate(detailsFor(server.wssUrl()));
    expect(result.details).toEqual({ hostName: 'ep1.test', url: server.wssUrl(), groupId: 'G1', priority: 1 });
    expect(result.certificate.fingerprint256).toBe(cert.fingerprint256);
    expect(service.list()).toEqual([]);
  });

  it('--accept-certificate pins what the server presents (trust on first use)', async () => {
    const { service, endpoints } = setup();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    await service.add(detailsFor(server.wssUrl()), { acceptCertificate: true });
    const rec = endpoints.require('ep1.test');
    expect(rec.certFingerprint).toBe(cert.fingerprint256);
    expect(rec.certPem.replace(/\s/g, '')).toBe(cert.cert.replace(/\r/g, '').replace(/\s/g, ''));
    expect(rec.caPem).toBeNull();
  });

  it('--fingerprint matching (any case, colons optional) adds', async () => {
    const { service } = setup();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const fp = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    const { endpoint } = await service.add(detailsFor(server.wssUrl()), { fingerprint: fp });
    expect(endpoint.fingerprint).toBe(cert.fingerprint256);
  });

  it('--fingerprint not matching → the guide\'s certificate mismatch message, nothing stored', async () => {
    const { service } = setup();
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    const other = await freshCertificate('127.0.0.1');
    const err = await rejection(service.add(detailsFor(server.wssUrl()), { fingerprint: other.fingerprint256 }), Error);
    expect(err.message).toBe('The certificate did not match with the one accepted by the user, please verify the certificate');
    expect((err as EndpointError).code).toBe('NBWSS_ERR_CERTIFICATE_MISMATCH');
    expect(service.list()).toEqual([]);
  });

  it('the certificate changed between validate and add → mismatch (server restarted with a fresh certificate)', async () => {
    const { service } = setup();
    const server = await startTlsServer(await freshCertificate('127.0.0.1'));
    const { certificate } = await service.validate(detailsFor(server.wssUrl()));
    await server.restart(await freshCertificate('127.0.0.1'));
    const err = await rejection(service.add(detailsFor(server.wssUrl()), { fingerprint: certificate.fingerprint256 }), Error);
    expect((err as EndpointError).code).toBe('NBWSS_ERR_CERTIFICATE_MISMATCH');
    expect((err as EndpointError).detail).toContain(certificate.fingerprint256);
    expect(service.list()).toEqual([]);
  });

  it('confirm: yes adds, no adds nothing (CertificateRejectedError); it is shown the certificate', async () => {
    const { service } = setup();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const seen: string[] = [];
    const no = await rejection(service.add(detailsFor(server.wssUrl()), { confirm: async (c) => (seen.push(c.fingerprint256), false) }), Error);
    expect(no).toBeInstanceOf(CertificateRejectedError);
    expect(service.list()).toEqual([]);
    await service.add(detailsFor(server.wssUrl()), { confirm: async (c) => (seen.push(c.fingerprint256), true) });
    expect(seen).toEqual([cert.fingerprint256, cert.fingerprint256]);
    expect(service.list()).toHaveLength(1);
  });

  it('no trust decision → a UsageError naming the flags; bad fingerprint → UsageError; both flags → UsageError', async () => {
    const { service } = setup();
    const url = 'wss://127.0.0.1:1/x';
    expect((await rejection(service.add(detailsFor(url)), Error)).message).toMatch(/--accept-certificate.*--fingerprint/);
    expect(await rejection(service.add(detailsFor(url), { fingerprint: 'AB:CD' }), Error)).toBeInstanceOf(UsageError);
    expect(await rejection(service.add(detailsFor(url), { fingerprint: 'AB', acceptCertificate: true }), Error)).toBeInstanceOf(UsageError);
    expect(await rejection(service.add(detailsFor(url), { caPem: 'not a pem' }), Error)).toBeInstanceOf(InputError);
  });

  it('unreachable host → Unable to establish connection with host: <hostName>', async () => {
    const { service } = setup();
    const port = await closedPort();
    const err = await rejection(service.validate(detailsFor(`wss://127.0.0.1:${port}/x`, { hostName: 'ep9.acme.com' })), Error);
    expect(err.message).toBe('Unable to establish connection with host: ep9.acme.com');
  });

  it('--ca: adds when the chain verifies to the CA, stores the CA and records the leaf fingerprint', async () => {
    const { service, endpoints } = setup();
    const ca = await testCertificate({ hosts: [], commonName: 'Test CA', isCa: true });
    const leaf = await testCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } });
    const server = await startTlsServer(leaf);
    await service.add(detailsFor(server.wssUrl()), { caPem: ca.cert });
    const rec = endpoints.require('ep1.test');
    expect(rec.caPem).toBe(ca.cert);
    expect(rec.certFingerprint).toBe(leaf.fingerprint256);
    expect(service.show('ep1.test').trust).toBe('ca');
    expect(service.show('ep1.test').caCertificate?.subject).toBe('CN=Test CA');
  });

  it('--ca: a certificate from another CA → Failed to setup SSL security', async () => {
    const { service } = setup();
    const ca = await testCertificate({ hosts: [], commonName: 'Test CA', isCa: true });
    const server = await startTlsServer(await testCertificate('127.0.0.1'));
    const err = await rejection(service.add(detailsFor(server.wssUrl()), { caPem: ca.cert }), Error);
    expect(err.message).toBe('Failed to setup SSL security');
    expect((err as EndpointError).detail).toMatch(/does not chain to the CA/);
  });

  it('pinning a certificate from a private CA without --ca is refused (it could never connect)', async () => {
    const { service } = setup();
    const ca = await testCertificate({ hosts: [], commonName: 'Test CA', isCa: true });
    const server = await startTlsServer(await testCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } }));
    const err = await rejection(service.add(detailsFor(server.wssUrl()), { acceptCertificate: true }), Error);
    expect(err.message).toBe('Failed to setup SSL security');
    expect((err as EndpointError).detail).toMatch(/--ca FILE/);
  });

  it('uses the injected certificate fetcher', async () => {
    const { endpoints } = setup();
    const cert = await testCertificate('127.0.0.1');
    const { describeCertificate } = await import('../../src/certificates.js');
    const calls: string[] = [];
    const service = new EndpointService({
      endpoints,
      cipher: TokenCipher.fromKeyFile(join(tempDir(), 'k')),
      logger: createLogger({ level: 'silent', stream: process.stderr }),
      fetchCertificate: async (url) => (calls.push(url), { ...describeCertificate(cert.cert), chainVerified: false }),
    });
    await service.add(detailsFor('wss://ep1.test:14146/x'), { acceptCertificate: true });
    expect(calls).toEqual(['wss://ep1.test:14146/x']);
  });
});
