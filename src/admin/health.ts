import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { TickInfo } from '../scheduler/scheduler.js';

/**
 * `GET /healthz` (liveness: the process answers and its database can be written) and `GET /readyz` (readiness:
 * the database sound — no read or write has met a corrupt file —, migrations applied, the connection task running
 * and recent; with `?connected=1` also every group that has an ACTIVATED endpoint connected). For docker HEALTHCHECK (`nbwss healthcheck`), systemd and Kubernetes probes.
 */

/** One named check. */
export interface CheckResult {
  ok: boolean;
  message?: string;
  [key: string]: unknown;
}

/** The body of both endpoints (HTTP 200 when `status` is ok, else 503). */
export interface HealthReport {
  status: 'ok' | 'fail';
  checks: Record<string, CheckResult>;
}

/** What the checks read. */
export interface HealthSources {
  store: {
    readonly closed: boolean;
    readonly path: string;
    readonly db: { readonly open: boolean; readonly readonly: boolean };
    /** A fault that does not go away by itself (a corrupt database file), seen by any read or write. */
    readonly fault?: { code: string; message: string; at: number } | undefined;
    schemaVersion(): number;
  };
  /** The schema version this code migrates to. */
  expectedSchemaVersion: number;
  scheduler: { stats(): { state: string; ticks: number; lastTick: TickInfo | undefined } };
  /** Group ids with at least one ACTIVATED endpoint. */
  activatedGroups: () => Iterable<string>;
  connectedGroups: () => ReadonlyMap<string, unknown>;
  /** Read at use time (a reload may change it). */
  config: () => Readonly<Pick<Config, 'connectionInfo'>>;
  clock: Clock;
}

function report(checks: Record<string, CheckResult>): HealthReport {
  return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'fail', checks };
}

/** Liveness and readiness checks. */
export class HealthChecks {
  readonly #s: HealthSources;

  constructor(sources: HealthSources) {
    this.#s = sources;
  }

  /** Process alive (it answers) and the database open, writable, in a writable folder. */
  async liveness(): Promise<HealthReport> {
    return report({ store: await this.#storeWritable() });
  }

  /**
   * Liveness, plus the database sound (no corrupt file met by any read or write), migrations done and the scheduler
   * ticking (plus every activated group connected, if asked).
   */
  async readiness(options: { requireConnected?: boolean } = {}): Promise<HealthReport> {
    const migrations = this.#migrations(); // a read: a corrupt schema page shows in the fault below
    const fault = this.#s.store.fault;
    const store = fault ? { ok: false, code: fault.code, since: new Date(fault.at).toISOString(), message: fault.message } : await this.#storeWritable();
    const checks: Record<string, CheckResult> = { store, migrations, scheduler: this.#scheduler() };
    if (options.requireConnected) checks.groups = this.#groups();
    return report(checks);
  }

  async #storeWritable(): Promise<CheckResult> {
    const { store } = this.#s;
    if (store.closed || !store.db.open) return { ok: false, message: 'the database is closed' };
    if (store.db.readonly) return { ok: false, message: `the database ${store.path} is open read-only` };
    if (store.path === ':memory:') return { ok: true };
    try {
      // The folder too: SQLite writes its -wal and -shm files beside the database.
      await access(store.path, constants.W_OK);
      await access(dirname(store.path), constants.W_OK);
      return { ok: true };
    } catch (err) {
      return { ok: false, message: `the database ${store.path} is not writable: ${(err as Error).message}` };
    }
  }

  #migrations(): CheckResult {
    try {
      const version = this.#s.store.schemaVersion();
      const expected = this.#s.expectedSchemaVersion;
      return version >= expected ? { ok: true, version } : { ok: false, version, message: `schema version ${version}, expected ${expected}` };
    } catch (err) {
      return { ok: false, message: `cannot read the schema version: ${(err as Error).message}` };
    }
  }

  /**
   * Running, at least one run completed, and the last one completed recently: within three periods plus one
   * handshake timeout (a run that waits for slow handshakes may overrun its period a little).
   */
  #scheduler(): CheckResult {
    const st = this.#s.scheduler.stats();
    if (st.state !== 'running') return { ok: false, state: st.state, message: `the connection task is ${st.state}` };
    if (!st.lastTick) return { ok: false, state: st.state, message: 'the connection task has not completed its first run' };
    const { period, handshakeTimeout } = this.#s.config().connectionInfo;
    const ageMs = Math.max(0, this.#s.clock.now() - (st.lastTick.startedAt + st.lastTick.durationMs));
    const limitMs = 3 * period * 1000 + handshakeTimeout;
    const base = { state: st.state, ticks: st.ticks, lastTickAgeMs: Math.round(ageMs) };
    return ageMs <= limitMs ? { ok: true, ...base } : { ok: false, ...base, message: `the last run of the connection task ended ${Math.round(ageMs)} ms ago (limit ${limitMs} ms)` };
  }

  #groups(): CheckResult {
    const live = this.#s.connectedGroups();
    const missing = [...new Set(this.#s.activatedGroups())].filter((g) => !live.has(g)).sort();
    return missing.length === 0 ? { ok: true } : { ok: false, disconnected: missing, message: `not connected: ${missing.join(', ')}` };
  }
}
