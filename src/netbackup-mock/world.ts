/**
 * The simulated NetBackup world: jobs, catalog images and VMware servers, in memory. The mock primary's REST routes
 * read it; the event simulator writes it and raises notifications from the same records (views.ts), so a job seen
 * in a notification is the job the REST API returns. Records are frozen snapshots: every change replaces the
 * record and emits one typed event with the record before and after, so a poller can see state changes without
 * reaching into the model.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../clock.js';
import { WorldError } from '../errors.js';
import { JOB_STATES, type JobState } from '../protocol/notification-data.js';
import { backupIdFor, restScheduleType } from './views.js';

export { WorldError, type WorldErrorCode } from '../errors.js';
/** Job states the world accepts: those NBWSS notifies (spec §5). */
export { JOB_STATES, type JobState } from '../protocol/notification-data.js';

/** More REST attributes a record carries as they are (e.g. `jobOwner`, `restoreBackupIDs`); the named fields win. */
export type ExtraAttributes = Readonly<Record<string, string | number | boolean | null>>;

/** A job. Times are epoch milliseconds; views.ts turns them into REST strings or notification seconds. */
export interface Job {
  readonly jobId: number;
  /** 0 for a job without a parent. */
  readonly parentJobId: number;
  /** `BACKUP`, `RESTORE`, `SNAPSHOT`, … */
  readonly jobType: string;
  /** `IMMEDIATE`, `SCHEDULED`, … */
  readonly jobSubType: string;
  /** `STANDARD`, `VMWARE`, … */
  readonly policyType: string;
  /** `""` for a restore. */
  readonly policyName: string;
  /** REST form (`FULL`); the notification view adds `ST_`. An `ST_` prefix given on input is removed. */
  readonly scheduleType: string;
  readonly scheduleName: string;
  readonly clientName: string;
  /** NetBackup status code, 0 = success. */
  readonly status: number;
  readonly state: JobState;
  readonly percentComplete: number;
  readonly kilobytesTransferred: number;
  readonly numberOfFiles: number;
  readonly try: number;
  readonly startTime: number;
  /** Undefined until the job ends. */
  readonly endTime: number | undefined;
  /** Set to the clock's time on every change unless the change gives it. */
  readonly lastUpdateTime: number;
  readonly extra: ExtraAttributes;
}

/** What {@link World.addJob} / {@link World.upsertJob} take: any field, the rest defaulted. */
export type JobInput = Partial<Job>;
/** What {@link World.updateJob} takes. */
export type JobPatch = Partial<Omit<Job, 'jobId'>>;

/** A catalog image. Times are epoch milliseconds (`backupTime` whole seconds, as NetBackup keeps it). */
export interface Image {
  /** Default `<clientName>_<backupTime seconds>`. */
  readonly backupId: string;
  readonly clientName: string;
  /** Notification `clientType`, e.g. `VMWARE`, `STANDARD`. */
  readonly clientType: string;
  readonly policyName: string;
  readonly policyType: string;
  readonly scheduleName: string;
  readonly scheduleType: string;
  readonly backupTime: number;
  /** When the catalog entry was written (notification `createdTime`). */
  readonly createdTime: number;
  readonly expiration: number;
  readonly backupStatus: number;
  readonly kilobytes: number;
  readonly numberOfFiles: number;
  /** The job that wrote it; 0 when unknown. */
  readonly jobId: number;
  readonly extra: ExtraAttributes;
}

/** What {@link World.addImage} takes: `clientName` at least. */
export type ImageInput = Partial<Image> & { clientName: string };
/** What {@link World.updateImage} takes (`backupId` is the key and cannot change). */
export type ImagePatch = Partial<Omit<Image, 'backupId'>>;

/** A VMware server credential (`/config/servers/vmservers`). The password is kept but never served. */
export interface VmServer {
  readonly serverName: string;
  readonly vmType: string;
  readonly userId: string;
  readonly password: string;
  readonly port: number;
}

/** A job was created or changed. `previous` is the record before an update. */
export type JobChange = { op: 'create'; job: Job; previous: undefined } | { op: 'update'; job: Job; previous: Job };
/** An image was created, changed or deleted (for `delete`, `image` is the record removed). */
export type ImageChange =
  | { op: 'create'; image: Image; previous: undefined }
  | { op: 'update'; image: Image; previous: Image }
  | { op: 'delete'; image: Image; previous: Image };
/** A vmserver was created or deleted. */
export interface VmServerChange {
  op: 'create' | 'delete';
  vmServer: VmServer;
}

/** Events of {@link World}, emitted synchronously after the change is in place. */
export interface WorldEvents {
  job: [change: JobChange];
  image: [change: ImageChange];
  vmServer: [change: VmServerChange];
}

/** Options of {@link World}. */
export interface WorldOptions {
  /** Source of default times (`startTime`, `lastUpdateTime`, `backupTime`, …). Default: the system clock. */
  clock?: Clock;
}

const DAY_MS = 86_400_000;

function invalid(message: string): never {
  throw new WorldError('NBWSS_ERR_MOCK_INVALID', message);
}

