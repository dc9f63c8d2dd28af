import { X509Certificate } from 'node:crypto';
import type { EndpointRecord } from '../store/endpoint-store.js';

/**
 * Why an endpoint is (not) connected, in one word (issue 12, "why is it down"). NetBackup's pane shows only
 * ACTIVATED/DEACTIVATED and CONNECTED/DISCONNECTED, so a healthy standby, a deactivated endpoint and a dead one all
 * read DISCONNECTED. The role tells them apart:
 *
 * | role | meaning |
 * |---|---|
 * | `serving` | ACTIVATED and connected: the group's notifications and COMMANDs go through it |
 * | `failing` | ACTIVATED, not connected, and its last attempt failed (since it was last connected, added or activated) — or its connection dropped and no endpoint of the group took over: `lastError` says why |
 * | `standby` | ACTIVATED, not connected, healthy as far as is known, and another endpoint of its group serves it: dialled when that one goes (no preemption, spec §7) |
 * | `connecting` | ACTIVATED, its group has no connection, and nothing failed since it was added or activated: an attempt is in flight or the next run dials it |
 * | `deactivated` | DEACTIVATED: never dialled; one still connected closes at the next run of the connection task (`closesWithinMs`) |
 *
 * One pure function serves the daemon (live connections, attempts in flight, the time of the next run) and
 * `nbwss endpoints list` in another process (the connection states and errors the daemon recorded in the database).
 */

/** The five roles. */
export type EndpointRole = 'serving' | 'standby' | 'connecting' | 'failing' | 'deactivated';

/** What the role of one endpoint is derived from: its stored record. */
export type RoleRecord = Pick<
  EndpointRecord,
  'hostName' | 'groupId' | 'state' | 'connectionState' | 'connectionChangedAt' | 'lastError' | 'lastErrorAt' | 'failingSince' | 'stateChangedAt' | 'createdAt'
>;

/** What is known beyond the records. */
export interface RoleContext {
  /** epoch ms */
  now: number;
  /** `connectionInfo.period`, ms. */
  periodMs: number;
  /** Whether the endpoint is connected now (default: its recorded `connectionState`). The daemon knows better. */
  connected?: (hostName: string) => boolean;
  /** Endpoints with a connection attempt in flight (only the daemon knows). */
  attempting?: ReadonlySet<string>;
  /** epoch ms of the next run of the connection task (only the daemon knows). */
  nextRunAt?: number;
}

/** The role of one endpoint and why. Times are epoch ms (the API and the CLI format them). */
export interface EndpointStatusInfo {
  role: EndpointRole;
  /** Since when it has had this role (epoch ms), or null when unknown. */
  since: number | null;
  /** Why the last attempt failed or the last connection closed, or null. */
  lastError: string | null;
  lastErrorAt: number | null;
  /** A deactivated endpoint still connected: the most it stays connected, ms (the next run closes it); else null. */
  closesWithinMs: number | null;
}

const latest = (...values: (number | null | undefined)[]): number | null => {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length === 0 ? null : Math.max(...known);
};

/** The roles of `records` (any order), by host name. */
export function endpointRoles(records: readonly RoleRecord[], ctx: RoleContext): Map<string, EndpointStatusInfo> {
  const recorded = new Set(records.filter((r) => r.connectionState === 'CONNECTED').map((r) => r.hostName));
  const connected = ctx.connected ?? ((host: string) => recorded.has(host));
  const up = new Map<string, RoleRecord>(); // group → its connected endpoint
  for (const r of records) if (connected(r.hostName)) up.set(r.groupId, r);
  const out = new Map<string, EndpointStatusInfo>();
  for (const r of records) {
    const base = { lastError: r.lastError, lastErrorAt: r.lastErrorAt, closesWithinMs: null };
    const changed = latest(r.stateChangedAt, r.createdAt);
    const isUp = connected(r.hostName);
    // an error recorded after the last add/activate (an older one is about the endpoint before the change)
    const errorSinceChange = r.lastError !== null && (r.lastErrorAt ?? 0) >= (changed ?? 0);
    const serving = up.get(r.groupId);
    let info: EndpointStatusInfo;
    if (r.state === 'DEACTIVATED') {
      let closesWithinMs: number | null = null;
      if (isUp) {
        // The next run closes it: known to the daemon; from the database, within one period of the change.
        const due = ctx.nextRunAt ?? (changed ?? ctx.now) + ctx.periodMs;
        closesWithinMs = Math.max(0, due - ctx.now);
      }
      info = { ...base, role: 'deactivated', since: changed, closesWithinMs };
    } else if (isUp) {
      info = { ...base, role: 'serving', since: r.connectionChangedAt };
    } else if (ctx.attempting?.has(r.hostName)) {
      info = { ...base, role: 'connecting', since: latest(changed, r.lastErrorAt) };
    } else if (r.failingSince !== null && errorSinceChange) {
      info = { ...base, role: 'failing', since: latest(r.failingSince, changed) };
    } else if (serving) {
      info = { ...base, role: 'standby', since: latest(serving.connectionChangedAt, changed, r.connectionChangedAt) };
    } else if (errorSinceChange) {
      info = { ...base, role: 'failing', since: r.lastErrorAt };
    } else {
      info = { ...base, role: 'connecting', since: latest(changed, r.connectionChangedAt) };
    }
    out.set(r.hostName, info);
  }
  return out;
}

/** validTo of stored certificates by fingerprint: parsing a certificate per row per request would cost ~50 µs each. */
const expiries = new Map<string, string>();

/** ISO time a stored certificate expires. */
export function certificateExpiry(rec: Pick<EndpointRecord, 'certPem' | 'certFingerprint'>): string {
  let at = expiries.get(rec.certFingerprint);
  if (at === undefined) {
    at = new Date(new X509Certificate(rec.certPem).validTo).toISOString();
    if (expiries.size >= 10_000) expiries.clear();
    expiries.set(rec.certFingerprint, at);
  }
  return at;
}

/**
 * The role as a phrase: "deactivated, still connected until the next run of the connection task (within 42 s)", or in
 * a table cell (`short`) "deactivated, closes within 42 s".
 */
export function describeRole(row: { role: EndpointRole; closesWithinMs: number | null }, short = false): string {
  if (row.role === 'deactivated' && row.closesWithinMs !== null) {
    const within = `within ${Math.ceil(row.closesWithinMs / 1000)} s`;
    return short ? `deactivated, closes ${within}` : `deactivated, still connected until the next run of the connection task (${within})`;
  }
  return row.role;
}
