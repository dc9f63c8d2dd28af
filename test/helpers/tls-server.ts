import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { onTestFinished } from 'vitest';
import type { GeneratedCertificate } from '../../src/certificates.js';

/** Close a server and every socket it still holds. */
function closeAll(server: NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function listen(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function track(server: NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return sockets;
}

/** A local TLS server that completes the handshake and closes: enough for certificate fetch and pinning tests. */
export interface TestTlsServer {
  readonly host: string;
  readonly port: number;
  /** Certificate currently served. */
  readonly certificate: GeneratedCertificate;
  /** A wss:// URL on this server. */
  wssUrl(path?: string): string;
  /** Stop, then listen again on the same port with another certificate (a certificate change). */
  restart(certificate: GeneratedCertificate): Promise<void>;
  close(): Promise<void>;
}

/** Start a {@link TestTlsServer} on `host` (default 127.0.0.1), port 0; closed when the test finishes. */
export async function startTlsServer(certificate: GeneratedCertificate, host = '127.0.0.1'): Promise<TestTlsServer> {
  let current = certificate;
  let server: TlsServer;
  let sockets: Set<Socket>;
  const start = async (port: number) => {
    server = createTlsServer({ key: current.key, cert: current.cert }, (socket) => socket.end());
    server.on('tlsClientError', () => undefined);
    sockets = track(server);
    return listen(server, host, port);
  };
  const port = await start(0);
  let closed = false;
  const api: TestTlsServer = {
    host,
    port,
    get certificate() {
      return current;
    },
    wssUrl: (path = '/cfs/nbufacade') => `wss://${host}:${port}${path}`,
    async restart(next) {
      await closeAll(server, sockets);
      current = next;
      await start(port);
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeAll(server, sockets);
    },
  };
  onTestFinished(() => api.close());
  return api;
}

/** A local HTTPS server with a handler; closed when the test finishes. */
export async function startHttpsServer(
  certificate: GeneratedCertificate,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<{ server: HttpsServer; port: number; url(path?: string): string }> {
  const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, handler);
  server.on('tlsClientError', () => undefined);
  const sockets = track(server);
  const port = await listen(server, host, 0);
  onTestFinished(() => closeAll(server, sockets));
  return { server, port, url: (path = '/endpoint.json') => `https://${host}:${port}${path}` };
}

/** A plain TCP server that runs `onSocket` for each connection (not TLS: for handshake failure tests). */
export async function startTcpServer(onSocket: (socket: Socket) => void, host = '127.0.0.1'): Promise<{ port: number }> {
  const server = createNetServer(onSocket);
  const sockets = track(server);
  const port = await listen(server, host, 0);
  onTestFinished(() => closeAll(server, sockets));
  return { port };
}

/** A port on `host` where nothing listens (connections are refused). */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  const port = await listen(server, host, 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
