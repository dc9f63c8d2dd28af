/**
 * Notification delivery benchmark (issues 4, 14): raise N notifications in-process; a local wss:// endpoint (real
 * TLS, real `EndpointConnection`, pinned certificate) acknowledges each NOTIFICATION REQUEST at once. Reports
 * notifications/s from the first raise to the last acknowledgement committed in the database, deliveries/s (× groups),
 * batches/s, and p50/p99 raise→ack latency, with `notification.delay=0`, for 1, 10 and 100 server groups, for
 * maxBatchSize 500 and the default (100). Storage: a SQLite file in WAL mode, appends with synchronous=FULL (as the
 * daemon runs).
 *
 * Every full-speed case also runs the thin engine (bench/_thin-engine.ts: the same stack with nothing but delivery)
 * in this process, right after nbwss, and prints the ratio nbwss / thin: the machine's load changes between runs,
 * the ratio much less. `--repeat K` runs each case K times (alternating which engine goes first) and prints medians.
 *
 *   npx tsx bench/notifications.ts [--n 200000] [--groups-n 50000] [--paced-rate 10000] [--quick] [--repeat 1]
 *                                  [--only 0,1] [--no-commit-strategies] [--engine both|nbwss|thin] [--against REF]
 *
 * `--against REF` (a git commit, e.g. `--against main~5`) also runs every full-speed case on nbwss as it was at REF
 * (its src/ and migrations/, this benchmark's code), in a child process right before this code's run of the case,
 * and prints this code / REF: the gain of a change as a ratio measured in the same run.
 *
 * `--engine nbwss` (or `--no-thin`) runs nbwss alone, `--engine thin` the thin engine alone: for a profile of one
 * (`node --cpu-prof --import tsx bench/notifications.ts --engine nbwss --only 1`).
 *
 * The endpoint runs in this process too, so its JSON parsing shares the event loop: the figures are conservative.
 * Results go to bench/results/notifications.json; the exit code is 1 when a target of issue 14 is not met.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
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
import { benchArgs, mainThreadCpuUs } from './_kit.js';
import { ThinEngine } from './_thin-engine.js';

const args = process.argv.slice(2);
const arg = benchArgs(args).num;
const QUICK = args.includes('--quick');
const N = arg('n', QUICK ? 50_000 : 200_000);
const GROUPS_N = arg('groups-n', QUICK ? 10_000 : 50_000);
const PACED_RATE = arg('paced-rate', 10_000);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',').map(Number) : undefined;
const SKIP_COMMIT = args.includes('--no-commit-strategies');
const ENGINE = args.includes('--engine') ? args[args.indexOf('--engine') + 1]! : 'both';
if (!['both', 'nbwss', 'thin'].includes(ENGINE)) throw new Error('--engine must be both, nbwss or thin');
const NO_THIN = args.includes('--no-thin') || ENGINE === 'nbwss';
/** Only the thin engine (for profiling it alone). */
const THIN_ONLY = ENGINE === 'thin';
const AGAINST = args.includes('--against') ? args[args.indexOf('--against') + 1]! : undefined;
/** Set in the child that runs the code at --against: write the case's result here as JSON. */
const RESULT_FILE = args.includes('--result-file') ? args[args.indexOf('--result-file') + 1]! : undefined;
const REPEAT = arg('repeat', 1);
const DEFAULT_BATCH = KEYS['notification.maxBatchSize'].default;

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
  /** nbwss (default), or the thin engine */
  engine?: 'nbwss' | 'thin';
}

interface RunResult extends RunOptions {
  seconds: number;
  /** CPU time of this process (user + system) per notification delivered to every group, µs: less sensitive to neighbours than wall time. */
  cpuUs: number;
  /** The same for the main thread alone (the event loop, without the garbage collector's helper threads); NaN off Linux. */
  mainCpuUs: number;
  perSecond: number;
  batchesPerSecond: number;
  p50: number;
  p99: number;
}

/** One engine under test: raise, report acknowledgements, stop. */
interface Engine {
  raise(i: number): void;
  onAck(fn: (group: number, firstSeq: number, lastSeq: number) => void): void;
  stop(): Promise<void>;
}

