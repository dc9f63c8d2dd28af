/**
 * The endpoint side of bench/connections.ts, run as a separate child process (so the daemon's RSS and CPU are
 * measured alone): one wss:// server on 127.0.0.1 that serves every path, accepts every CONNECT REQUEST,
 * acknowledges every NOTIFICATION REQUEST and answers pings. Talks to the parent over IPC: sends `{ ready, port, cert, fingerprint }`, answers `stats`.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { generateCertificate } from '../src/certificates.js';
import { connectResponse, notificationResponse } from '../src/protocol/index.js';

const cert = await generateCertificate({ hosts: ['127.0.0.1'] });
const server = createServer({ key: cert.key, cert: cert.cert });
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
let open = 0;
let connected = 0;
let pings = 0;
let notifications = 0;
wss.on('connection', (ws) => {
  open++;
  ws.on('error', () => {});
  ws.on('ping', () => pings++);
  ws.on('close', () => open--);
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { id: string; type: string; subType: string };
    const now = Math.floor(Date.now() / 1000);
    if (m.type === 'CONNECT') {
      ws.send(JSON.stringify(connectResponse(m.id, true, now)));
      connected++;
    } else if (m.type === 'NOTIFICATION' && m.subType === 'REQUEST') {
      ws.send(JSON.stringify(notificationResponse(m.id, now)));
      notifications++;
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send!({ ready: true, port, cert: cert.cert, fingerprint: cert.fingerprint256 });
});
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stats') process.send!({ stats: { open, connected, pings, notificationRequests: notifications, rssMb: process.memoryUsage().rss / 2 ** 20 } });
  if (msg.cmd === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
