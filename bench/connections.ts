/**
 * Connection engine benchmark (issues 3 and 14): N server groups, one endpoint each, all on one local wss:// server
 * that runs in a CHILD process (bench/connections-server.ts). The daemon (`startDaemon`: real TLS with pinning, real
 * CONNECT handshakes, real SQLite) runs in another child (bench/connections-daemon-child.mjs), so every figure
 * below is the daemon process's alone.
 *
 *   npx tsx bench/connections.ts [--groups 1000] [--pool 1] [--keepalive 5] [--period 10] [--idle 20] [--ticks 10]
 *                                [--daemon dist|src] [--no-admin] [--engine-only] [--floor N] [--hold S] [--set key=value]…
 *                                [--notify N]
 *
 * `--daemon dist` (default): the built daemon in `dist/` under plain `node` — the process `nbwss run` ships (run
 * `npm run build` first); `--daemon src`: `src/` under tsx (no build; ~70 MB more baseline for the loader). The
 * admin API runs as shipped (on, here on an ephemeral loopback port: metrics series per group) and is scraped once
 * while idle; `--no-admin` turns it off.
 * Memory per socket: (idle RSS − baseline) / groups after a GC, split into JS heap, external (Buffers) and the rest
 * (native: TLS, libuv, malloc). `--floor N` (default 2000, 0 to skip) first opens N bare TLS sockets in a child
 * process (bench/connections-floor-child.mjs) to the same server: what a socket costs this Node before nbwss adds
 * anything. `--hold S` keeps the idle daemon S seconds before stopping (to look at it from outside: gdb, smaps).
 * `--notify N` raises N JOB notifications once every group is connected (notification.delay 0, the endpoint
 * acknowledges at once) and waits until every group has acknowledged them all: the idle figures then are those of
 * sockets that carried requests (maxBatchSize as configured, 100 by default), not of fresh ones.
 * `--set key=value` (repeatable) sets any other configuration key of the daemon (e.g. `--set notification.scheduledRate=60`).
 * `NBWSS_BENCH_HEAP_SNAPSHOT=FILE` writes a heap snapshot of the idle daemon. The daemon inherits the
 * environment, so `MALLOC_ARENA_MAX=2 npx tsx bench/connections.ts` measures a malloc setting.
 *
 * `--engine-only` starts the daemon without its services (notifications, commands…): the connection engine alone.
 * Reports: time from start to all N CONNECTED; daemon RSS (baseline before the daemon started, at all-connected,
 * idle, peak); steady-state tick duration (tickNow() with every group connected: read the endpoints, decide, no
 * attempt); CPU of the daemon while idle with keepalive pings running, over `--idle` seconds.
 * Targets: every group connected, tick < 100 ms, RSS < 300 MB at 1,000 groups, < 400 MB at 10,000, < 1 GB at 20,000
 * (issues 3 and 14) on a 2-core machine.
 *
 * Descriptors: each process holds one per socket. The children are started with `ulimit -n` raised to groups + 128;
 * above the hard limit that needs CAP_SYS_RESOURCE (root outside a container that drops it: the bench then raises
 * it itself, up to /proc/sys/fs/nr_open), or a hard limit raised beforehand (`ulimit -Hn 65536` in a root shell,
 * `LimitNOFILE=` in a systemd unit, `--ulimit nofile=` for docker). Without either, the bench says how many groups
 * the hard limit allows (hard limit − 128).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenCipher } from '../src/endpoints/token-cipher.js';
import { Store } from '../src/store/database.js';
import { EndpointStore } from '../src/store/endpoint-store.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return v;
}

/** The machine's 1-minute load average when the run started (2 cores shared: it says how busy the machine was). */
const loadAtStart = loadavg()[0]!;
const groups = arg('groups', 1000);
const pool = arg('pool', 1);
const keepalive = arg('keepalive', 5);
const period = arg('period', 10);
const idleSeconds = arg('idle', 20);
const tickRuns = Math.max(1, arg('ticks', 10));
const floorSockets = arg('floor', 2000);
const holdSeconds = arg('hold', 0);
const engineOnly = process.argv.includes('--engine-only');
const notify = arg('notify', 0);
if (notify > 0 && engineOnly) throw new Error('--notify needs the notification service: not with --engine-only');
const admin = !process.argv.includes('--no-admin') && !engineOnly;
const daemonRoot = process.argv.includes('--daemon') ? process.argv[process.argv.indexOf('--daemon') + 1] : 'dist';
if (daemonRoot !== 'dist' && daemonRoot !== 'src') throw new Error('--daemon must be dist or src');
/** `--set key=value` settings, given to the daemon's configuration as they are (its own checks apply). */
const extraSettings = Object.fromEntries(
  process.argv.flatMap((a, i) => (a === '--set' ? [process.argv[i + 1] ?? ''] : [])).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--set wants key=value, got ${kv}`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  }),
);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const kb1 = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const repo = new URL('../', import.meta.url).pathname;

if (daemonRoot === 'dist') {
  if (!existsSync(join(repo, 'dist/daemon.js'))) throw new Error('dist/ is not built: run `npm run build` first (or use --daemon src)');
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  // the newest file of each: an incremental build rewrites only the files that changed
  if (newest(join(repo, 'src')) > newest(join(repo, 'dist'))) process.stderr.write('warning: src/ changed after dist/ was built; run `npm run build` to measure the current code\n');
}

/** The descriptor limits of this process (Linux), and whether it may raise the hard one (CAP_SYS_RESOURCE). */
function fdLimits(): { soft: number; hard: number; max: number; canRaise: boolean } {
  const line = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  const capEff = /^CapEff:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const CAP_SYS_RESOURCE = 24n;
  return { soft: n(line?.[1]), hard: n(line?.[2]), max: Number(readFileSync('/proc/sys/fs/nr_open', 'utf8')), canRaise: ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n };
}

/** Descriptors a process needs besides its sockets (stdio, IPC, epoll, the database and its WAL, the log…), with room. */
const FD_MARGIN = 128;
const fdsNeeded = groups + FD_MARGIN;
const limits = fdLimits();
if (fdsNeeded > limits.hard && (!limits.canRaise || fdsNeeded > limits.max)) {
  throw new Error(
    `${groups} groups need ${fdsNeeded} descriptors per process; the hard limit here is ${limits.hard}, so at most ${limits.hard - FD_MARGIN} groups. ` +
      (limits.canRaise
        ? `/proc/sys/fs/nr_open (${limits.max}) caps it: raise that first (sysctl fs.nr_open).`
        : `Raising it needs CAP_SYS_RESOURCE (root, outside a container that drops it): \`ulimit -Hn ${fdsNeeded}\` in a root shell, LimitNOFILE= in a systemd unit, --ulimit nofile=${fdsNeeded} for docker.`),
  );
}

