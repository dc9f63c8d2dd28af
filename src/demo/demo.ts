/**
 * `nbwss demo` as a library: in one process, a temp folder, the mock NetBackup (in-process, with the simulator),
 * a server group of two mock cloud endpoints added through the real pinning path (fingerprint checked over TLS),
 * the daemon with short periods, and a readable account of it all; endpoint 1 is stopped after a while to show
 * failover. With `endpointFile`, the user's own endpoint takes the place of the mock ones.
 *
 * The demo is a composition root of its own (like `daemon.ts`): it builds the endpoint service and the daemon
 * from a configuration its caller loads (the CLI applies `--config` and the environment, then {@link demoOverrides}).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, type GeneratedCertificate } from '../certificates.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Config, ConfigKey } from '../config/index.js';
import { startDaemon, type DaemonHandle } from '../daemon.js';
import { createMockEndpoint, type MockEndpoint } from '../endpoint-mock/index.js';
import { EndpointService, parseEndpointDetails, TokenCipher, type EndpointDetails } from '../endpoints/index.js';
import { UsageError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { NotificationSubsystem } from '../notifications/subsystem.js';
import { Store } from '../store/database.js';
import { EndpointStore } from '../store/endpoint-store.js';
import { CommandLoop } from './cloud.js';
import { Narrator, type Tag } from './narrator.js';
import { banner, farewell } from './texts.js';
import { watchDaemon, watchEndpoint, watchSimulator } from './watch.js';

/** The server group of the demo's mock endpoints. */
export const DEMO_GROUP = 'DEMO';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Where the account goes, one line at a time. */
  write: (line: string) => void;
  /** Load the configuration with these overrides (the CLI: `--config`, environment, then these). */
  configure: (overrides: Partial<Record<ConfigKey, string | number | boolean>>) => Readonly<Config>;
  color?: boolean;
  /** `simulator.seed` (default 1). */
  seed?: number;
  /** Scenarios per minute (default 12). */
  rate?: number;
  /** Stop endpoint 1 this long after the start, ms (default 12000; 0: never). */
  failoverAfterMs?: number;
  /** Bring endpoint 1 back this long after the failover, ms (default 15000; 0: never). */
  returnAfterMs?: number;
  /** Between two COMMANDs of a mock endpoint, ms (default 6000). */
  commandIntervalMs?: number;
  /** Between two summaries, ms (default 15000). */
  summaryIntervalMs?: number;
  /** Drive this endpoint (the JSON of spec §8) instead of the mock ones. */
  endpointFile?: string;
  /** With `endpointFile`: the SHA-256 fingerprint its certificate must have. */
  fingerprint?: string;
  /** With `endpointFile`: pin whatever certificate it presents. */
  acceptCertificate?: boolean;
  /** Parent of the temp folder (default the OS temp folder). */
  tmpRoot?: string;
  clock?: Clock;
}

/** A running demo. */
export interface Demo {
  /** The temp folder (removed by `stop`). */
  readonly dir: string;
  readonly daemon: DaemonHandle;
  /** Stop everything, remove the temp folder, say goodbye. Idempotent. */
  stop(): Promise<void>;
}

/** The configuration the demo runs with, in `dir`: short periods, mock NetBackup and simulator on, admin API on a free port. */
export function demoOverrides(dir: string, options: Pick<DemoOptions, 'seed' | 'rate'>): Partial<Record<ConfigKey, string | number | boolean>> {
  return {
    'db.path': join(dir, 'nbwss.db'),
    'security.keyFile': join(dir, 'nbwss.key'),
    'log.file': join(dir, 'nbwss.log'),
    // The admin API and web console on a free loopback port (printed once listening).
    'admin.listen': '127.0.0.1:0',
    'netbackup.mock': true,
    'netbackup.baseUrl': 'https://127.0.0.1:0',
    'simulator.enabled': true,
    'simulator.seed': options.seed ?? 1,
    'simulator.jobsPerMinute': options.rate ?? 12,
    'simulator.pollInterval': 1,
    'connectionInfo.period': 1,
    'connectionInfo.handshakeTimeout': 3000,
    'notification.delay': 1,
    'notification.scheduledRate': 2,
    'notification.sendTimeout': 1000,
    'keepAlive.scheduledRate': 5,
    'keepAlive.maxPongMissAllowed': 3,
  };
}

interface MockSlot {
  tag: Tag;
  host: string;
  hostName: string;
  token: string;
  cert: GeneratedCertificate;
  endpoint: MockEndpoint;
  port: number;
  /** Its endpoint JSON (spec §8), as a cloud application would hand it over. */
  file: string;
}