async function nbwssEngine(cert: GeneratedCertificate, port: number, dir: string, o: RunOptions): Promise<Engine> {
  const store = Store.open(join(dir, 'nbwss.db'));
  const outbox = new OutboxStore(store);
  const groupIds = Array.from({ length: o.groups }, (_, i) => `g${i}`);
  for (const g of groupIds) store.db.prepare('INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES (?, 0, 0)').run(g);
  const router = new Router();
  const config = { sendTimeout: 2000, scheduledRate: 5, delay: 0, maxBatchSize: o.maxBatchSize, retention: 86400, backlogWarning: 0 };
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
  const index = new Map(groupIds.map((g, i) => [g, i]));
  return {
    raise: (i) => void source.raise('JOB', job(i)),
    onAck: (fn) => service.on('batchAcked', (e) => fn(index.get(e.groupId)!, e.firstSeq, e.lastSeq)),
    stop: async () => {
      service.stop();
      await Promise.all(conns.map((c) => c.close({ code: 1000, reason: 'bench over' })));
      store.close();
    },
  };
}

async function thinEngine(cert: GeneratedCertificate, port: number, dir: string, o: RunOptions): Promise<Engine> {
  const engine = new ThinEngine({ dir, url: (g) => `wss://127.0.0.1:${port}/${g}`, ca: cert.cert, groups: o.groups, maxBatchSize: o.maxBatchSize });
  await engine.connect();
  return {
    raise: (i) => engine.raise('JOB', job(i)),
    onAck: (fn) => (engine.onAck = fn),
    stop: () => engine.close(),
  };
}