/**
 * Start a Node child with an IPC channel and `ulimit -n` raised to {@link fdsNeeded} (through `sh`, which execs
 * node: the IPC descriptor and NODE_CHANNEL_FD pass through). As root this raises the hard limit too.
 */
function startChild(script: string, args: string[], execArgv: string[]): ChildProcess {
  const path = new URL(script, import.meta.url).pathname;
  const argv = [...execArgv, path, ...args];
  if (fdsNeeded <= limits.soft) return spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return spawn('/bin/sh', ['-c', `ulimit -n ${fdsNeeded} && exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next message from `child` that has `key` (the whole message); rejects if the child exits first. */
async function message<T>(child: ChildProcess, key: string): Promise<T> {
  for (;;) {
    const [m] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(([code]) => Promise.reject(new Error(`child exited (${String(code)}) before sending ${key}`)))])) as [Record<string, unknown>];
    if (key in m) return m as T;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'nbwss-bench-connections-'));
const server = startChild('./connections-server.ts', [], ['--import', 'tsx']);
let daemon: ChildProcess | undefined;

interface Floor {
  sockets: number;
  rssKb: number;
  heapKb: number;
  externalKb: number;
}

interface MemorySample {
  rss: number;
  peak: number;
  anon: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface DaemonResult {
  services: string[];
  connectedGroups: number;
  failedAttempts: number;
  connectMs: number;
  baseline: MemorySample;
  connected: MemorySample;
  idle: MemorySample;
  heapSpaces: Record<string, { size: number; used: number }>;
  scrape: { ms: number; bytes: number; series: number } | null;
  delivery: { notifications: number; ms: number } | null;
  ticks: number[];
  plans: number[];
  idleWallMs: number;
  idleCpuMs: number;
  pingsInWindow: number;
  pongsReceived: number;
  avgRttMs: number | null;
  stopMs: number;
  execArgv: string[];
  malloc: Record<string, string>;
}

try {
  const info = await message<{ port: number; cert: string; fingerprint: string }>(server, 'ready');

  /** What a bare TLS socket costs in this Node (a child process: bench/connections-floor-child.mjs). */
  let floor: Floor | null = null;
  if (floorSockets > 0) {
    const child = startChild('./connections-floor-child.mjs', [String(info.port), String(floorSockets)], ['--expose-gc']);
    child.send({ cert: info.cert });
    ({ floor } = await message<{ floor: Floor }>(child, 'floor'));
    await once(child, 'exit');
  }

  const dbPath = join(dir, 'nbwss.db');
  const keyFile = join(dir, 'nbwss.key');
  const store = Store.open(dbPath);
  const endpoints = new EndpointStore(store);
  const cipher = TokenCipher.fromKeyFile(keyFile);
  store.transaction(() => {
    for (let i = 0; i < groups; i++) {
      const hostName = `bench-${i}.example`;
      endpoints.insert({ hostName, url: `wss://127.0.0.1:${info.port}/g/${i}`, groupId: `G${i}`, priority: 1, tokenEnc: cipher.encrypt(`token-${i}`, hostName), certPem: info.cert, certFingerprint: info.fingerprint, caPem: null });
    }
  });
  store.close();

  daemon = startChild('./connections-daemon-child.mjs', [], ['--expose-gc', ...(daemonRoot === 'src' ? ['--import', 'tsx'] : [])]);
  daemon.send({
    run: {
      root: daemonRoot,
      dir,
      groups,
      engineOnly,
      ticks: tickRuns,
      notify,
      idleSeconds,
      heapSnapshot: process.env.NBWSS_BENCH_HEAP_SNAPSHOT,
      overrides: {
        'db.path': dbPath,
        'security.keyFile': keyFile,
        'log.file': join(dir, 'nbwss.log'),
        'log.level': 'info',
        'admin.listen': admin ? '127.0.0.1:0' : '',
        'connectionInfo.period': period,
        'keepAlive.scheduledRate': keepalive,
        'scheduledExecutor.threadPoolSize': pool,
        ...(notify > 0 ? { 'notification.delay': 0 } : {}),
        ...extraSettings,
      },
    },
  });
  const { measured } = await message<{ measured: number }>(daemon, 'measured');
  server.send({ cmd: 'stats' });
  const { stats: peer } = await message<{ stats: { open: number; connected: number; pings: number; notificationRequests: number; rssMb: number } }>(server, 'stats');
  if (holdSeconds > 0) {
    process.stdout.write(`daemon pid ${measured} idle and measured; held ${holdSeconds} s\n`);
    await new Promise((resolve) => setTimeout(resolve, holdSeconds * 1000));
  }
  daemon.send({ stop: true });
  const { result: r } = await message<{ result: DaemonResult }>(daemon, 'result');
  await once(daemon, 'exit');

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const ticks = sorted(r.ticks);
  const plans = sorted(r.plans);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const perSocket = (delta: number) => kb1(delta / groups);
  const b = r.baseline;
  const i = r.idle;
  const result = {
    groups,
    daemon: daemonRoot,
    threadPoolSize: pool,
    services: r.services,
    keepAliveSeconds: keepalive,
    periodSeconds: period,
    connectedGroups: r.connectedGroups,
    failedAttempts: r.failedAttempts,
    timeToAllConnectedMs: Math.round(r.connectMs),
    handshakesPerSecond: Math.round((groups / r.connectMs) * 1000),
    rssBaselineMb: mb(b.rss),
    rssAllConnectedMb: mb(r.connected.rss),
    rssIdleMb: mb(i.rss),
    rssDaemonDeltaMb: mb(i.rss - b.rss),
    maxRssMb: mb(i.peak),
    heapUsedMb: mb(i.heapUsed),
    /** JS heap used and committed (heapTotal), right after all connected and idle, both after a GC. */
    heapMb: { allConnected: { used: mb(r.connected.heapUsed), committed: mb(r.connected.heapTotal) }, idle: { used: mb(i.heapUsed), committed: mb(i.heapTotal) } },
    heapSpacesMb: Object.fromEntries(Object.entries(r.heapSpaces).map(([k, v]) => [k, { size: mb(v.size), used: mb(v.used) }])),
    externalMb: mb(i.external),
    perSocketKb: {
      rss: perSocket(i.rss - b.rss),
      jsHeap: perSocket(i.heapUsed - b.heapUsed),
      jsHeapReserved: perSocket(i.heapTotal - b.heapTotal),
      external: perSocket(i.external - b.external),
      native: perSocket(i.rss - b.rss - (i.heapTotal - b.heapTotal) - (i.external - b.external)),
    },
    bareTlsSocketKb: floor,
    tickMedianMs: round2(ticks[Math.floor(ticks.length / 2)]!),
    tickMaxMs: round2(ticks.at(-1)!),
    tickPlanMedianMs: round2(plans[Math.floor(plans.length / 2)]!),
    idleWindowS: Math.round(r.idleWallMs / 100) / 10,
    idleCpuPercentOfOneCore: Math.round((r.idleCpuMs / r.idleWallMs) * 1000) / 10,
    delivered: r.delivery && { notifications: r.delivery.notifications, seconds: Math.round(r.delivery.ms / 100) / 10, deliveriesPerSecond: Math.round((r.delivery.notifications * groups) / (r.delivery.ms / 1000)) },
    metricsScrape: r.scrape && { ms: Math.round(r.scrape.ms), kb: Math.round(r.scrape.bytes / 1024), series: r.scrape.series },
    pingsInWindow: r.pingsInWindow,
    pongsReceived: r.pongsReceived,
    avgRttMs: r.avgRttMs === null ? null : round2(r.avgRttMs),
    serverSaw: peer,
    gracefulStopMs: Math.round(r.stopMs),
    loadAverage: { start: Math.round(loadAtStart * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 },
    malloc: r.malloc,
  };
  // Targets: issue 3 (1,000 groups: RSS < 300 MB) and issue 14 (10,000 groups: < 400 MB; 20,000: < 1 GB), tick < 100 ms.
  const rssTargetMb = groups <= 1000 ? 300 : groups <= 10_000 ? 400 : 1000;
  const ok = result.connectedGroups === groups && result.tickMedianMs < 100 && result.rssIdleMb < rssTargetMb;
  const p = result.perSocketKb;
  const mallocEnv = Object.entries(r.malloc).map(([k, v]) => `${k}=${v}`).join(' ');
  const rows: [string, string][] = [
    ['groups connected', `${result.connectedGroups} / ${groups} (threadPoolSize ${pool}, ${r.failedAttempts} failed attempts)`],
    ['daemon process', `${daemonRoot === 'dist' ? 'dist/ under node' : 'src/ under tsx'} ${r.execArgv.join(' ')}${mallocEnv ? ` (${mallocEnv})` : ''}`],
    ['daemon services', result.services.length ? result.services.join(', ') : '(none: --engine-only)'],
    ['time to all CONNECTED', `${result.timeToAllConnectedMs} ms (${result.handshakesPerSecond} handshakes/s)`],
    ['daemon RSS', `${result.rssIdleMb} MB idle, ${result.rssAllConnectedMb} MB at all-connected, peak ${result.maxRssMb} MB (baseline ${result.rssBaselineMb} MB; JS heap ${result.heapUsedMb} MB)`],
    ['JS heap used / committed (after a GC)', `${result.heapMb.allConnected.used} / ${result.heapMb.allConnected.committed} MB at all-connected, ${result.heapMb.idle.used} / ${result.heapMb.idle.committed} MB idle`],
    ['memory per socket (daemon)', `${p.rss} KB RSS: JS heap ${p.jsHeap} KB (${p.jsHeapReserved} KB reserved), external ${p.external} KB, native (TLS, libuv, malloc) ${p.native} KB`],
    ['memory per bare TLS socket (floor)', floor ? `${floor.rssKb} KB RSS (JS heap ${floor.heapKb} KB; ${floor.sockets} node:tls sockets, child process)` : '(not measured: --floor 0)'],
    ['notifications delivered before idle (--notify)', result.delivered ? `${result.delivered.notifications} to every group in ${result.delivered.seconds} s (${result.delivered.deliveriesPerSecond} deliveries/s)` : '(none)'],
    ['steady-state tick', `median ${result.tickMedianMs} ms, max ${result.tickMaxMs} ms (${tickRuns} ticks; reading + deciding: ${result.tickPlanMedianMs} ms)`],
    ['idle CPU', `${result.idleCpuPercentOfOneCore}% of one core over ${result.idleWindowS} s (keepalive ${keepalive} s: ${r.pingsInWindow} pings, avg RTT ${result.avgRttMs} ms)`],
    ['admin /metrics scrape (idle)', result.metricsScrape ? `${result.metricsScrape.ms} ms, ${result.metricsScrape.kb} KB, ${result.metricsScrape.series} series` : '(admin off)'],
    ['endpoint process', `${peer.open} sockets open, ${peer.rssMb.toFixed(1)} MB RSS`],
    ['graceful stop (1001 to all)', `${result.gracefulStopMs} ms`],
    ['load average (1 min) at start, at end', `${result.loadAverage.start}, ${result.loadAverage.end}`],
    [`targets (all connected, tick < 100 ms, RSS < ${rssTargetMb} MB)`, ok ? 'met' : 'NOT MET'],
  ];
  process.stdout.write(`\nbench/connections — ${groups} groups\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(72)} ${v}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const suffix = (notify > 0 ? `-notify${notify}` : '') + (engineOnly ? '-engine' : '') + (admin || engineOnly ? '' : '-noadmin') + (daemonRoot === 'src' ? '-src' : '');
  const resultsDir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `connections-${groups}-pool${pool}${suffix}.json`), JSON.stringify(result, null, 2) + '\n');
  process.exitCode = ok ? 0 : 1;
} finally {
  daemon?.kill();
  server.send({ cmd: 'exit' });
  rmSync(dir, { recursive: true, force: true });
}
