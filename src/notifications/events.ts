import type { Config } from '../config/index.js';
import type { BacklogWarningEvent } from './backlog-watch.js';

/** The `notification.*` keys the sender reads (on every batch, so a reload applies at once). */
export type NotificationConfig = Config['notification'];

/** Identifies a batch in the events of {@link NotificationEvents}. */
export interface BatchInfo {
  groupId: string;
  /** The endpoint it went to (or whose acknowledgement was received). */
  hostName: string;
  /** NOTIFICATION REQUEST id. */
  id: string;
  firstSeq: number;
  lastSeq: number;
  /** Notifications in the batch. */
  count: number;
  /** Serialized size in bytes. */
  bytes: number;
  /** Sends so far, this one included (1 for the first send). */
  sendCount: number;
}

/** A batch was sent for the first time. */
export type BatchSentEvent = BatchInfo;

/** A batch was sent again: the resend timer (`timeout`), or a new connection of the group (`reconnect`). */
export interface BatchResentEvent extends BatchInfo {
  reason: 'timeout' | 'reconnect';
}

/** A batch was acknowledged and the cursor moved past it (committed). */
export interface BatchAckedEvent extends BatchInfo {
  /** From the first send (possibly by an earlier daemon) to the committed acknowledgement. */
  latencyMs: number;
}

/** A NOTIFICATION RESPONSE that acknowledged nothing. */
export interface AckIgnoredEvent {
  groupId: string;
  hostName: string;
  id: string;
  reason: 'unknown_id' | 'non_empty_payload' | 'nothing_in_flight';
}

/** Typed events of the notification service (for metrics and the admin event stream). */
export interface NotificationEvents {
  batchSent: [BatchSentEvent];
  batchResent: [BatchResentEvent];
  batchAcked: [BatchAckedEvent];
  ackIgnored: [AckIgnoredEvent];
  /** A group's backlog warning started or ended (`notification.backlogWarning`, pruning held back). */
  backlogWarning: [BacklogWarningEvent];
}
