/**
 * Acknowledgements and scrapes over a large backlog (issue 10 C10). The real daemon (in this process: scheduler,
 * notification service, admin API with realization and metrics) runs on a SQLite file holding N outbox rows that
 * a deactivated server group has not acknowledged (so nothing can be pruned), with P notify requests pending in
 * the realization tracker (raised through `POST /api/notifications`, never in sync because of that group). A
 * second group's endpoint (real wss://, pinned self-signed certificate) acknowledges every NOTIFICATION REQUEST at
 * once. Measured:
 *
 * - ack handling: the synchronous handling of each NOTIFICATION RESPONSE (the route handler: commit the cursor,
 *   the `batchAcked` listeners — metrics, realization, event stream — and reading and sending the next batch), in
 *   wall time (the target) and in process CPU time (what the work itself costs; on a shared machine the wall figure
 *   also holds the time other processes had the CPU);
 * - event-loop delay meanwhile (perf_hooks), which also covers the realization evaluations the acks schedule;
 * - `GET /metrics`, `GET /api/groups` and `GET /api/endpoints` over HTTP while acknowledgements flow.
 *
 * For reference it also times one `SELECT COUNT(*)` of the outbox: what each pending request cost per ack before.
 *
 *   npx tsx bench/backlog.ts [--rows 1000000] [--pending 1000] [--acks 3000] [--scrapes 50] [--quick]
 *
 * Targets (issue 10 C10): p99 ack handling < 5 ms and p99 `/metrics` scrape < 50 ms at 1M rows and 1,000 pending
 * requests; the exit code is 1 when one is missed. Results go to bench/results/backlog.json.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { generateCertificate } from '../src/certificates.js';
import { Router, type MessageHandler } from '../src/connection/channel.js';
import { startDaemon } from '../src/daemon.js';
import { TokenCipher } from '../src/endpoints/token-cipher.js';
import { silentLogger } from '../src/logger.js';
import type { MessageType, SubType } from '../src/protocol/messages.js';
import { connectResponse, notificationResponse, type Message } from '../src/protocol/messages.js';
import { Store } from '../src/store/database.js';
import { EndpointStore } from '../src/store/endpoint-store.js';
import { OutboxStore } from '../src/store/outbox-store.js';
import { benchArgs, benchConfig } from './_kit.js';

const args = benchArgs();
const QUICK = args.flag('quick');
const ROWS = args.num('rows', QUICK ? 200_000 : 1_000_000);
const PENDING = args.num('pending', 1000);
// G1 drains the rows in batches of notification.maxBatchSize (100): there are no more acknowledgements than batches
const ACKS = Math.min(args.num('acks', QUICK ? 1000 : 3000), Math.floor(ROWS / 100) - 1);
const SCRAPES = args.num('scrapes', 50);
const TARGET_ACK_P99_MS = 5;
const TARGET_SCRAPE_P99_MS = 50;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
function summary(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? NaN };
}

/** A Router that times the NOTIFICATION RESPONSE route (the whole synchronous handling of one acknowledgement). */
class TimedRouter extends Router {
  recording = false;
  readonly ackMs: number[] = [];
  /** CPU time of the process (user + system, all threads) during each handling: what the work costs, without the
   * time the machine gave to other processes (the wall figure includes that on a shared machine). */
  readonly ackCpuMs: number[] = [];
  override on(type: MessageType, subType: SubType, handler: MessageHandler): this {
    if (type !== 'NOTIFICATION' || subType !== 'RESPONSE') return super.on(type, subType, handler);
    return super.on(type, subType, (m, c) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      handler(m, c);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (this.recording) {
        this.ackMs.push(wall);
        this.ackCpuMs.push((cpu.user + cpu.system) / 1000);
      }
    });
  }
}

function job(i: number): string {
  return JSON.stringify({ scheduleType: 'ST_FULL', clientName: `vm-${i % 997}`, status: 0, startTime: 1459829698 + i, state: 'DONE', policyName: 'vmware2', parentJobId: i - 1, jobId: i, policyType: 'VMWARE', jobType: 'BACKUP' });
}

/** An endpoint that accepts CONNECT and acknowledges NOTIFICATION REQUESTs once `acking` is set. */
async function startAckEndpoint(cert: { key: string; cert: string }) {
  const server = createServer({ key: cert.key, cert: cert.cert });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
  const state = { acking: false, acked: 0, held: [] as { ws: WebSocket; id: string }[] };
  const ack = (ws: WebSocket, id: string) => {
    state.acked++;
    ws.send(JSON.stringify(notificationResponse(id, Math.floor(Date.now() / 1000))));
  };
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Message;
      if (m.type === 'CONNECT') ws.send(JSON.stringify(connectResponse(m.id, true, Math.floor(Date.now() / 1000))));
      else if (m.type === 'NOTIFICATION' && m.subType === 'REQUEST') {
        if (state.acking) ack(ws, m.id);
        else state.held.push({ ws, id: m.id });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    state,
    startAcking() {
      state.acking = true;
      for (const h of state.held.splice(0)) ack(h.ws, h.id);
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close();
    },
  };
}