async function run(cert: GeneratedCertificate, port: number, o: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-'));
  const engine = await (o.engine === 'thin' ? thinEngine : nbwssEngine)(cert, port, dir, o);

  const raisedAt = new Float64Array(o.n + 1); // by seq (a fresh database: seq 1..n)
  const latencies = new Float64Array(o.n * o.groups);
  let latencyCount = 0;
  let batches = 0;
  let doneGroups = 0;
  const finished = new Promise<number>((resolve) => {
    engine.onAck((_group, firstSeq, lastSeq) => {
      const now = performance.now();
      batches++;
      for (let s = firstSeq; s <= lastSeq; s++) latencies[latencyCount++] = now - raisedAt[s]!;
      if (lastSeq === o.n && ++doneGroups === o.groups) resolve(now);
    });
  });

  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs() ?? NaN;
  const chunk = o.rate > 0 ? Math.max(1, Math.round(o.rate / 100)) : 1000; // paced: every 10 ms
  let next = 1;
  while (next <= o.n) {
    const count = Math.min(chunk, o.n - next + 1);
    const t = performance.now();
    for (let k = 0; k < count; k++) {
      raisedAt[next + k] = t;
      engine.raise(next + k);
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
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = (mainThreadCpuUs() ?? NaN) - main0;
  const seconds = (end - start) / 1000;
  const sorted = latencies.subarray(0, latencyCount).sort();
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
  return { ...o, seconds, cpuUs: (cpu.user + cpu.system) / o.n, mainCpuUs: mainCpu / o.n, perSecond: o.n / seconds, batchesPerSecond: batches / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
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

/** The 1, 5 and 15-minute load averages (2 shared cores: how busy the machine was). */
const loadText = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU µs per notification of a run: the process's, and its main thread's in brackets (when known). */
const cpuText = (r: RunResult) => `${r.cpuUs.toFixed(2)}${Number.isNaN(r.mainCpuUs) ? '' : ` (${r.mainCpuUs.toFixed(2)})`}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The run whose notifications/s is the median of `rs` (its latencies go with it). */
function medianRun(rs: RunResult[]): RunResult {
  const m = median(rs.map((r) => r.perSecond));
  return rs.find((r) => r.perSecond === m)!;
}

interface CaseResult {
  nbwss: RunResult;
  thin: RunResult | undefined;
  /** Median over the repeats of nbwss / thin measured back to back. */
  ratio: number | undefined;
  /** Median over the repeats of thin / nbwss main-thread CPU per notification (1 = the same event-loop work). */
  cpuRatio: number | undefined;
  /** The same case on the code at --against. */
  previous?: RunResult | undefined;
}

/** Issue 14's targets for a case, if it has one: a ratio to the thin engine, or deliveries/s. */
function targetOf(c: CaseResult): { text: string; met: boolean } | undefined {
  const { groups, maxBatchSize, rate } = c.nbwss;
  if (rate > 0) return undefined;
  if (groups === 1 && (maxBatchSize === 100 || maxBatchSize === 500)) {
    const want = maxBatchSize === 500 ? 0.95 : 0.8;
    return c.ratio === undefined ? undefined : { text: `>= ${want}x thin`, met: c.ratio >= want };
  }
  if (groups === 10 && maxBatchSize === 500) return { text: '>= 500,000 deliveries/s', met: c.nbwss.perSecond * groups >= 500_000 };
  return undefined;
}

/**
 * A copy of the repository's src/ and migrations/ at `ref` with this benchmark beside them (node_modules linked),
 * so `bench/notifications.ts` there measures the code at `ref`. Returns the directory.
 */
function previousTree(ref: string): string {
  const root = new URL('..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-previous-'));
  const tar = execFileSync('git', ['-C', root, 'archive', ref, 'src', 'migrations', 'package.json', 'tsconfig.json'], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  mkdirSync(join(dir, 'bench'));
  for (const f of ['notifications.ts', '_thin-engine.ts', '_kit.ts']) copyFileSync(join(root, 'bench', f), join(dir, 'bench', f));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Run case `index` on the code in `tree` (a child process), `REPEAT` times; its median run. */
function runPrevious(tree: string, index: number): RunResult {
  const out = join(tree, `result-${index}.json`);
  const childArgs = ['--n', String(N), '--groups-n', String(GROUPS_N), '--paced-rate', String(PACED_RATE), '--repeat', String(REPEAT)];
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(tree, 'bench', 'notifications.ts'), ...childArgs, '--only', String(index), '--engine', 'nbwss', '--no-commit-strategies', '--result-file', out], {
    cwd: tree,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`the run at --against ${AGAINST} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(readFileSync(out, 'utf8')) as RunResult;
}

async function main(): Promise<void> {
  const cert = await generateCertificate({ hosts: ['127.0.0.1'] });
  const endpoint = await startAckEndpoint(cert);
  console.log(`nbwss notification benchmark — node ${process.version}, delay=0, WAL + synchronous=FULL, endpoint acks at once, ${REPEAT} run(s) per case (median); load average ${loadText()}\n`);
  if (!SKIP_COMMIT) await commitStrategies();
  const runs: RunOptions[] = [
    { n: N, groups: 1, maxBatchSize: 500, rate: 0 },
    { n: N, groups: 1, maxBatchSize: DEFAULT_BATCH, rate: 0 },
    { n: GROUPS_N, groups: 10, maxBatchSize: 500, rate: 0 },
    { n: GROUPS_N, groups: 10, maxBatchSize: DEFAULT_BATCH, rate: 0 },
    { n: Math.round(GROUPS_N / 5), groups: 100, maxBatchSize: 500, rate: 0 },
    { n: PACED_RATE * 3, groups: 1, maxBatchSize: 500, rate: PACED_RATE },
    { n: Math.round(PACED_RATE * 1.5), groups: 10, maxBatchSize: 500, rate: PACED_RATE / 2 },
  ];
  // warm-up (JIT, TLS session), not reported
  if (!THIN_ONLY) await run(cert, endpoint.port, { n: 20_000, groups: 1, maxBatchSize: 500, rate: 0 });
  if (!NO_THIN) await run(cert, endpoint.port, { n: 20_000, groups: 1, maxBatchSize: 500, rate: 0, engine: 'thin' });
  const tree = AGAINST !== undefined ? previousTree(AGAINST) : undefined;
  console.log(
    `groups  maxBatch  raised at        notifications  seconds  notifications/s  deliveries/s  batches/s  p50 ms  p99 ms  CPU µs/n (main)  thin deliveries/s  thin CPU µs/n (main)  ratio  main CPU ratio  target${tree ? `   |  at ${AGAINST}: deliveries/s  gain` : ''}`,
  );
  const cases: CaseResult[] = [];
  for (const [i, o] of runs.entries()) {
    if (ONLY && !ONLY.includes(i)) continue;
    const withThin = !NO_THIN && o.rate === 0;
    const previous = tree !== undefined && o.rate === 0 ? runPrevious(tree, i) : undefined;
    const ours: RunResult[] = [];
    const thins: RunResult[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let k = 0; k < REPEAT; k++) {
      // alternate which engine goes first, so neither always runs on the warmer (or busier) machine
      const thinFirst = withThin && k % 2 === 1;
      const t = thinFirst ? await run(cert, endpoint.port, { ...o, engine: 'thin' }) : undefined;
      const r = await run(cert, endpoint.port, THIN_ONLY ? { ...o, engine: 'thin' } : o);
      const t2 = withThin && !thinFirst && !THIN_ONLY ? await run(cert, endpoint.port, { ...o, engine: 'thin' }) : t;
      ours.push(r);
      if (t2) {
        thins.push(t2);
        ratios.push(r.perSecond / t2.perSecond);
        cpuRatios.push(t2.mainCpuUs / r.mainCpuUs);
      }
    }
    const c: CaseResult = { nbwss: medianRun(ours), thin: thins.length ? medianRun(thins) : undefined, ratio: ratios.length ? median(ratios) : undefined, cpuRatio: cpuRatios.length ? median(cpuRatios) : undefined, previous };
    cases.push(c);
    if (RESULT_FILE !== undefined) writeFileSync(RESULT_FILE, JSON.stringify(c.nbwss));
    const r = c.nbwss;
    const how = o.rate > 0 ? `${fmt(o.rate)}/s paced` : 'full speed';
    const target = targetOf(c);
    console.log(
      `${String(r.groups).padStart(6)}  ${String(r.maxBatchSize).padStart(8)}  ${how.padEnd(15)}  ${fmt(r.n).padStart(13)}  ${r.seconds.toFixed(2).padStart(7)}  ${fmt(r.perSecond).padStart(15)}  ${fmt(r.perSecond * r.groups).padStart(12)}  ${fmt(r.batchesPerSecond).padStart(9)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}  ${cpuText(r).padStart(15)}  ${(c.thin ? fmt(c.thin.perSecond * c.thin.groups) : '-').padStart(17)}  ${(c.thin ? cpuText(c.thin) : '-').padStart(20)}  ${(c.ratio !== undefined ? c.ratio.toFixed(2) : '-').padStart(5)}  ${(c.cpuRatio !== undefined && !Number.isNaN(c.cpuRatio) ? c.cpuRatio.toFixed(2) : '-').padStart(14)}  ${(target ? `${target.text}: ${target.met ? 'met' : 'NOT MET'}` : '').padEnd(34)}${previous ? `   |  ${fmt(previous.perSecond * previous.groups).padStart(24)}  ${(r.perSecond / previous.perSecond).toFixed(2)}x` : ''}`,
    );
  }
  console.log('\nnotifications/s: raised notifications / (last acknowledgement committed − first raise), every group acknowledged;');
  console.log('deliveries/s: the same × groups (each group gets every notification); batches/s: acknowledged requests, all groups.');
  console.log('CPU µs/n: CPU time of this process (user + system, endpoint included) per raised notification, median run;');
  console.log('(main): of its main thread alone (the event loop, without the garbage collector\'s helper threads; Linux).');
  console.log('thin: bench/_thin-engine.ts on the same stack, same process run; ratio: median of nbwss/thin measured back to back;');
  console.log('main CPU ratio: median of thin/nbwss main-thread CPU per notification (1.00: the same event-loop work; less');
  console.log('sensitive than the ratio to the other processes on a shared machine, which take the core from either engine).');
  if (tree) console.log(`at ${AGAINST}: the same case on nbwss as it was at that commit (child process, run just before); gain: this code / that.`);
  console.log('Latency: raise() call → acknowledgement committed, per notification and group. Full speed queues the whole');
  console.log('backlog at once (latency = queueing); the paced runs show latency below saturation.');
  await endpoint.close();
  if (tree) rmSync(tree, { recursive: true, force: true });

  const targets = cases.map(targetOf).filter((t) => t !== undefined);
  const met = targets.every((t) => t.met);
  console.log(`load average at the end: ${loadText()}`);
  console.log(`\nissue 14 targets: ${targets.length === 0 ? 'none run' : met ? 'all met' : 'NOT all met'}`);
  const resultsDir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `notifications${QUICK ? '-quick' : ''}.json`), JSON.stringify({ node: process.version, at: new Date().toISOString(), repeat: REPEAT, loadAverage: loadavg(), cases }, null, 2) + '\n');
  process.exitCode = met ? 0 : 1;
}

await main();
