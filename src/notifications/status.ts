import type { GroupDeliveryRecord, OutboxStats, OutboxStore } from '../store/outbox-store.js';
import type { SenderStatus } from './sender.js';

/** One server group's delivery state. */
export interface GroupStatus {
  groupId: string;
  /** The group's connected endpoint: the live sender's when asked of the daemon, else the endpoints table's. */
  connectedEndpoint: string | null;
  /** Last acknowledged seq. */
  cursor: number;
  /** Notifications raised after the cursor (in-flight ones included). */
  backlog: number;
  /** How long the oldest notification after the cursor has waited, ms (null when none waits). */
  oldestPendingAgeMs: number | null;
  /** The unacknowledged batch, if any. */
  inflight: {
    id: string;
    firstSeq: number;
    lastSeq: number;
    count: number;
    sendCount: number;
    /** epoch ms of its first send */
    firstSentAt: number;
  } | null;
  ackedBatches: number;
  ackedNotifications: number;
  /** epoch ms of the last acknowledgement */
  lastAckedAt: number | null;
  /**
   * The group's last endpoint was deleted: its place (cursor, in-flight batch) is kept until `expiresAt` (epoch ms,
   * `notification.retention` later), so adding an endpoint of the group again resumes delivery there. Null otherwise.
   */
  deleted: { at: number; expiresAt: number } | null;
  /** Endpoints stored for the group, and how many of them are ACTIVATED. */
  endpoints: number;
  activatedEndpoints: number;
  /** The backlog is over `notification.backlogWarning` (never when that is 0). */
  backlogWarning: boolean;
  /**
   * The group's oldest unacknowledged notification is older than `notification.retention`: it is kept for this group,
   * and with it every later notification of every group (pruning removes only what every group has acknowledged).
   */
  holdsPruningBack: boolean;
  /** The live sender (only when asked of the running daemon). */
  sender?: SenderStatus | null;
}

/** What `nbwss status` and the admin API show. */
export interface DeliveryStatus {
  /** epoch ms the status was read */
  at: number;
  outbox: OutboxStats;
  /** Size of the database file (`page_count × page_size`). */
  database: { bytes: number };
  groups: GroupStatus[];
  /** One sentence per group over `notification.backlogWarning` or holding pruning back: what, since when, why. */
  warnings: string[];
}

/** The settings a status read uses (`notification.*`). */
export interface StatusSettings {
  /** `notification.retention`, s: how long a deleted group keeps its place and acknowledged rows are kept. */
  retention: number;
  /** `notification.backlogWarning`: a backlog over this is a warning (0: never). */
  backlogWarning: number;
}

/** A duration for humans: 850ms, 3.2s, 5m12s, 2h03m, 3d04h. */
export function formatAge(ms: number | null): string | null {
  if (ms === null) return null;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${pad((s % 86400) / 3600)}h`;
}

/** Why nothing drains a group's backlog, in words. */
function drainState(g: GroupStatus): string {
  if (g.deleted) return `its last endpoint was deleted (its place is kept until ${new Date(g.deleted.expiresAt).toISOString()})`;
  if (g.endpoints > 0 && g.activatedEndpoints === 0) return 'every endpoint of it is DEACTIVATED';
  if (!g.connectedEndpoint) return 'no endpoint of it is connected';
  return `its endpoint ${g.connectedEndpoint} is connected but has not acknowledged them yet`;
}

/** The warning sentence of a group over the backlog threshold or holding pruning back, or undefined. */
export function groupWarning(g: GroupStatus, settings: StatusSettings): string | undefined {
  if (!g.backlogWarning && !g.holdsPruningBack) return undefined;
  const n = g.backlog.toLocaleString('en-US');
  let text = `server group ${g.groupId}: ${n} notification${g.backlog === 1 ? '' : 's'} wait for its acknowledgement`;
  if (g.backlogWarning) text += ` (over notification.backlogWarning=${settings.backlogWarning.toLocaleString('en-US')})`;
  if (g.oldestPendingAgeMs !== null) text += `, the oldest for ${formatAge(g.oldestPendingAgeMs)}`;
  text += `; ${drainState(g)}`;
  if (g.holdsPruningBack) text += '. It holds back pruning for every group: nothing it has not acknowledged is deleted, so the database grows';
  return text;
}

function groupStatus(r: GroupDeliveryRecord, now: number, settings: StatusSettings): GroupStatus {
  const oldestPendingAgeMs = r.oldestPendingRaisedAt === null ? null : Math.max(0, now - r.oldestPendingRaisedAt);
  return {
    groupId: r.groupId,
    connectedEndpoint: r.connectedEndpoint,
    cursor: r.cursorSeq,
    backlog: r.backlog,
    oldestPendingAgeMs,
    inflight: r.inflight
      ? { id: r.inflight.id, firstSeq: r.inflight.firstSeq, lastSeq: r.inflight.lastSeq, count: r.inflight.count, sendCount: r.inflight.sendCount, firstSentAt: r.inflight.firstSentAt }
      : null,
    ackedBatches: r.ackedBatches,
    ackedNotifications: r.ackedNotifications,
    lastAckedAt: r.lastAckedAt,
    deleted: r.deletedAt === null ? null : { at: r.deletedAt, expiresAt: r.deletedAt + settings.retention * 1000 },
    endpoints: r.endpoints,
    activatedEndpoints: r.activatedEndpoints,
    backlogWarning: settings.backlogWarning > 0 && r.backlog > settings.backlogWarning,
    holdsPruningBack: oldestPendingAgeMs !== null && oldestPendingAgeMs > settings.retention * 1000,
  };
}

/**
 * Read every group's delivery state from the database. Works from another process while the daemon runs (WAL
 * readers do not block the writer); the connected endpoint then comes from the endpoints table.
 */
export function readDeliveryStatus(outbox: OutboxStore, settings: StatusSettings, now: number = Date.now()): DeliveryStatus {
  const groups = outbox.groups().map((g) => groupStatus(g, now, settings));
  return {
    at: now,
    outbox: outbox.stats(),
    database: { bytes: outbox.databaseBytes() },
    groups,
    warnings: groups.map((g) => groupWarning(g, settings)).filter((w): w is string => w !== undefined),
  };
}

/** {@link DeliveryStatus} as JSON for scripts (`nbwss status --json`): times as ISO 8601 strings, like the admin API. */
export function deliveryStatusJson(status: DeliveryStatus): unknown {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    ...status,
    at: iso(status.at),
    groups: status.groups.map((g) => ({
      ...g,
      inflight: g.inflight ? { ...g.inflight, firstSentAt: iso(g.inflight.firstSentAt) } : null,
      lastAckedAt: iso(g.lastAckedAt),
      deleted: g.deleted ? { at: iso(g.deleted.at), expiresAt: iso(g.deleted.expiresAt) } : null,
    })),
  };
}
