import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { pinnedTlsOptions } from '../../src/connection/tls-pin.js';
import { dialTarget } from '../../src/endpoints/certificate.js';
import { EndpointService } from '../../src/endpoints/service.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { silentLogger } from '../../src/logger.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore, type EndpointRecord } from '../../src/store/endpoint-store.js';
import { freshCertificate, testCertificate } from '../helpers/certs.js';
import { startTlsServer } from '../helpers/tls-server.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The contract between `add` and the connection: what the service stores (pinned certificate, or CA) is what
 * `connection/tls-pin.ts` trusts later, against real TLS servers.
 */

function setup() {
  const dir = tempDir();
  const store = Store.open(join(dir, 'nbwss.db'));
  const endpoints = new EndpointStore(store);
  const service = new EndpointService({ endpoints, cipher: TokenCipher.fromKeyFile(join(dir, 'k')), logger: silentLogger(), certificateTimeoutMs: 5000 });
  return { endpoints, service };
}

const details = (url: string) => ({ token: 't', priority: 1, groupId: 'G', hostName: 'ep1.test', url });

/** Connect as the connection would; resolves 'secure' or the error. */
function tryConnect(rec: EndpointRecord): Promise<'secure' | Error> {
  const { host, port } = dialTarget(rec.url);
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...pinnedTlsOptions(rec) });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve('secure');
    });
    socket.once('error', (err) => resolve(err));
  });
}

describe('what add stores is what the connection trusts', () => {
  it('pinned (trust on first use): the same certificate connects, a replaced one does not', async () => {
    const { service, endpoints } = setup();
    const server = await startTlsServer(await freshCertificate('127.0.0.1'));
    await service.add(details(server.wssUrl()), { acceptCertificate: true });
    const rec = endpoints.require('ep1.test');
    expect(await tryConnect(rec)).toBe('secure');
    await server.restart(await freshCertificate('127.0.0.1'));
    expect(await tryConnect(rec)).toBeInstanceOf(Error);
  });

  it('CA: a renewed certificate from the same CA connects; one from another CA does not', async () => {
    const { service, endpoints } = setup();
    const ca = await testCertificate({ hosts: [], commonName: 'Test CA', isCa: true });
    const server = await startTlsServer(await freshCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } }));
    await service.add(details(server.wssUrl()), { caPem: ca.cert });
    const rec = endpoints.require('ep1.test');
    await server.restart(await freshCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } }));
    expect(await tryConnect(rec)).toBe('secure');
    const other = await testCertificate({ hosts: [], commonName: 'Other CA', isCa: true });
    await server.restart(await freshCertificate({ hosts: ['127.0.0.1'], ca: { key: other.key, cert: other.cert } }));
    expect(await tryConnect(rec)).toBeInstanceOf(Error);
  });
});