function checkInt(name: string, v: unknown, min = 0): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) invalid(`${name} must be an integer >= ${min}, got ${String(v)}`);
}

function checkTime(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`${name} must be epoch milliseconds, got ${String(v)}`);
}

function checkString(name: string, v: unknown, nonEmpty = false): void {
  if (typeof v !== 'string' || (nonEmpty && v === '')) invalid(`${name} must be a${nonEmpty ? ' non-empty' : ''} string`);
}

function freezeJob(j: Job): Job {
  checkInt('jobId', j.jobId, 1);
  checkInt('parentJobId', j.parentJobId);
  for (const k of ['jobType', 'jobSubType', 'policyType', 'scheduleType', 'clientName'] as const) checkString(k, j[k], true);
  checkString('policyName', j.policyName);
  checkString('scheduleName', j.scheduleName);
  if (!(JOB_STATES as readonly string[]).includes(j.state)) invalid(`state must be one of ${JOB_STATES.join(', ')}, got ${String(j.state)}`);
  checkInt('status', j.status);
  checkInt('try', j.try, 1);
  for (const k of ['percentComplete', 'kilobytesTransferred', 'numberOfFiles'] as const) checkInt(k, j[k]);
  checkTime('startTime', j.startTime);
  checkTime('lastUpdateTime', j.lastUpdateTime);
  if (j.endTime !== undefined) checkTime('endTime', j.endTime);
  return Object.freeze({ ...j, scheduleType: restScheduleType(j.scheduleType), extra: Object.freeze({ ...j.extra }) });
}

