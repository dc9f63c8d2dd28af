import { once, type EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import type { RealizationTracker } from '../../src/admin/realization.js';
import type { AdminService } from '../../src/admin/service.js';
import type { Clock } from '../../src/clock.js';
import type { ConfigKey } from '../../src/config/index.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { createMockEndpoint, type MockEndpoint, type MockEndpointFaults } from '../../src/endpoint-mock/index.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { daemonConfig, storeEndpoints, whenConnected } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

/** One mock endpoint to start: stored before the daemon starts unless `stored: false`. */
export interface EndpointPlan {
  host: string;
  group: string;
  priority?: number;
  faults?: Partial<MockEndpointFaults>;
  stored?: boolean;
}

/** A daemon with its admin API on 127.0.0.1 (a free port), and mock endpoints. */
export interface AdminDaemon {
  dir: string;
  daemon: DaemonHandle;
  admin: AdminService;
  /** `http://127.0.0.1:port` */
  base: string;
  endpoints: MockEndpoint[];
  /** `fetch(base + path)` with a JSON body when given. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** `call`, then the JSON body. */
  json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: T }>;
}

/** Options of {@link startAdminDaemon}. */
export interface AdminDaemonOptions {
  endpoints?: EndpointPlan[];
  overrides?: Partial<Record<ConfigKey, string | number | boolean>>;
  /** Wait until every stored endpoint's group is CONNECTED (default true). */
  waitConnected?: boolean;
  /** The daemon's clock (a ManualClock drives the connection task's runs and the realization waits). */
  clock?: Clock;
}

/** Start mock endpoints and a daemon with the admin API; everything stops when the test finishes. */
export async function startAdminDaemon(options: AdminDaemonOptions = {}): Promise<AdminDaemon> {
  const dir = tempDir('nbwss-admin-');
  const endpoints: MockEndpoint[] = [];
  const plans = options.endpoints ?? [];
  for (const p of plans) {
    const ep = await createMockEndpoint({ host: p.host, token: `token-${p.host}`, faults: p.faults ?? {} });
    endpoints.push(ep);
    onTestFinished(() => ep.close());
  }
  const config = daemonConfig(dir, { 'admin.listen': '127.0.0.1:0', 'log.level': 'error', ...options.overrides });
  plans.forEach((p, i) => {
    if (p.stored === false) return;
    const ep = endpoints[i]!;
    storeEndpoints(config, { hostName: p.host, url: ep.url, groupId: p.group, priority: p.priority ?? 1, token: `token-${p.host}`, certPem: ep.certPem, fingerprint256: ep.fingerprint256 });
  });
  const daemon = await startDaemon({ config, ...(options.clock ? { clock: options.clock } : {}) });
  onTestFinished(() => daemon.stop());
  if (options.waitConnected !== false) {
    const groups = new Set(plans.filter((p) => p.stored !== false && !p.faults?.rejectToken).map((p) => p.group));
    await Promise.all([...groups].map((g) => whenConnected(daemon, g)));
  }
  // The first run of the connection task has completed (readiness, failed attempts recorded).
  if (!daemon.scheduler.stats().lastTick) await once(daemon.scheduler, 'tick');
  const admin = daemon.services.admin;
  const base = admin.url!;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
  const json = async <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await call(method, path, body, headers);
    return { status: res.status, headers: res.headers, body: (await res.json()) as T };
  };
  return { dir, daemon, admin, base, endpoints, call, json };
}

/**
 * Resolves when a request starts waiting on the realization tracker (`GET /api/realization?wait=` adds its
 * `changed` listener after its timer): the moment to let the change happen.
 */
export function whenRealizationWaited(tracker: RealizationTracker): Promise<void> {
  const emitter = tracker as unknown as EventEmitter; // 'newListener' is Node's own event, not in the typed map
  return new Promise((resolve) => {
    const on = (event: string | symbol) => {
      if (event !== 'changed') return;
      emitter.off('newListener', on);
      resolve();
    };
    emitter.on('newListener', on);
  });
}

/** The endpoint JSON a mock endpoint gives (spec §8). */
export function detailsOf(ep: MockEndpoint, group: string, priority = 1): { token: string; priority: number; groupId: string; hostName: string; url: string } {
  return ep.endpointDetails({ group, priority });
}

/** The value of one sample of the Prometheus text (`name{labels}`), or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (wanted.every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * A daemon (admin API on) whose database file is corrupt past its first half: 3,000 notifications for group G1 were
 * stored, then the pages of the second half overwritten. Delivery to the mock endpoint goes as far as the sound
 * pages; resolves once a read has met a corrupt page (the store's `fault` event).
 */
export async function startCorruptDaemon(): Promise<{ daemon: DaemonHandle; base: string; endpoint: MockEndpoint; dir: string }> {
  const dir = tempDir('nbwss-corrupt-');
  const endpoint = await createMockEndpoint({ host: '127.0.0.2', token: 'token-corrupt' });
  onTestFinished(() => endpoint.close());
  const config = daemonConfig(dir, { 'admin.listen': '127.0.0.1:0', 'log.level': 'silent', 'notification.maxBatchSize': 50 });
  storeEndpoints(config, { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 'token-corrupt', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });
  const store = Store.open(config.db.path);
  const data = (i: number) => JSON.stringify({ jobId: i, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' });
  new OutboxStore(store).append([{ rows: Array.from({ length: 3000 }, (_, i) => ({ object: 'JOB' as const, data: data(i + 1) })), raisedAt: 1 }]);
  store.close();
  const bytes = readFileSync(config.db.path);
  bytes.fill(0xff, Math.floor(bytes.length * 0.5), Math.floor(bytes.length * 0.95));
  writeFileSync(config.db.path, bytes);
  const daemon = await startDaemon({ config });
  onTestFinished(() => daemon.stop());
  const base = daemon.services.admin.url!;
  await whenConnected(daemon, 'G1');
  if (!daemon.store.fault) await once(daemon.store, 'fault');
  return { daemon, base, endpoint, dir };
}

/** One Server-Sent Event as parsed by {@link sseClient}. */
export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/**
 * An SSE client over fetch that collects events and resolves `next(predicate)` when one matches (replayed events
 * included), `nextLive(predicate)` when one published after the client connected matches.
 */
export async function sseClient(url: string, init: RequestInit = {}) {
  const abort = new AbortController();
  onTestFinished(() => abort.abort());
  const res = await fetch(url, { ...init, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const closed = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          const id = /^id: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const e: SseEvent = { event, data: JSON.parse(data) as Record<string, unknown>, ...(id === undefined ? {} : { id }) };
          events.push(e);
          for (const w of [...waiters]) {
            if (w.pred(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  const next = (pred: (e: SseEvent) => boolean) =>
    new Promise<SseEvent>((resolve) => {
      const seen = events.find(pred);
      if (seen) resolve(seen);
      else waiters.push({ pred, resolve });
    });
  const hello = await next((e) => e.event === 'hello');
  // the events the hub replayed from its history come right after hello; `nextLive` looks only past them
  const firstLive = events.indexOf(hello) + 1 + Number(hello.data.replayed ?? 0);
  const nextLive = (pred: (e: SseEvent) => boolean) => next((e) => events.indexOf(e) >= firstLive && pred(e));
  return { res, events, hello, next, nextLive, closed, abort: () => abort.abort() };
}

