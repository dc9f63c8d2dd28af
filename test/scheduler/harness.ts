import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type ConfigKey } from '../../src/config/index.js';
import { Router } from '../../src/connection/channel.js';
import type { EndpointConnection } from '../../src/connection/endpoint-connection.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { Scheduler, type AttemptFailure, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { captureLogger } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/tmp.js';
import { startWssServer, type TestWssServer, type WssServerOptions } from '../helpers/wss-server.js';

/** What a scheduler test works with; everything is torn down when the test finishes. */
export interface Harness {
  scheduler: Scheduler;
  endpoints: EndpointStore;
  store: Store;
  cipher: TokenCipher;
  router: Router;
  lines: ReturnType<typeof captureLogger>['lines'];
  /** Scheduler events in order, as short strings: `connected G1 ep1`, `failed G1 ep1 rejected`, `disconnected G1 ep1 1000`. */
  events: string[];
  failures: AttemptFailure[];
  /** Store an endpoint served by `server` at `path`. */
  add(server: TestWssServer, e: { hostName: string; groupId: string; priority: number; path?: string; token?: string; pin?: { cert: string; fingerprint256: string } }): void;
  /** Resolve on the next scheduler event `name` whose first argument satisfies `predicate`. */
  next<K extends 'connected' | 'disconnected' | 'attemptFailed' | 'tick'>(name: K, predicate?: (arg: never) => boolean, timeoutMs?: number): Promise<unknown>;
  /** A test server, stopped at the end of the test. */
  server(options?: WssServerOptions): Promise<TestWssServer>;
  /** The live connection of a group. */
  live(groupId: string): EndpointConnection | undefined;
}

/** Build a scheduler over a fresh database with config overrides (periods in seconds, like the keys). */
export async function harness(overrides: Partial<Record<ConfigKey, string | number | boolean>> = {}, extra: Partial<SchedulerOptions> & { clock?: Clock } = {}): Promise<Harness> {
  const dir = tempDir();
  const config = loadConfig({
    env: {},
    cwd: dir,
    overrides: { 'connectionInfo.period': 3600, 'connectionInfo.handshakeTimeout': 5000, 'keepAlive.scheduledRate': 3600, 'scheduledExecutor.threadPoolSize': 4, ...overrides },
  }).config;
  const store = Store.open(join(dir, 'nbwss.db'));
  const endpoints = new EndpointStore(store);
  const cipher = new TokenCipher(randomBytes(32));
  const router = new Router();
  const { logger, lines } = captureLogger();
  const scheduler = new Scheduler({ endpoints, tokens: cipher, router, config, logger, connection: { closeTimeoutMs: 1000 }, ...extra });
  const events: string[] = [];
  const failures: AttemptFailure[] = [];
  scheduler.on('connected', (c) => events.push(`connected ${c.groupId} ${c.hostName}`));
  scheduler.on('disconnected', (c, i) => events.push(`disconnected ${c.groupId} ${c.hostName} ${i.code}`));
  scheduler.on('attemptFailed', (f) => {
    failures.push(f);
    events.push(`failed ${f.groupId} ${f.hostName} ${f.reason}`);
  });
  const servers: TestWssServer[] = [];
  onTestFinished(async () => {
    await scheduler.stop();
    await Promise.all(servers.map((s) => s.stop()));
    store.close();
  });
  return {
    scheduler,
    endpoints,
    store,
    cipher,
    router,
    lines,
    events,
    failures,
    add(server, e) {
      const pin = e.pin ?? server.cert;
      endpoints.insert({
        hostName: e.hostName,
        url: server.url(e.path ?? '/'),
        groupId: e.groupId,
        priority: e.priority,
        tokenEnc: cipher.encrypt(e.token ?? 'TOKEN', e.hostName),
        certPem: pin.cert,
        certFingerprint: pin.fingerprint256,
        caPem: null,
      });
    },
    next(name, predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const listener = (arg: never) => {
          if (!predicate(arg)) return;
          clearTimeout(timer);
          scheduler.off(name, listener as never);
          resolve(arg);
        };
        const timer = setTimeout(() => {
          scheduler.off(name, listener as never);
          reject(new Error(`scheduler event ${name} not seen within ${timeoutMs} ms`));
        }, timeoutMs);
        scheduler.on(name, listener as never);
      });
    },
    async server(options) {
      const s = await startWssServer(options);
      servers.push(s);
      return s;
    },
    live: (groupId) => scheduler.connections().get(groupId),
  };
}
