import type { ImageNotification, JobNotification, NotificationElement } from '../protocol/index.js';

/**
 * The notifications a check run sends: the guide's JOB and IMAGE fields, clearly synthetic (policy
 * `nbwss-check-endpoint`, client `nbwss-check-client`, job ids from 990000) so that an endpoint team can recognise
 * and discard them.
 */

/** Policy name of every synthetic JOB notification. */
export const CHECK_POLICY = 'nbwss-check-endpoint';
/** Client name of every synthetic notification. */
export const CHECK_CLIENT = 'nbwss-check-client';
/** Synthetic job ids start here. */
const FIRST_JOB_ID = 990_000;

/** A JOB notification (state DONE, status 0) with job id `FIRST_JOB_ID + n`. */
export function checkJob(n: number, nowSeconds: number): JobNotification {
  const jobId = FIRST_JOB_ID + n;
  return { jobId, parentJobId: jobId, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: nowSeconds - 60, policyName: CHECK_POLICY, policyType: 'STANDARD', scheduleType: 'FULL', clientName: CHECK_CLIENT };
}

/** An IMAGE notification (CREATE) for the n-th synthetic backup. */
export function checkImage(n: number, nowSeconds: number): ImageNotification {
  const backupTime = nowSeconds - 60 - n;
  return { backupId: `${CHECK_CLIENT}_${backupTime}`, operationId: 'CREATE', clientName: CHECK_CLIENT, clientType: 'STANDARD', backupTime, createdTime: nowSeconds };
}

/** One payload element of `object` holding `data`. */
export function element(object: 'JOB' | 'IMAGE', data: Record<string, unknown>[]): NotificationElement {
  return { notificationType: 'INFO', object, data };
}

/** `count` JOB notifications numbered from `first`, as one element. */
export function jobs(first: number, count: number, nowSeconds: number): NotificationElement[] {
  return [element('JOB', Array.from({ length: count }, (_, i) => checkJob(first + i, nowSeconds)))];
}

/**
 * A payload of JOB notifications whose NOTIFICATION REQUEST frame is close to `targetBytes` (never over it):
 * the size a full 2 MB NetBackup batch reaches.
 */
export function payloadOfSize(targetBytes: number, nowSeconds: number): { payload: NotificationElement[]; count: number } {
  // Envelope around the payload: {"version":"1.0","id":"<36>","type":"NOTIFICATION","subType":"REQUEST","timeStamp":<10>,"payload":…}
  const envelope = 120;
  const one = JSON.stringify(checkJob(0, nowSeconds)).length + 1;
  let count = Math.max(1, Math.floor((targetBytes - envelope - 60) / one));
  let payload = jobs(0, count, nowSeconds);
  while (count > 1 && JSON.stringify(payload).length + envelope > targetBytes) payload = jobs(0, --count, nowSeconds);
  return { payload, count };
}