async function timeGet(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    out.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-backlog-'));
  try {
    const cert = await generateCertificate({ hosts: ['127.0.0.1'] });
    const endpoint = await startAckEndpoint(cert);
    const config = benchConfig(dir, { 'admin.listen': '127.0.0.1:0', 'log.level': 'error', 'connectionInfo.period': 0.2, 'notification.delay': 0 });

    // Two groups subscribed before the rows exist: G1 acknowledges, G2 is deactivated and holds every row back.
    const t0 = performance.now();
    const store = Store.open(config.db.path);
    const endpoints = new EndpointStore(store);
    const cipher = TokenCipher.forStore(config.security.keyFile, 0);
    const ep = { priority: 1, tokenEnc: cipher.encrypt('TOKEN', 'x'), certPem: cert.cert, certFingerprint: cert.fingerprint256, caPem: null };
    endpoints.insert({ ...ep, hostName: '127.0.0.1', url: `wss://127.0.0.1:${endpoint.port}/`, groupId: 'G1', tokenEnc: cipher.encrypt('TOKEN', '127.0.0.1') });
    endpoints.insert({ ...ep, hostName: 'offline.invalid', url: 'wss://offline.invalid:1/', groupId: 'G2', state: 'DEACTIVATED', tokenEnc: cipher.encrypt('TOKEN', 'offline.invalid') });
    const outbox = new OutboxStore(store);
    const CHUNK = 20_000;
    for (let done = 0; done < ROWS; done += CHUNK) {
      const n = Math.min(CHUNK, ROWS - done);
      outbox.append([{ rows: Array.from({ length: n }, (_, i) => ({ object: 'JOB' as const, data: job(done + i + 1) })), raisedAt: Date.now() }]);
    }
    const c0 = performance.now();
    const counted = store.db.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
    const countMs = performance.now() - c0;
    store.close();
    const dbBytes = statSync(config.db.path).size;
    process.stdout.write(`load average (1 min) ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores\n`);
    process.stdout.write(`outbox: ${counted} rows, ${(dbBytes / 1024 / 1024).toFixed(0)} MiB, filled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`reference: one SELECT COUNT(*) of the outbox takes ${fmt(countMs)} (before the fix: ~${PENDING + 1} per group per ack, ~${((countMs * (PENDING + 1) * 2) / 1000).toFixed(1)} s per ack)\n`);

    const router = new TimedRouter();
    const daemon = await startDaemon({ config, logger: silentLogger(), router });
    try {
      const admin = daemon.services.admin;
      const base = admin.url!;
      // P notify requests, pending for ever (G2 never acknowledges)
      const r0 = performance.now();
      for (let i = 0; i < PENDING; i++) {
        const res = await fetch(`${base}/api/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'JOB', data: JSON.parse(job(ROWS + i + 1)) }) });
        if (res.status !== 202) throw new Error(`POST /api/notifications: HTTP ${res.status} ${await res.text()}`);
      }
      process.stdout.write(`${PENDING} notify requests pending (raised through the admin API in ${((performance.now() - r0) / 1000).toFixed(1)} s)\n`);

      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      router.recording = true;
      endpoint.startAcking();
      // scrapes while acknowledgements flow
      const [metricsMs, groupsMs, endpointsMs] = [await timeGet(`${base}/metrics`, SCRAPES), await timeGet(`${base}/api/groups`, 20), await timeGet(`${base}/api/endpoints`, 20)];
      while (router.ackMs.length < ACKS) await new Promise((r) => setTimeout(r, 50));
      router.recording = false;
      loop.disable();

      const acks = summary(router.ackMs);
      const acksCpu = summary(router.ackCpuMs);
      const scrape = summary(metricsMs);
      const groups = summary(groupsMs);
      const eps = summary(endpointsMs);
      const loopMs = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      const line = (name: string, s: { n: number; p50: number; p99: number; max: number }) => `${name.padEnd(28)} n=${String(s.n).padEnd(5)} p50 ${fmt(s.p50).padEnd(9)} p99 ${fmt(s.p99).padEnd(9)} max ${fmt(s.max)}\n`;
      process.stdout.write(`\nwith ${ROWS} outbox rows and ${PENDING} pending realization requests:\n`);
      process.stdout.write(line('ack handling', acks));
      process.stdout.write(line('ack handling, CPU time', acksCpu));
      process.stdout.write(`${'event-loop delay (acks)'.padEnd(28)}         p50 ${fmt(loopMs.p50).padEnd(9)} p99 ${fmt(loopMs.p99).padEnd(9)} max ${fmt(loopMs.max)}\n`);
      process.stdout.write(line('GET /metrics', scrape));
      process.stdout.write(line('GET /api/groups', groups));
      process.stdout.write(line('GET /api/endpoints', eps));
      const ok = acks.p99 < TARGET_ACK_P99_MS && scrape.p99 < TARGET_SCRAPE_P99_MS;
      process.stdout.write(`\ntargets: p99 ack handling < ${TARGET_ACK_P99_MS} ms, p99 /metrics < ${TARGET_SCRAPE_P99_MS} ms: ${ok ? 'met' : 'MISSED'}\n`);

      const resultsDir = new URL('./results/', import.meta.url).pathname;
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(
        join(resultsDir, `backlog${QUICK ? '-quick' : ''}.json`),
        JSON.stringify({ node: process.version, at: new Date().toISOString(), rows: ROWS, pending: PENDING, countMs, acks, acksCpu, eventLoopMs: loopMs, metrics: scrape, apiGroups: groups, apiEndpoints: eps, ok }, null, 2) + '\n',
      );
      process.exitCode = ok ? 0 : 1;
    } finally {
      await daemon.stop();
      await endpoint.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
