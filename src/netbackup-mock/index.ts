/**
 * The mock NetBackup primary: one in-memory world (jobs, images, vmservers) served over the REST surface of
 * `spec/netbackup-rest.md`. Library entry point.
 */
export { createMockNetBackup, DEFAULT_API_VERSION, DEFAULT_MAX_BODY_BYTES } from './server.js';
export type { MockNetBackup, MockNetBackupOptions, ListenAddress } from './server.js';
export { startMockFromBaseUrl } from './start.js';
export type { StartedMock } from './start.js';
export { World, WorldError, JOB_STATES } from './world.js';
export type { Job, JobInput, JobPatch, JobState, Image, ImageInput, ImagePatch, VmServer, ExtraAttributes, JobChange, ImageChange, VmServerChange, WorldEvents, WorldOptions, WorldErrorCode } from './world.js';
export {
  toRestTime,
  toNotificationTime,
  fromRestTime,
  fromNotificationTime,
  backupIdFor,
  jobAttributes,
  imageAttributes,
  jobNotificationData,
  imageNotificationData,
  restScheduleType,
  notificationScheduleType,
} from './views.js';
export type { JobNotificationData, ImageNotificationData, ImageOperation } from './views.js';
export { MockAuth, DEFAULT_USERS, DEFAULT_TOKEN_VALIDITY } from './auth.js';
export type { MockUser, LoginResult, Session } from './auth.js';
export { RequestLog } from './request-log.js';
export type { RequestRecord, RequestLogEvents } from './request-log.js';
export { NbErrorCode, NB_MEDIA_TYPE, nbMediaType, isSupportedApiVersion } from './http.js';
export { compileFilter, FilterError } from './filter.js';
export type { FieldType, FieldTypes } from './filter.js';
export { seedGuideExample, GUIDE_VM_SERVER } from './seed.js';
