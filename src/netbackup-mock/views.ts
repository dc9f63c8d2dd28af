/**
 * The one place where a world record becomes what the outside sees: the REST attributes the mock primary serves
 * (times as ISO-8601 UTC strings) and the NBWSS notification data the simulator raises (times as epoch seconds).
 * The world itself keeps every time as epoch milliseconds (the unit of `Clock.now()`), so neither side can drift
 * from the other: a job seen in a notification is, field for field, the job `GET /admin/jobs/{id}` returns.
 */
import type { ImageNotificationData, ImageOperation, JobNotificationData } from '../protocol/notification-data.js';
import type { Image, Job, VmServer } from './world.js';

export type { ImageNotificationData, ImageOperation, JobNotificationData } from '../protocol/notification-data.js';

/** A REST time: ISO-8601 UTC with milliseconds, e.g. `2018-01-09T10:03:22.000Z`. */
export function toRestTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A notification time: whole Unix epoch seconds (spec §2, §5). */
export function toNotificationTime(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Parse a REST time (ISO-8601 with a zone) to epoch ms; undefined when it is not one. */
export function fromRestTime(iso: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A notification time (epoch seconds) to epoch ms. */
export function fromNotificationTime(seconds: number): number {
  return seconds * 1000;
}

/**
 * The REST `scheduleType` of a notification's (`ST_FULL` → `FULL`). **[project decision]** The guide's
 * notification example says `ST_FULL` where the REST API says `FULL`; the world keeps the REST form and the
 * notification view adds the `ST_` prefix.
 */
export function restScheduleType(value: string): string {
  return value.startsWith('ST_') ? value.slice(3) : value;
}

/** The notification `scheduleType` of a REST one (`FULL` → `ST_FULL`). */
export function notificationScheduleType(value: string): string {
  return value === '' || value.startsWith('ST_') ? value : `ST_${value}`;
}

/** The `backupId` NetBackup gives an image: `<clientName>_<backupTime in epoch seconds>`. */
export function backupIdFor(clientName: string, backupTimeMs: number): string {
  return `${clientName}_${toNotificationTime(backupTimeMs)}`;
}

/** REST attributes of a job (`GET /admin/jobs/{id}` → `data.attributes`). `endTime` appears once the job ended. */
export function jobAttributes(job: Job): Record<string, unknown> {
  return {
    ...job.extra,
    jobId: job.jobId,
    parentJobId: job.parentJobId,
    jobType: job.jobType,
    jobSubType: job.jobSubType,
    policyType: job.policyType,
    policyName: job.policyName,
    scheduleType: job.scheduleType,
    scheduleName: job.scheduleName,
    clientName: job.clientName,
    status: job.status,
    state: job.state,
    percentComplete: job.percentComplete,
    kilobytesTransferred: job.kilobytesTransferred,
    numberOfFiles: job.numberOfFiles,
    startTime: toRestTime(job.startTime),
    ...(job.endTime === undefined ? {} : { endTime: toRestTime(job.endTime) }),
    lastUpdateTime: toRestTime(job.lastUpdateTime),
    try: job.try,
  };
}

/** REST attributes of an image (`GET /catalog/images/{backupId}` → `data.attributes`). */
export function imageAttributes(image: Image): Record<string, unknown> {
  return {
    ...image.extra,
    backupId: image.backupId,
    policyName: image.policyName,
    policyType: image.policyType,
    clientName: image.clientName,
    clientType: image.clientType,
    backupTime: toRestTime(image.backupTime),
    scheduleName: image.scheduleName,
    scheduleType: image.scheduleType,
    backupStatus: image.backupStatus,
    expiration: toRestTime(image.expiration),
    kilobytes: image.kilobytes,
    numberOfFiles: image.numberOfFiles,
    jobId: image.jobId,
  };
}

/** The vmserver as REST shows it: never the password. */
export function vmServerView(vm: VmServer): { serverName: string; vmType: string; userId: string; port: number } {
  return { serverName: vm.serverName, vmType: vm.vmType, userId: vm.userId, port: vm.port };
}

/** The JOB notification for the job as it is now. */
export function jobNotificationData(job: Job): JobNotificationData {
  return {
    jobId: job.jobId,
    parentJobId: job.parentJobId,
    jobType: job.jobType,
    state: job.state,
    status: job.status,
    startTime: toNotificationTime(job.startTime),
    policyName: job.policyName,
    policyType: job.policyType,
    scheduleType: notificationScheduleType(job.scheduleType),
    clientName: job.clientName,
  };
}

/** The IMAGE notification for `image` with `operationId`. */
export function imageNotificationData(image: Image, operationId: ImageOperation): ImageNotificationData {
  return {
    backupId: image.backupId,
    operationId,
    clientName: image.clientName,
    clientType: image.clientType,
    backupTime: toNotificationTime(image.backupTime),
    createdTime: toNotificationTime(image.createdTime),
  };
}