function freezeImage(i: Image): Image {
  checkString('backupId', i.backupId, true);
  for (const k of ['clientName', 'clientType', 'policyType'] as const) checkString(k, i[k], true);
  for (const k of ['policyName', 'scheduleName', 'scheduleType'] as const) checkString(k, i[k]);
  for (const k of ['backupTime', 'createdTime', 'expiration'] as const) checkTime(k, i[k]);
  for (const k of ['backupStatus', 'kilobytes', 'numberOfFiles', 'jobId'] as const) checkInt(k, i[k]);
  const backupTime = Math.floor(i.backupTime / 1000) * 1000;
  return Object.freeze({ ...i, backupTime, scheduleType: restScheduleType(i.scheduleType), extra: Object.freeze({ ...i.extra }) });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The in-memory model behind the mock NetBackup primary. Single-threaded and synchronous: every method applies its
 * change and emits its event before returning.
 */
export class World extends EventEmitter<WorldEvents> {
  readonly #clock: Clock;
  readonly #jobs = new Map<number, Job>();
  readonly #images = new Map<string, Image>();
  /** Keyed by lower-case serverName: host names are case-insensitive. */
  readonly #vmServers = new Map<string, VmServer>();
  #lastJobId = 0;

  constructor(options: WorldOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
  }

  /** A job id never used before in this world (reserved: the next call returns a larger one). */
  nextJobId(): number {
    return ++this.#lastJobId;
  }

  /**
   * Create a job. `jobId` defaults to {@link nextJobId}; other fields default to a queued immediate STANDARD FULL
   * backup started now. Throws `NBWSS_ERR_MOCK_EXISTS` if the id is taken.
   */
  addJob(input: JobInput): Job {
    if (input.jobId !== undefined && this.#jobs.has(input.jobId)) {
      throw new WorldError('NBWSS_ERR_MOCK_EXISTS', `job ${input.jobId} already exists`);
    }
    const now = this.#clock.now();
    const job = freezeJob({
      jobId: input.jobId ?? this.nextJobId(),
      parentJobId: 0,
      jobType: 'BACKUP',
      jobSubType: 'IMMEDIATE',
      policyType: 'STANDARD',
      policyName: '',
      scheduleType: 'FULL',
      scheduleName: '',
      clientName: 'localhost',
      status: 0,
      state: 'QUEUED',
      percentComplete: 0,
      kilobytesTransferred: 0,
      numberOfFiles: 0,
      try: 1,
      startTime: now,
      endTime: undefined,
      lastUpdateTime: now,
      extra: {},
      ...definedOnly(input),
    });
    this.#jobs.set(job.jobId, job);
    this.#lastJobId = Math.max(this.#lastJobId, job.jobId);
    this.emit('job', { op: 'create', job, previous: undefined });
    return job;
  }

  /** Change a job: the patch is merged, `lastUpdateTime` becomes now unless given. Unknown id: `NBWSS_ERR_MOCK_NOT_FOUND`. */
  updateJob(jobId: number, patch: JobPatch): Job {
    const previous = this.#jobs.get(jobId);
    if (!previous) throw new WorldError('NBWSS_ERR_MOCK_NOT_FOUND', `job ${jobId} not found`);
    const merged: { -readonly [K in keyof Job]: Job[K] } = { ...previous, lastUpdateTime: this.#clock.now(), ...definedOnly(patch), jobId };
    // An explicit `endTime: undefined` (a job going back to ACTIVE for another try) clears it; definedOnly() drops it.
    if ('endTime' in patch && patch.endTime === undefined) merged.endTime = undefined;
    const job = freezeJob(merged);
    this.#jobs.set(jobId, job);
    this.emit('job', { op: 'update', job, previous });
    return job;
  }

  /** Create the job if `input.jobId` is unknown, else update it with `input`. */
  upsertJob(input: JobInput & { jobId: number }): Job {
    const { jobId, ...patch } = input;
    return this.#jobs.has(jobId) ? this.updateJob(jobId, patch) : this.addJob(input);
  }

  /** One job, or undefined. */
  getJob(jobId: number): Job | undefined {
    return this.#jobs.get(jobId);
  }

  /** Every job, in creation order. */
  listJobs(): Job[] {
    return [...this.#jobs.values()];
  }

  /**
   * Add an image to the catalog. Defaults: `backupTime` now, `backupId` from client and backup time, `createdTime`
   * now, `expiration` two weeks after the backup. Throws `NBWSS_ERR_MOCK_EXISTS` if the backupId is taken.
   */
  addImage(input: ImageInput): Image {
    const now = this.#clock.now();
    const backupTime = input.backupTime ?? now;
    const image = freezeImage({
      backupId: backupIdFor(input.clientName, backupTime),
      clientType: input.policyType ?? 'STANDARD',
      policyName: '',
      policyType: 'STANDARD',
      scheduleName: '',
      scheduleType: 'FULL',
      createdTime: now,
      expiration: backupTime + 14 * DAY_MS,
      backupStatus: 0,
      kilobytes: 0,
      numberOfFiles: 0,
      jobId: 0,
      extra: {},
      ...definedOnly(input),
      clientName: input.clientName,
      backupTime,
    });
    if (this.#images.has(image.backupId)) throw new WorldError('NBWSS_ERR_MOCK_EXISTS', `image ${image.backupId} already exists`);
    this.#images.set(image.backupId, image);
    this.emit('image', { op: 'create', image, previous: undefined });
    return image;
  }

  /** Change an image (merge). Unknown backupId: `NBWSS_ERR_MOCK_NOT_FOUND`. */
  updateImage(backupId: string, patch: ImagePatch): Image {
    const previous = this.#images.get(backupId);
    if (!previous) throw new WorldError('NBWSS_ERR_MOCK_NOT_FOUND', `image ${backupId} not found`);
    const image = freezeImage({ ...previous, ...definedOnly(patch), backupId });
    this.#images.set(backupId, image);
    this.emit('image', { op: 'update', image, previous });
    return image;
  }

  /** Remove an image from the catalog (expiry) and return it. Unknown backupId: `NBWSS_ERR_MOCK_NOT_FOUND`. */
  deleteImage(backupId: string): Image {
    const image = this.#images.get(backupId);
    if (!image) throw new WorldError('NBWSS_ERR_MOCK_NOT_FOUND', `image ${backupId} not found`);
    this.#images.delete(backupId);
    this.emit('image', { op: 'delete', image, previous: image });
    return image;
  }

  /** One image, or undefined. */
  getImage(backupId: string): Image | undefined {
    return this.#images.get(backupId);
  }

  /** Every image, in creation order. */
  listImages(): Image[] {
    return [...this.#images.values()];
  }

  /** Add a vmserver (`port` defaults to 0, `userId`/`password` to ""). Existing name (any case): `NBWSS_ERR_MOCK_EXISTS`. */
  addVmServer(input: Partial<VmServer> & { serverName: string; vmType: string }): VmServer {
    checkString('serverName', input.serverName, true);
    checkString('vmType', input.vmType, true);
    const vm: VmServer = Object.freeze({ userId: '', password: '', port: 0, ...definedOnly(input), serverName: input.serverName, vmType: input.vmType });
    checkString('userId', vm.userId);
    checkString('password', vm.password);
    checkInt('port', vm.port);
    const key = vm.serverName.toLowerCase();
    if (this.#vmServers.has(key)) throw new WorldError('NBWSS_ERR_MOCK_EXISTS', `vmserver ${vm.serverName} already exists`);
    this.#vmServers.set(key, vm);
    this.emit('vmServer', { op: 'create', vmServer: vm });
    return vm;
  }

  /** One vmserver by name (any case), or undefined. */
  getVmServer(serverName: string): VmServer | undefined {
    return this.#vmServers.get(serverName.toLowerCase());
  }

  /** Every vmserver, sorted by name. */
  listVmServers(): VmServer[] {
    return [...this.#vmServers.values()].sort((a, b) => a.serverName.localeCompare(b.serverName));
  }

  /** Remove a vmserver and return it. Unknown: `NBWSS_ERR_MOCK_NOT_FOUND`. */
  deleteVmServer(serverName: string): VmServer {
    const key = serverName.toLowerCase();
    const vm = this.#vmServers.get(key);
    if (!vm) throw new WorldError('NBWSS_ERR_MOCK_NOT_FOUND', `vmserver ${serverName} not found`);
    this.#vmServers.delete(key);
    this.emit('vmServer', { op: 'delete', vmServer: vm });
    return vm;
  }
}
