/**
 * The daemon side of bench/connections.ts, run as its own process so its figures are the daemon's alone. Plain
 * JavaScript on purpose: with `--daemon dist` (the default) it runs under plain `node` and imports the built
 * daemon from `dist/` — the process `nbwss run` ships, without the TypeScript loader (~70 MB of RSS by itself);
 * with `--daemon src` it is forked with `--import tsx` and imports `src/` (no build needed while developing).
 *
 * Protocol (IPC): the parent sends one `{ run }` message (root, config overrides, ticks, idle seconds…); this
 * process answers `{ baseline }` once its modules are loaded and `{ measured }` once idle and measured; it stops
 * the daemon at the parent's next message, sends `{ result }` and exits.
 * Memory is read after a forced GC (`--expose-gc`, passed by the parent).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const [{ run }] = await once(process, 'message');
const root = new URL(`../${run.root}/`, import.meta.url);
const { loadConfig } = await import(new URL('config/index.js', root).href);
const { noServices, startDaemon } = await import(new URL('daemon.js', root).href);
const { createLogger } = await import(new URL('logger.js', root).href);

/** RSS, peak RSS (VmHWM) and anonymous memory of this process, in bytes (Linux /proc). */
function procMemory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon') };
}

const config = loadConfig({ env: {}, cwd: run.dir, overrides: run.overrides }).config;
const logger = createLogger({ level: config.log.level, file: config.log.file });
globalThis.gc?.();
const baseline = { ...process.memoryUsage(), ...procMemory() };
process.send({ baseline });

const t0 = performance.now();
const daemon = await startDaemon({ config, logger, ...(run.engineOnly ? { services: noServices } : {}) });
let failures = 0;
daemon.scheduler.on('attemptFailed', () => failures++);
if (daemon.scheduler.connections().size < run.groups) {
  await new Promise((resolve) => {
    const check = () => {
      if (daemon.scheduler.connections().size < run.groups) return;
      daemon.scheduler.off('connected', check);
      resolve();
    };
    daemon.scheduler.on('connected', check);
  });
}
const connectMs = performance.now() - t0;
globalThis.gc?.(); // as before the idle sample: both after a GC, so they compare
const connected = { ...process.memoryUsage(), ...procMemory() };

// Steady state: every group connected; a tick reads the endpoints and decides (no attempt).
const ticks = [];
const plans = [];
for (let i = 0; i < run.ticks; i++) {
  const t = await daemon.scheduler.tickNow();
  ticks.push(t.durationMs);
  plans.push(t.planMs);
}

// Notifications (--notify N): raised here, delivered to every group; the idle figures below then include what a
// socket keeps after carrying requests (Node keeps a TLS write buffer as large as the largest request sent).
let delivery = null;
if (run.notify > 0) {
  const { notifications } = daemon.services;
  const t = performance.now();
  let done = 0;
  let lastSeq = Number.POSITIVE_INFINITY;
  const all = new Promise((resolve) => {
    notifications.delivery.on('batchAcked', (e) => {
      if (e.lastSeq >= lastSeq && ++done === run.groups) resolve();
    });
  });
  const job = (i) => ({ jobId: i, parentJobId: i, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1459829698 + i, policyName: 'vmware2', policyType: 'VMWARE', scheduleType: 'FULL', clientName: `vm-${i % 997}` });
  const raised = [];
  for (let i = 1; i <= run.notify; i++) raised.push(notifications.source.raise('JOB', job(i)));
  lastSeq = (await Promise.all(raised)).at(-1).lastSeq;
  await all;
  delivery = { notifications: run.notify, ms: performance.now() - t };
}

// Idle with keepalive running: CPU of this process over the window.
const sumStats = (key) => [...daemon.scheduler.connections().values()].reduce((n, c) => n + c.stats[key], 0);
const pingsBefore = sumStats('pingsSent');
const cpu0 = process.cpuUsage();
const w0 = performance.now();
await new Promise((r) => setTimeout(r, run.idleSeconds * 1000));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - w0;
const conns = [...daemon.scheduler.connections().values()];
const rtts = conns.map((c) => c.stats.avgRttMs).filter((r) => r !== null);
globalThis.gc?.();
const idle = { ...process.memoryUsage(), ...procMemory() };
// one Prometheus scrape of the idle daemon (admin on, as shipped): its time and size with every group's series
let scrape = null;
const adminUrl = daemon.services.admin?.url;
if (adminUrl) {
  const s0 = performance.now();
  const body = await (await fetch(`${adminUrl}/metrics`)).text();
  scrape = { ms: performance.now() - s0, bytes: Buffer.byteLength(body), series: body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length };
}
const heapSpaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
const pingsInWindow = sumStats('pingsSent') - pingsBefore;
const pongsReceived = sumStats('pongsReceived');
if (run.heapSnapshot) writeHeapSnapshot(run.heapSnapshot);
// the parent asks the endpoint process for its figures, and may hold this one to look at it from outside (gdb,
// /proc/PID/smaps), before it stops
process.send({ measured: process.pid });
await once(process, 'message');

const stopStart = performance.now();
await daemon.stop();
const stopMs = performance.now() - stopStart;

process.send({
  result: {
    services: daemon.started.map((x) => x.name),
    connectedGroups: conns.length,
    failedAttempts: failures,
    connectMs,
    baseline,
    connected,
    idle,
    ticks,
    plans,
    idleWallMs: wallMs,
    idleCpuMs: (cpu.user + cpu.system) / 1000,
    heapSpaces,
    scrape,
    delivery,
    pingsInWindow,
    pongsReceived,
    avgRttMs: rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null,
    stopMs,
    execArgv: process.execArgv,
    malloc: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES')),
  },
});
process.disconnect();
