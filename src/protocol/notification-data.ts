import { NotificationValidationError, type FieldError } from '../errors.js';
import type { NotificationObject } from './messages.js';
import { summarize } from './summary.js';

/** Job states a JOB notification carries (spec §5). */
export const JOB_STATES = ['QUEUED', 'ACTIVE', 'DONE'] as const;
/** A job state. */
export type JobState = (typeof JOB_STATES)[number];
/** Image operations an IMAGE notification carries (spec §5). */
export const IMAGE_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'NO_LOCAL_COPY_AVAILABLE'] as const;
/** An IMAGE notification operation. */
export type ImageOperation = (typeof IMAGE_OPERATIONS)[number];

/**
 * The guide's ten fields of a JOB notification, exactly (times in epoch seconds). A type alias, not an interface,
 * so it is assignable to `Record<string, unknown>` (what `raise()` takes).
 */
export type JobNotificationData = {
  jobId: number;
  parentJobId: number;
  jobType: string;
  state: JobState;
  status: number;
  startTime: number;
  policyName: string;
  policyType: string;
  scheduleType: string;
  clientName: string;
};

/** The guide's six fields of an IMAGE notification, exactly (times in epoch seconds). */
export type ImageNotificationData = {
  backupId: string;
  operationId: ImageOperation;
  clientName: string;
  clientType: string;
  backupTime: number;
  createdTime: number;
};

/** A JOB notification, with the fields of the guide's examples. Extra fields are allowed and passed on. */
export interface JobNotification extends JobNotificationData {
  [extra: string]: unknown;
}

/** An IMAGE notification, with the fields of the guide's examples. Extra fields are allowed and passed on. */
export interface ImageNotification extends ImageNotificationData {
  [extra: string]: unknown;
}

type FieldRule = 'int' | 'string' | 'nonEmptyString' | readonly string[];

/** The guide's fields of each object type and what each must be. */
export const NOTIFICATION_FIELDS: Record<NotificationObject, Record<string, FieldRule>> = {
  JOB: {
    jobId: 'int',
    parentJobId: 'int',
    jobType: 'nonEmptyString',
    state: JOB_STATES,
    status: 'int',
    startTime: 'int',
    policyName: 'string', // "" for a restore job
    policyType: 'nonEmptyString',
    scheduleType: 'nonEmptyString',
    clientName: 'nonEmptyString',
  },
  IMAGE: {
    backupId: 'nonEmptyString',
    operationId: IMAGE_OPERATIONS,
    clientName: 'nonEmptyString',
    clientType: 'nonEmptyString',
    backupTime: 'int',
    createdTime: 'int',
  },
};

function describe(rule: FieldRule): string {
  if (Array.isArray(rule)) return `one of ${rule.join(', ')}`;
  if (rule === 'int') return 'an integer';
  if (rule === 'nonEmptyString') return 'a non-empty string';
  return 'a string';
}

function check(rule: FieldRule, v: unknown): boolean {
  if (Array.isArray(rule)) return typeof v === 'string' && rule.includes(v);
  if (rule === 'int') return typeof v === 'number' && Number.isSafeInteger(v);
  if (rule === 'nonEmptyString') return typeof v === 'string' && v !== '';
  return typeof v === 'string';
}

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const isText = (v: unknown): boolean => typeof v === 'string' && v !== '';
const isOneOf = (values: readonly string[], v: unknown): boolean => typeof v === 'string' && values.includes(v);

/**
 * {@link NOTIFICATION_FIELDS} written out with fixed property names, for the hot path of every raise: a property
 * read by name is a cached lookup on objects of one shape, where a loop over the field names (`d[field]`) is a
 * generic lookup each time. A test keeps these equal to the table (random objects judged both ways).
 */
const VALIDATORS: Record<NotificationObject, (d: Record<string, unknown>) => boolean> = {
  JOB: (d) =>
    isInt(d.jobId) &&
    isInt(d.parentJobId) &&
    isText(d.jobType) &&
    isOneOf(JOB_STATES, d.state) &&
    isInt(d.status) &&
    isInt(d.startTime) &&
    typeof d.policyName === 'string' &&
    isText(d.policyType) &&
    isText(d.scheduleType) &&
    isText(d.clientName),
  IMAGE: (d) => isText(d.backupId) && isOneOf(IMAGE_OPERATIONS, d.operationId) && isText(d.clientName) && isText(d.clientType) && isInt(d.backupTime) && isInt(d.createdTime),
};

/**
 * True when `data` is a valid notification of `object` (what {@link notificationProblems} finds no problem with),
 * without building any message: the fast path of every raise.
 */
export function isValidNotification(object: NotificationObject, data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  return VALIDATORS[object](data as Record<string, unknown>);
}

/** Problems with one notification data object, as fields (`data.jobId`, `data[3].state`) and messages (empty when valid). */
export function notificationFieldErrors(object: NotificationObject, data: unknown, where = 'data'): FieldError[] {
  if (isValidNotification(object, data)) return [];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [{ field: where, message: 'must be a JSON object' }];
  const d = data as Record<string, unknown>;
  const problems: FieldError[] = [];
  for (const [field, rule] of Object.entries(NOTIFICATION_FIELDS[object])) {
    if (!(field in d)) problems.push({ field: `${where}.${field}`, message: `is missing (must be ${describe(rule)})` });
    else if (!check(rule, d[field])) problems.push({ field: `${where}.${field}`, message: `must be ${describe(rule)}, got ${summarize(d[field])}` });
  }
  return problems;
}

/** Problems with one notification data object, each a sentence naming the field (empty when valid). */
export function notificationProblems(object: NotificationObject, data: unknown, where = 'data'): string[] {
  return notificationFieldErrors(object, data, where).map((p) => `${object} ${p.field} ${p.message}`);
}

/** Parse the object type given on a command line or API call (case-insensitive). */
export function parseNotificationObject(value: unknown): NotificationObject {
  const v = typeof value === 'string' ? value.toUpperCase() : value;
  if (v === 'JOB' || v === 'IMAGE') return v;
  throw new NotificationValidationError(`object must be JOB or IMAGE, got ${summarize(value)}`, { fields: [{ field: 'object', message: `must be JOB or IMAGE, got ${summarize(value)}` }] });
}

/**
 * Check one notification or an array of them; returns the array. Throws {@link NotificationValidationError}
 * naming every bad field (so nothing partial is ever stored).
 */
export function validateNotifications(object: NotificationObject, input: unknown): Record<string, unknown>[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new NotificationValidationError(`${object}: no notification given (empty array)`, { fields: [{ field: 'data', message: 'no notification given (empty array)' }] });
  let valid = true;
  for (let i = 0; i < list.length && valid; i++) valid = isValidNotification(object, list[i]);
  if (valid) return list as Record<string, unknown>[];
  const fields = list.flatMap((d, i) => notificationFieldErrors(object, d, Array.isArray(input) ? `data[${i}]` : 'data'));
  if (fields.length > 0) throw new NotificationValidationError(fields.map((p) => `${object} ${p.field} ${p.message}`).join('; '), { fields });
  return list as Record<string, unknown>[];
}
