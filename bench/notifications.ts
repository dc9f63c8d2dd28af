/**
 * Notification delivery benchmark (issue 4): raise N notifications in-process; a local wss:// endpoint (real TLS,
 * real `EndpointConnection`, pinned certificate) acknowledges each NOTIFICATION REQUEST at once. Reports
 * notifications/s from the first raise to the last acknowledgement committed in the database, batches/s, and
 * p50/p99 raise→ack latency, with `notification.delay=0`, for 1 and 10 server groups, for maxBatchSize 500 and the
 * default (100). Storage: a SQLite file in WAL mode with synchronous=FULL (as the daemon runs).
 *
 *   npx tsx bench/notifications.ts [--n 200000] [--groups-n 50000] [--paced-rate 10000] [--quick]
 *                                  [--only 0,1] [--no-commit-strategies]
 *
 * The endpoint runs in this process too, so its JSON parsing shares the event loop: the figures are conservative.
 * Results go to bench/results/notifications.json; the exit code is 1 when the issue's target (>= 50,000/s for one
 * group with maxBatchSize 500) is not met.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { generateCertificate, type GeneratedCertificate } from '../src/certificates.js';
import { Router } from '../src/connection/channel.js';
import { EndpointConnection } from '../src/connection/endpoint-connection.js';
import { KEYS } from '../src/config/keys.js';
import { silentLogger } from '../src/logger.js';
import { NotificationService } from '../src/notifications/service.js';
import { NotificationSource } from '../src/notifications/source.js';
import { connectResponse, notificationResponse, type Message } from '../src/protocol/messages.js';
import { Store } from '../src/store/database.js';
import { OutboxStore } from '../src/store/outbox-store.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const QUICK = args.includes('--quick');
const N = arg('n', QUICK ? 50_000 : 200_000);
const GROUPS_N = arg('groups-n', QUICK ? 10_000 : 50_000);
const PACED_RATE = arg('paced-rate', 10_000);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',').map(Number) : undefined;
const SKIP_COMMIT = args.includes('--no-commit-strategies');
const DEFAULT_BATCH = KEYS['notification.maxBatchSize'].default;
const TARGET_PER_SECOND = 50_000;

function job(i: number): Record<string, unknown> {
  return {
    scheduleType: 'ST_FULL',
    clientName: `vm-${i % 997}`,
    status: 0,
    startTime: 1459829698 + i,
    state: i % 3 === 0 ? 'ACTIVE' : 'DONE',
    policyName: 'vmware2',
    parentJobId: i - 1,
    jobId: i,
    policyType: 'VMWARE',
    jobType: 'BACKUP',
  };
}

/** A local endpoint that accepts CONNECT and acknowledges every NOTIFICATION REQUEST at once. */
async function startAckEndpoint(cert: GeneratedCertificate): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer({ key: cert.key, cert: cert.cert });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Message; // a real endpoint reads the whole request
      const ts = Math.floor(Date.now() / 1000);
      if (m.type === 'CONNECT') ws.send(JSON.stringify(connectResponse(m.id, true, ts)));
      else if (m.type === 'NOTIFICATION' && m.subType === 'REQUEST') ws.send(JSON.stringify(notificationResponse(m.id, ts)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunOptions {
  n: number;
  groups: number;
  maxBatchSize: number;
  /** notifications/s; 0 = as fast as raise() takes them (throughput run) */
  rate: number;
}

interface RunResult extends RunOptions {
  seconds: number;
  perSecond: number;
  batchesPerSecond: number;
  p50: number;
  p99: number;
}

async function run(cert: GeneratedCertificate, port: number, o: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-'));
  const store = Store.open(join(dir, 'nbwss.db'));
  const outbox = new OutboxStore(store);
  const groupIds = Array.from({ length: o.groups }, (_, i) => `g${i}`);
  for (const g of groupIds) store.db.prepare('INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES (?, 0, 0)').run(g);
  const router = new Router();
  const config = { sendTimeout: 2000, scheduledRate: 5, delay: 0, maxBatchSize: o.maxBatchSize, retention: 86400 };
  const service = new NotificationService({ outbox, router, config: () => config, logger: silentLogger(), retention: false });
  const source = new NotificationSource({ outbox });
  source.on('raised', service.wake);
  service.start();
  const conns = groupIds.map(
    (g, i) =>
      new EndpointConnection({
        endpoint: { hostName: `ep${i}`, url: `wss://127.0.0.1:${port}/${g}`, groupId: g, priority: 1, certPem: cert.cert, certFingerprint: cert.fingerprint256, caPem: null },
        token: 'bench',
        router,
        handshakeTimeoutMs: 10_000,
        keepAliveIntervalMs: 600_000,
        maxPongMissAllowed: 10,
        ignoreDecoder: false,
      }),
  );
  await Promise.all(conns.map((c) => c.connect()));
  for (const c of conns) service.attach(c);

  const raisedAt = new Float64Array(o.n + 1); // by seq (a fresh database: seq 1..n)
  const latencies = new Float64Array(o.n * o.groups);
  let latencyCount = 0;
  let batches = 0;
  let doneGroups = 0;
  const finished = new Promise<number>((resolve) => {
    service.on('batchAcked', (e) => {
      const now = performance.now();
      batches++;
      for (let s = e.firstSeq; s <= e.lastSeq; s++) latencies[latencyCount++] = now - raisedAt[s]!;
      if (e.lastSeq === o.n && ++doneGroups === o.groups) resolve(now);
    });
  });

  const start = performance.now();
  const chunk = o.rate > 0 ? Math.max(1, Math.round(o.rate / 100)) : 1000; // paced: every 10 ms
  let next = 1;
  while (next <= o.n) {
    const count = Math.min(chunk, o.n - next + 1);
    const t = performance.now();
    for (let k = 0; k < count; k++) {
      raisedAt[next + k] = t;
      void source.raise('JOB', job(next + k));
    }
    next += count;
    if (o.rate > 0) {
      const due = start + ((next - 1) / o.rate) * 1000;
      const wait = due - performance.now();
      await new Promise((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
    } else {
      await new Promise((r) => setImmediate(r));
    }
  }
  const end = await finished;
  const seconds = (end - start) / 1000;
  const sorted = latencies.subarray(0, latencyCount).sort();
  service.stop();
  await Promise.all(conns.map((c) => c.close({ code: 1000, reason: 'bench over' })));
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { ...o, seconds, perSecond: o.n / seconds, batchesPerSecond: batches / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** raise() commit strategies: one transaction per notification vs group commit of one event-loop turn. */
async function commitStrategies(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-'));
  const store = Store.open(join(dir, 'nbwss.db'));
  const outbox = new OutboxStore(store);
  const data = JSON.stringify(job(1));
  const single = 5000;
  let t = performance.now();
  for (let i = 0; i < single; i++) outbox.append([{ rows: [{ object: 'JOB', data }], raisedAt: Date.now() }]);
  const perCall = single / ((performance.now() - t) / 1000);
  const source = new NotificationSource({ outbox });
  const grouped = 100_000;
  t = performance.now();
  for (let i = 0; i < grouped; i += 1000) {
    const ps: Promise<unknown>[] = [];
    for (let k = 0; k < 1000; k++) ps.push(source.raise('JOB', job(i + k)));
    await Promise.all(ps);
  }
  const groupCommit = grouped / ((performance.now() - t) / 1000);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log('raise() commit strategy (synchronous=FULL, WAL):');
  console.log(`  one transaction per notification:          ${Math.round(perCall).toLocaleString('en-US')} notifications/s`);
  console.log(`  group commit (1000 raise() calls per turn): ${Math.round(groupCommit).toLocaleString('en-US')} notifications/s (validation + JSON included)\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const cert = await generateCertificate({ hosts: ['127.0.0.1'] });
  const endpoint = await startAckEndpoint(cert);
  console.log(`nbwss notification benchmark — node ${process.version}, delay=0, WAL + synchronous=FULL, endpoint acks at once\n`);
  if (!SKIP_COMMIT) await commitStrategies();
  const runs: RunOptions[] = [
    { n: N, groups: 1, maxBatchSize: 500, rate: 0 },
    { n: N, groups: 1, maxBatchSize: DEFAULT_BATCH, rate: 0 },
    { n: GROUPS_N, groups: 10, maxBatchSize: 500, rate: 0 },
    { n: GROUPS_N, groups: 10, maxBatchSize: DEFAULT_BATCH, rate: 0 },
    { n: PACED_RATE * 3, groups: 1, maxBatchSize: 500, rate: PACED_RATE },
    { n: Math.round(PACED_RATE * 1.5), groups: 10, maxBatchSize: 500, rate: PACED_RATE / 2 },
  ];
  // warm-up (JIT, TLS session), not reported
  await run(cert, endpoint.port, { n: 20_000, groups: 1, maxBatchSize: 500, rate: 0 });
  console.log('groups  maxBatch  raised at        notifications  seconds  notifications/s  deliveries/s  batches/s  p50 ms  p99 ms');
  const results: RunResult[] = [];
  for (const [i, o] of runs.entries()) {
    if (ONLY && !ONLY.includes(i)) continue;
    const r = await run(cert, endpoint.port, o);
    results.push(r);
    const how = o.rate > 0 ? `${fmt(o.rate)}/s paced` : 'full speed';
    console.log(
      `${String(r.groups).padStart(6)}  ${String(r.maxBatchSize).padStart(8)}  ${how.padEnd(15)}  ${fmt(r.n).padStart(13)}  ${r.seconds.toFixed(2).padStart(7)}  ${fmt(r.perSecond).padStart(15)}  ${fmt(r.perSecond * r.groups).padStart(12)}  ${fmt(r.batchesPerSecond).padStart(9)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}`,
    );
  }
  console.log('\nnotifications/s: raised notifications / (last acknowledgement committed − first raise), every group acknowledged;');
  console.log('deliveries/s: the same × groups (each group gets every notification); batches/s: acknowledged requests, all groups.');
  console.log('Latency: raise() call → acknowledgement committed, per notification and group. Full speed queues the whole');
  console.log('backlog at once (latency = queueing); the paced runs show latency below saturation.');
  await endpoint.close();

  // The issue's target: >= 50,000 notifications/s end-to-end for one group with maxBatchSize 500.
  const target = results.find((r) => r.groups === 1 && r.maxBatchSize === 500 && r.rate === 0);
  const met = target === undefined || target.perSecond >= TARGET_PER_SECOND;
  console.log(`\ntarget (one group, maxBatchSize 500, >= ${fmt(TARGET_PER_SECOND)}/s): ${target ? `${fmt(target.perSecond)}/s, ${met ? 'met' : 'NOT MET'}` : 'not run'}`);
  const resultsDir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `notifications${QUICK ? '-quick' : ''}.json`), JSON.stringify({ node: process.version, at: new Date().toISOString(), runs: results }, null, 2) + '\n');
  process.exitCode = met ? 0 : 1;
}

await main();
