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
  /** The live sender (only when asked of the running daemon). */
  sender?: SenderStatus | null;
}

/** What `nbwss status` and the admin API show. */
export interface DeliveryStatus {
  /** epoch ms the status was read */
  at: number;
  outbox: OutboxStats;
  groups: GroupStatus[];
}

/** The settings a status read uses (`notification.*`). */
export interface StatusSettings {
  /** `notification.retention`, s: how long a deleted group keeps its place. */
  retention: number;
}

function groupStatus(r: GroupDeliveryRecord, now: number, settings: StatusSettings): GroupStatus {
  return {
    groupId: r.groupId,
    connectedEndpoint: r.connectedEndpoint,
    cursor: r.cursorSeq,
    backlog: r.backlog,
    oldestPendingAgeMs: r.oldestPendingRaisedAt === null ? null : Math.max(0, now - r.oldestPendingRaisedAt),
    inflight: r.inflight
      ? { id: r.inflight.id, firstSeq: r.inflight.firstSeq, lastSeq: r.inflight.lastSeq, count: r.inflight.count, sendCount: r.inflight.sendCount, firstSentAt: r.inflight.firstSentAt }
      : null,
    ackedBatches: r.ackedBatches,
    ackedNotifications: r.ackedNotifications,
    lastAckedAt: r.lastAckedAt,
    deleted: r.deletedAt === null ? null : { at: r.deletedAt, expiresAt: r.deletedAt + settings.retention * 1000 },
  };
}

/**
 * Read every group's delivery state from the database. Works from another process while the daemon runs (WAL
 * readers do not block the writer); the connected endpoint then comes from the endpoints table.
 */
export function readDeliveryStatus(outbox: OutboxStore, settings: StatusSettings, now: number = Date.now()): DeliveryStatus {
  return { at: now, outbox: outbox.stats(), groups: outbox.groups().map((g) => groupStatus(g, now, settings)) };
}
