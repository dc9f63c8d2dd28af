/**
 * Child process of bench/commands.ts: the cloud side. A lean wss:// endpoint (accepts the CONNECT, then sends
 * COMMAND REQUESTs and pairs the responses by id) and, for comparison, a direct undici client to the same mock
 * NetBackup. It runs the measurements the parent asks for over IPC, so the daemon's process does nothing else.
 */
import { createServer } from 'node:https';
import { Pool } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';
import { generateCertificate } from '../src/certificates.js';
import { commandRequest, connectResponse, type CommandResponse, type Message } from '../src/protocol/messages.js';

interface Job {
  cmd: 'latency' | 'throughput';
  nbUrl: string;
  ca: string;
  uri: string;
  n?: number;
  concurrency?: number;
  durationMs?: number;
}

const certificate = await generateCertificate({ hosts: ['127.0.0.2'] });
const https = createServer({ key: certificate.key, cert: certificate.cert });
const wss = new WebSocketServer({ server: https, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
let socket: WebSocket | undefined;
let connected!: () => void;
const isConnected = new Promise<void>((r) => (connected = r));
const pending = new Map<string, (res: CommandResponse) => void>();

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Message;
    if (m.type === 'CONNECT' && m.subType === 'REQUEST') {
      ws.send(JSON.stringify(connectResponse(m.id, true, Math.floor(Date.now() / 1000))));
      socket = ws;
      connected();
    } else if (m.type === 'COMMAND' && m.subType === 'RESPONSE') {
      const done = pending.get(m.id);
      pending.delete(m.id);
      done?.(m as CommandResponse);
    }
  });
});
await new Promise<void>((r) => https.listen(0, '127.0.0.2', r));
process.send!({ port: (https.address() as { port: number }).port, cert: certificate.cert, fingerprint: certificate.fingerprint256 });

let token = '';
const headers = () => ({ Accept: 'application/vnd.netbackup+json;version=1.0', Authorization: token });

function viaSocket(uri: string): Promise<CommandResponse> {
  const req = commandRequest({ method: 'GET', uri, headers: headers() }, Math.floor(Date.now() / 1000));
  return new Promise((resolve) => {
    pending.set(req.id, resolve);
    socket!.send(JSON.stringify(req));
  });
}

async function direct(pool: Pool, uri: string): Promise<number> {
  const res = await pool.request({ path: uri, method: 'GET', headers: headers() });
  await res.body.text();
  return res.statusCode;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

process.on('message', async (job: Job) => {
  await isConnected;
  const pool = new Pool(new URL(job.nbUrl).origin, { connect: { ca: job.ca } });
  if (!token) {
    const res = await pool.request({
      path: '/netbackup/login',
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0' },
      body: JSON.stringify({ userName: 'admin', password: 'password' }),
    });
    token = ((await res.body.json()) as { token: string }).token;
  }
  if (job.cmd === 'latency') {
    // Warm both paths, then interleave: one direct, one through the socket, n times each, one at a time.
    for (let i = 0; i < 200; i++) {
      await direct(pool, job.uri);
      await viaSocket(job.uri);
    }
    const d: number[] = [];
    const s: number[] = [];
    let bad = 0;
    for (let i = 0; i < job.n!; i++) {
      let t = performance.now();
      if ((await direct(pool, job.uri)) !== 200) bad++;
      d.push(performance.now() - t);
      t = performance.now();
      if ((await viaSocket(job.uri)).payload.responseCode !== 200) bad++;
      s.push(performance.now() - t);
    }
    d.sort((a, b) => a - b);
    s.sort((a, b) => a - b);
    process.send!({ direct: { p50: pct(d, 50), p99: pct(d, 99) }, socket: { p50: pct(s, 50), p99: pct(s, 99) }, bad });
  } else {
    const end = performance.now() + job.durationMs!;
    let done = 0;
    let bad = 0;
    const lat: number[] = [];
    const worker = async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const r = await viaSocket(job.uri);
        lat.push(performance.now() - t);
        if (r.payload.responseCode !== 200) bad++;
        done++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: job.concurrency! }, worker));
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    process.send!({ perSecond: done / secs, done, bad, p50: pct(lat, 50), p99: pct(lat, 99) });
  }
  await pool.close();
});
process.on('disconnect', () => process.exit(0));
