import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket from 'faye-websocket';
import { onTestFinished } from 'vitest';
import { generateCertificate } from '../../src/certificates.js';

/**
 * A conforming NBWSS endpoint written on a second, independent stack: faye-websocket (websocket-driver) on a bare
 * `node:https` server's `upgrade` event, no `ws` anywhere, and the protocol handled in plain code the way a cloud
 * team would write it (its own COMMAND ids from `crypto.randomUUID()`, lower case). The checker must not be tuned
 * to the mock endpoint: this one has to pass too.
 */
export interface FayeEndpoint {
  url: string;
  token: string;
  fingerprint256: string;
  /** COMMAND RESPONSEs received, by status. */
  commandStatuses: number[];
}

export async function startFayeEndpoint(options: { maxLength?: number } = {}): Promise<FayeEndpoint> {
  const pair = await generateCertificate({ hosts: ['127.0.0.1'] });
  const token = 'faye-token';
  const commandStatuses: number[] = [];
  const sockets = new Set<WebSocket>();
  const server: Server = createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket, body: Buffer) => {
    if (req.url !== '/faye/nbwss' || !WebSocket.isWebSocket(req)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const ws = new WebSocket(req, socket, body, null, { maxLength: options.maxLength ?? 4 * 1024 * 1024 });
    sockets.add(ws);
    let connected = false;
    const seconds = () => Math.floor(Date.now() / 1000);
    const reply = (type: string, id: string, payload: unknown) => ws.send(JSON.stringify({ version: '1.0', id, type, subType: 'RESPONSE', timeStamp: seconds(), payload }));
    ws.on('message', (event) => {
      let m: { id?: string; type?: string; subType?: string; payload?: { token?: string; responseCode?: number } };
      try {
        m = JSON.parse(String(event.data)) as typeof m;
      } catch {
        ws.close(1007, 'not JSON');
        return;
      }
      if (typeof m.id !== 'string') return;
      if (m.type === 'CONNECT' && m.subType === 'REQUEST') {
        connected = m.payload?.token === token;
        reply('CONNECT', m.id, { valid: connected });
        if (connected) {
          const login = JSON.stringify({ userName: 'admin', password: 'password' });
          ws.send(JSON.stringify({ version: '1.0', id: randomUUID(), type: 'COMMAND', subType: 'REQUEST', timeStamp: seconds(), payload: { uri: '/netbackup/login', method: 'POST', headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0' }, parameters: login } }));
        }
      } else if (connected && m.type === 'NOTIFICATION' && m.subType === 'REQUEST') {
        reply('NOTIFICATION', m.id, []); // a resend gets the same answer: de-duplicated, acknowledged again
      } else if (connected && m.type === 'COMMAND' && m.subType === 'RESPONSE') {
        commandStatuses.push(Number(m.payload?.responseCode));
      }
    });
    ws.on('close', () => sockets.delete(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const ws of sockets) ws.close(1001, 'test over');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `wss://127.0.0.1:${port}/faye/nbwss`, token, fingerprint256: pair.fingerprint256, commandStatuses };
}