/** Start a mock endpoint on a loopback address of its own; where 127.0.0.x is missing (macOS), on 127.0.0.1. */
async function startMock(i: number, dir: string): Promise<MockSlot> {
  const token = randomBytes(18).toString('base64url');
  const tag: Tag = i === 1 ? 'endpoint 1' : 'endpoint 2';
  for (const [host, hostName] of [[`127.0.0.${i + 1}`, `127.0.0.${i + 1}`], ['127.0.0.1', i === 1 ? 'localhost' : '127.0.0.1']] as const) {
    const cert = await generateCertificate({ hosts: [hostName, host] });
    try {
      const endpoint = await createMockEndpoint({ host, hostName, token, cert: cert.cert, key: cert.key });
      const file = join(dir, `endpoint-${i}.json`);
      endpoint.writeEndpointFile(file, { group: DEMO_GROUP, priority: i });
      return { tag, host, hostName, token, cert, endpoint, port: endpoint.address().port, file };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
    }
  }
  throw new Error('no loopback address to listen on');
}

/** Start the demo (see the module comment). On failure everything started is undone and the folder removed. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const clock = options.clock ?? systemClock;
  const n = new Narrator({ write: options.write, clock, color: options.color ?? false });
  const dir = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'nbwss-demo-'));
  const undo: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const timers = new Set<TimerHandle>();
  const later = (ms: number, fn: () => void) => {
    const t = clock.setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const failoverAfterMs = options.endpointFile ? 0 : options.failoverAfterMs ?? 12_000;
  const returnAfterMs = options.returnAfterMs ?? 15_000;
  const commandIntervalMs = options.commandIntervalMs ?? 6_000;
  const run = async () => {
    const mocks: MockSlot[] = [];
    let own: EndpointDetails | undefined;
    if (options.endpointFile) {
      own = parseEndpointDetails(readFileSync(options.endpointFile));
    } else {
      for (const i of [1, 2]) {
        const slot = await startMock(i, dir);
        mocks.push(slot);
        undo.push(() => slot.endpoint.close());
      }
    }
    const config = options.configure(demoOverrides(dir, options));
    n.text(
      banner(
        {
          dir,
          logFile: config.log.file,
          group: DEMO_GROUP,
          mockHosts: mocks.map((m) => m.hostName),
          ...(own ? { ownEndpoint: own } : {}),
          rate: config.simulator.jobsPerMinute,
          pollInterval: config.simulator.pollInterval,
          delay: config.notification.delay,
          failoverAfterS: failoverAfterMs / 1000,
          returnAfterS: returnAfterMs / 1000,
          commandIntervalS: commandIntervalMs / 1000,
        },
        (s) => n.heading(s),
      ),
    );
    const logger: Logger = createLogger({ level: config.log.level, file: config.log.file, format: config.log.format });
    await addEndpoints(n, config, logger, mocks, own, options);

    const daemon = await startDaemon({ config, logger });
    undo.push(() => daemon.stop());
    const { notifications, admin } = daemon.services;
    const simulator = daemon.services.simulator.simulator!;
    const loops: CommandLoop[] = [];
    const follow = (slot: MockSlot) => {
      watchEndpoint(n, slot.tag, slot.endpoint);
      const loop = new CommandLoop({ narrator: n, tag: slot.tag, endpoint: slot.endpoint, intervalMs: commandIntervalMs, clock });
      loops.push(loop);
      undo.push(() => loop.stop());
    };
    mocks.forEach(follow);
    watchSimulator(n, simulator);
    watchDaemon(n, daemon, {
      showTraffic: own !== undefined,
      onFailover: () => {
        const first = mocks[0];
        if (!first || returnAfterMs <= 0) return;
        later(returnAfterMs, () => void bringBack(first));
      },
    });
    n.line('demo', `daemon started (database ${config.db.path}); the connection task runs every ${config.connectionInfo.period} s`);
    if (admin.url) n.line('demo', `web console and admin API: ${admin.url}/ (the same daemon seen from its operator surface; metrics at ${admin.url}/metrics)`);
    // The guide's worked example first: a newcomer sees the parent → snapshot → backup sequence straight away.
    if (config.simulator.scenarios.includes('vmware')) simulator.startScenario('vmware');

    const bringBack = async (slot: MockSlot) => {
      try {
        slot.endpoint = await createMockEndpoint({ host: slot.host, hostName: slot.hostName, port: slot.port, token: slot.token, cert: slot.cert.cert, key: slot.cert.key });
      } catch (err) {
        n.line('demo', `endpoint 1 could not come back on port ${slot.port}: ${(err as Error).message}`);
        return;
      }
      undo.push(() => slot.endpoint.close());
      follow(slot);
      n.line('demo', `endpoint 1 is back (same address, same pinned certificate). The group stays on endpoint 2: NBWSS never drops a working connection for a higher priority (no preemption, spec §7); it returns to endpoint 1 only if endpoint 2 goes away`);
    };
    if (failoverAfterMs > 0 && mocks[0]) {
      const first = mocks[0];
      later(failoverAfterMs, () => {
        n.line('demo', `stopping endpoint 1 (${first.hostName}) as if its server went down, to show failover: the daemon sees the socket close, and its connection task connects the group's next priority, endpoint 2`);
        void first.endpoint.close({ code: 1001, reason: 'demo: endpoint 1 goes down' });
      });
    }
    const summaryMs = options.summaryIntervalMs ?? 15_000;
    const summary = clock.setInterval(() => n.line('summary', summarize(notifications, mocks, loops)), summaryMs);
    undo.push(() => clock.clearInterval(summary));
    return { daemon, notifications, mocks, loops };
  };

  let parts: Awaited<ReturnType<typeof run>>;
  try {
    parts = await run();
  } catch (err) {
    for (const u of undo.reverse()) await Promise.resolve().then(u).catch(() => undefined);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const t of timers) clock.clearTimeout(t);
      n.line('summary', summarize(parts.notifications, parts.mocks, parts.loops));
      n.line('demo', 'stopping: the daemon closes its sockets (1001), the endpoints and the mock NetBackup stop');
      n.mute();
      for (const u of undo.reverse()) await Promise.resolve().then(u).catch((err: unknown) => n.line('demo', `while stopping: ${(err as Error).message}`));
      n.text(farewell(dir, (s) => n.heading(s)));
    })());
  return { dir, daemon: parts.daemon, stop };
}

/** Add the endpoints through the real path: details checked, certificate fetched over TLS and pinned, token encrypted. */
async function addEndpoints(n: Narrator, config: Readonly<Config>, logger: Logger, mocks: MockSlot[], own: EndpointDetails | undefined, options: DemoOptions): Promise<void> {
  const store = Store.open(config.db.path);
  try {
    const endpointStore = new EndpointStore(store);
    const endpoints = new EndpointService({ endpoints: endpointStore, cipher: TokenCipher.forStore(config.security.keyFile, endpointStore.count()), logger });
    for (const m of mocks) {
      const { endpoint } = await endpoints.add(parseEndpointDetails(readFileSync(m.file)), { fingerprint: m.endpoint.fingerprint256 });
      n.line('demo', `${m.tag} listening at ${m.endpoint.url}; added from ${m.file} (group ${endpoint.groupId}, priority ${endpoint.priority}) with its certificate pinned: SHA-256 ${endpoint.fingerprint.slice(0, 23)}…`);
    }
    if (own) {
      if (!options.fingerprint && !options.acceptCertificate) {
        const { certificate } = await endpoints.validate(own);
        throw new UsageError(
          `${own.hostName} presents a certificate with SHA-256 fingerprint ${certificate.fingerprint256} (subject ${certificate.subject}): ` +
            `if that is your endpoint's, re-run with --fingerprint ${certificate.fingerprint256} (or --accept-certificate)`,
        );
      }
      const { endpoint } = await endpoints.add(own, options.fingerprint ? { fingerprint: options.fingerprint } : { acceptCertificate: true });
      n.line('demo', `your endpoint ${endpoint.hostName} (${endpoint.url}) added: group ${endpoint.groupId}, priority ${endpoint.priority}, certificate pinned SHA-256 ${endpoint.fingerprint.slice(0, 23)}…`);
    }
  } finally {
    store.close();
  }
}

/** One line: per group, what was raised, acknowledged and waits; per mock endpoint, what it received; COMMANDs. */
function summarize(notifications: NotificationSubsystem, mocks: readonly MockSlot[], loops: readonly CommandLoop[]): string {
  const status = notifications.status();
  const groups = status.groups.map((g) => `group ${g.groupId} via ${g.connectedEndpoint ?? '(no connection)'}: ${g.ackedNotifications} acknowledged, ${g.backlog} waiting`);
  const raised = `${status.outbox.newestSeq} notifications raised`;
  const eps = mocks.map((m) => `${m.tag} received ${m.endpoint.stats().notificationsReceived}`);
  const answered = new Map<number, number>();
  for (const l of loops) for (const [code, count] of l.answered) answered.set(code, (answered.get(code) ?? 0) + count);
  const cmds = answered.size > 0 ? `COMMANDs answered: ${[...answered].map(([c, k]) => `${k}× ${c}`).join(', ')}` : '';
  return [raised, ...groups, ...eps, cmds].filter((s) => s !== '').join(' · ');
}
