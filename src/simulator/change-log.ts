/**
 * What the simulator has to report at its next poll. NetBackup polls job state at an interval (spec §5): a job's
 * state change becomes a JOB notification at the next poll, so every change between two polls lands in one batch.
 * The log listens to the world's `job` events (whoever changes a job), keeps one notification per state change,
 * as the record was at that moment, and keeps the IMAGE notifications the scenarios record with the catalog write.
 * {@link ChangeLog.drain} hands them over in the order they happened, grouped in runs of one object type.
 *
 * **[project decision]** Catalog (IMAGE) changes are reported at the same poll as job states, in the order they
 * happened: the guide's example shows the images and the backup job's DONE in one message (examples D and E).
 */
import type { NotificationObject } from '../protocol/messages.js';
import { imageNotificationData, jobNotificationData, type ImageNotificationData, type ImageOperation, type JobNotificationData } from '../netbackup-mock/views.js';
import type { Image, JobChange, World } from '../netbackup-mock/world.js';

/** One notification waiting for the next poll. */
export type PendingNotification = { object: 'JOB'; data: JobNotificationData } | { object: 'IMAGE'; data: ImageNotificationData };

/** Consecutive notifications of one object type: what one `raise()` call takes. */
export interface NotificationRun {
  object: NotificationObject;
  data: (JobNotificationData | ImageNotificationData)[];
}

/** Split notifications into runs of one object type, keeping their order. */
export function toRuns(list: readonly PendingNotification[]): NotificationRun[] {
  const runs: NotificationRun[] = [];
  for (const n of list) {
    const last = runs[runs.length - 1];
    if (last && last.object === n.object) last.data.push(n.data);
    else runs.push({ object: n.object, data: [n.data] });
  }
  return runs;
}

/** The notifications due at the next poll (see the module comment). */
export class ChangeLog {
  readonly #world: World;
  #pending: PendingNotification[] = [];
  readonly #onJob = (change: JobChange): void => {
    // A job is notified when it appears and when its state changes; progress updates are not notifications.
    if (change.op === 'update' && change.previous.state === change.job.state) return;
    this.#pending.push({ object: 'JOB', data: jobNotificationData(change.job) });
  };

  constructor(world: World) {
    this.#world = world;
    world.on('job', this.#onJob);
  }

  /** Record an IMAGE notification for `image` as it is now. */
  image(image: Image, operationId: ImageOperation): void {
    this.#pending.push({ object: 'IMAGE', data: imageNotificationData(image, operationId) });
  }

  /** Notifications waiting for the next poll. */
  get size(): number {
    return this.#pending.length;
  }

  /** Take everything recorded since the last drain, as runs of one object type. */
  drain(): NotificationRun[] {
    const list = this.#pending;
    this.#pending = [];
    return toRuns(list);
  }

  /** Stop following the world. */
  close(): void {
    this.#world.off('job', this.#onJob);
  }
}
