import { rejection } from '../helpers/rejection.js';
import { describe, expect, it } from 'vitest';
import { fetchEndpointDetails } from '../../src/endpoints/fetch-details.js';
import { EndpointError } from '../../src/errors.js';
import { testCertificate } from '../helpers/certs.js';
import { closedPort, startHttpsServer } from '../helpers/tls-server.js';

const details = { token: 'tok-SECRET-1', priority: 1, groupId: 'G1', hostName: 'ep1.test', url: 'wss://ep1.test:14146/cfs/nbufacade' };

async function serve(body: string | Buffer, status = 200) {
  const cert = await testCertificate('127.0.0.1');
  const server = await startHttpsServer(cert, (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  return { cert, server };
}

describe('fetchEndpointDetails (the URL option)', () => {
  it('fetches and validates endpoint JSON from a local https server (trusting its CA with --url-ca)', async () => {
    const { cert, server } = await serve(JSON.stringify(details));
    expect(await fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert })).toEqual(details);
  });

  it('with --insecure-url: accepts an unverified certificate', async () => {
    const { server } = await serve(JSON.stringify(details));
    expect(await fetchEndpointDetails(server.url(), { timeoutMs: 5000, insecure: true })).toEqual(details);
  });

  it('by default (bundled CAs only) refuses a self-signed certificate → Failed to open connection to the remote object referred to by the URL', async () => {
    const { server } = await serve(JSON.stringify(details));
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000 }), EndpointError);
    expect(err.message).toBe('Failed to open connection to the remote object referred to by the URL');
    expect(err.code).toBe('NBWSS_ERR_NO_CERTIFICATE');
  });

  it('content that is not JSON → InvalidPacketException Unable to parse JSON contents', async () => {
    const { cert, server } = await serve('<html>hello</html>');
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('InvalidPacketException Unable to parse JSON contents');
    expect(err.code).toBe('NBWSS_ERR_UNPARSABLE_CONTENT');
  });

  it('JSON that is not endpoint details (a member missing) → InvalidPacketException', async () => {
    const { cert, server } = await serve(JSON.stringify({ ...details, token: undefined }));
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('InvalidPacketException Unable to parse JSON contents');
    expect(err.detail).toMatch(/missing member token/);
  });

  it('endpoint JSON with a ws:// url keeps the protocol message', async () => {
    const { cert, server } = await serve(JSON.stringify({ ...details, url: 'ws://ep1.test/x' }));
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('Invalid websocket protocol. Only wss protocol supported');
  });

  it('a body over 64 KiB → InvalidPacketException (streamed, no content-length)', async () => {
    const cert = await testCertificate('127.0.0.1');
    const server = await startHttpsServer(cert, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(16 * 1024, 0x20));
      res.end('{}');
    });
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('InvalidPacketException Unable to parse JSON contents');
    expect(err.detail).toMatch(/larger than 65536 bytes/);
  });

  it('a declared content-length over the cap is refused before reading', async () => {
    const { cert, server } = await serve(Buffer.alloc(70 * 1024, 0x20));
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.detail).toMatch(/larger than/);
  });

  it('an HTTP error status → Failed to open connection to the remote object referred to by the URL', async () => {
    const { cert, server } = await serve('not found', 404);
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 5000, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('Failed to open connection to the remote object referred to by the URL');
    expect(err.detail).toMatch(/HTTP 404/);
  });

  it('a non-https URL → invalid command parameter', async () => {
    for (const url of ['http://127.0.0.1/endpoint.json', 'wss://127.0.0.1/x', 'file:///etc/passwd', 'not a url']) {
      const err = await rejection(fetchEndpointDetails(url, { timeoutMs: 5000 }), EndpointError);
      expect(err.message).toBe('invalid command parameter');
      expect(err.code).toBe('NBWSS_ERR_INVALID_PARAMETER');
    }
  });

  it('nothing listening → Unable to establish connection with host: <host>', async () => {
    const port = await closedPort();
    const err = await rejection(fetchEndpointDetails(`https://127.0.0.1:${port}/endpoint.json`, { timeoutMs: 5000 }), EndpointError);
    expect(err.message).toBe('Unable to establish connection with host: 127.0.0.1');
    expect(err.code).toBe('NBWSS_ERR_UNREACHABLE');
  });

  it('a server that never answers → Unable to establish connection with host after the timeout', async () => {
    const cert = await testCertificate('127.0.0.1');
    const server = await startHttpsServer(cert, () => undefined);
    const err = await rejection(fetchEndpointDetails(server.url(), { timeoutMs: 200, caPem: cert.cert }), EndpointError);
    expect(err.message).toBe('Unable to establish connection with host: 127.0.0.1');
  });
});
