/**
 * The simulator's scenarios: each is a plan of steps on the poll grid. A step runs inside poll interval `tick`
 * (0 = the interval the scenario starts in), steps of one tick in list order; whatever a step changes is reported
 * at the poll that ends its interval. So the VMware scenario gives exactly the guide's messages (spec §5,
 * examples A–G): A, B and C one per poll, the images (D) and the backup job's DONE (E) at one poll, the snapshot
 * and parent jobs' DONE (F, G) at the next.
 */
import type { Image } from '../netbackup-mock/world.js';
import type { ScenarioKit } from './kit.js';

/** Every scenario name, in the order of `simulator.scenarios`' default. */
export const SCENARIO_NAMES = ['vmware', 'standard', 'restore', 'failed', 'expire', 'air'] as const;
/** A scenario name. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One step of a plan. */
export interface Step {
  /** Poll interval the step runs in, counted from the scenario's start (0, 1, 2…). */
  tick: number;
  run: () => void;
}

/** What a scenario does, decided when it starts. */
export interface ScenarioPlan {
  /** Job ids the scenario creates (empty for catalog-only scenarios). */
  jobIds: number[];
  steps: Step[];
}

/** A scenario: plans its steps from the kit's randomness when it starts. */
export type Scenario = (kit: ScenarioKit) => ScenarioPlan;

/** True for a known scenario name. */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** Virtual machines the VMware scenario backs up (the first is the guide's). */
export const VM_NAMES = ['DummyTestVM', 'web-vm-01', 'web-vm-02', 'db-vm-01', 'app-vm-01', 'mail-vm-01', 'erp-vm-01', 'files-vm-01'];
/** Clients of STANDARD backups (the first is the guide's). */
export const CLIENT_NAMES = ['localhost', 'fileserver1.example.com', 'dbserver1.example.com', 'appserver1.example.com', 'build1.example.com', 'hr-laptop-17.example.com'];
const VMWARE_POLICIES = ['vmware2', 'vmware-gold', 'vmware-silver'];
const STANDARD_POLICIES = ['std-files', 'std-db', 'std-home'];
/** NetBackup schedule codes (the notification adds `ST_`: `ST_FULL`, `ST_INCR`, `ST_CINC`) and their weights. */
const SCHEDULES = [['FULL', 6], ['INCR', 3], ['CINC', 1]] as const;

/** NetBackup status codes the `failed` scenario ends jobs with, and what they mean (for people reading along). */
export const FAILURE_STATUS: Readonly<Record<number, string>> = {
  13: 'file read failed',
  24: 'socket write failed',
  41: 'network connection timed out',
  58: "can't connect to client",
  84: 'media write error',
  96: 'unable to allocate new media for backup',
  156: 'snapshot error encountered',
  196: 'client backup was not attempted because backup window closed',
  2074: 'disk volume is down',
};
const FAILURE_CODES = Object.keys(FAILURE_STATUS).map(Number);

function schedule(kit: ScenarioKit): { scheduleType: string; scheduleName: string } {
  const scheduleType = kit.rng.weighted(SCHEDULES);
  return { scheduleType, scheduleName: scheduleType.toLowerCase() };
}

/** Size of a finished backup. */
function payload(kit: ScenarioKit): { kilobytesTransferred: number; numberOfFiles: number } {
  return { kilobytesTransferred: kit.rng.int(10_240, 8 * 1024 * 1024), numberOfFiles: kit.rng.int(1, 200_000) };
}

/**
 * VMware Intelligent Policy backup, the guide's worked example: parent job (client = the primary server,
 * `parentJobId` = its own id) → child snapshot job (parent = the parent job) → child backup job (parent = the
 * snapshot job) → IMAGE CREATE (the backup's image) and UPDATE (the snapshot's image, written with the snapshot
 * and first announced here, as the guide shows) → DONE in reverse order. All three jobs are `jobType` `BACKUP`,
 * as the guide's notifications show.
 */
export const vmware: Scenario = (kit) => {
  const [parent, snapshot, backup] = kit.reserveJobIds(3) as [number, number, number];
  const vm = kit.rng.pick(VM_NAMES);
  const common = { jobType: 'BACKUP', jobSubType: 'SCHEDULED', policyType: 'VMWARE', policyName: kit.rng.pick(VMWARE_POLICIES), ...schedule(kit), status: 0 } as const;
  const running = kit.rng.int(1, 3);
  const done = payload(kit);
  let snapshotImage: Image | undefined;
  const image = { clientName: vm, clientType: 'VMWARE', policyType: 'VMWARE', policyName: common.policyName, scheduleType: common.scheduleType, scheduleName: common.scheduleName };
  const steps: Step[] = [
    { tick: 0, run: () => kit.startJob({ ...common, jobId: parent, parentJobId: parent, clientName: kit.primaryName, state: 'ACTIVE' }) },
    {
      tick: 1,
      run: () => {
        const job = kit.startJob({ ...common, jobId: snapshot, parentJobId: parent, clientName: vm, state: 'ACTIVE' });
        snapshotImage = kit.writeImage({ ...image, backupTime: job.startTime, jobId: snapshot }, null);
        kit.hold(snapshotImage.backupId);
      },
    },
    { tick: 2, run: () => kit.startJob({ ...common, jobId: backup, parentJobId: snapshot, clientName: vm, state: 'ACTIVE' }) },
  ];
  for (let t = 1; t < running; t++) {
    steps.push({ tick: 2 + t, run: () => kit.setJob(backup, { percentComplete: Math.round((100 * t) / running), kilobytesTransferred: Math.round((done.kilobytesTransferred * t) / running) }) });
  }
  const end = 2 + running;
  steps.push(
    {
      tick: end,
      run: () => {
        const job = kit.job(backup);
        kit.writeImage({ ...image, backupTime: job.startTime, jobId: backup, kilobytes: done.kilobytesTransferred, numberOfFiles: done.numberOfFiles }, 'CREATE');
        if (snapshotImage) {
          kit.updateImage(snapshotImage.backupId, { kilobytes: done.kilobytesTransferred, numberOfFiles: done.numberOfFiles });
          kit.release(snapshotImage.backupId);
        }
      },
    },
    { tick: end, run: () => kit.setJob(backup, { state: 'DONE', status: 0, percentComplete: 100, ...done, endTime: kit.now() }) },
    { tick: end + 1, run: () => kit.setJob(snapshot, { state: 'DONE', status: 0, percentComplete: 100, endTime: kit.now() }) },
    { tick: end + 1, run: () => kit.setJob(parent, { state: 'DONE', status: 0, percentComplete: 100, endTime: kit.now() }) },
  );
  return { jobIds: [parent, snapshot, backup], steps };
};

/** A STANDARD client backup (or a failed one): QUEUED → ACTIVE → (image CREATE) → DONE. */
function clientBackup(kit: ScenarioKit, failed: boolean) {
  const [jobId] = kit.reserveJobIds(1) as [number];
  const clientName = kit.rng.pick(CLIENT_NAMES);
  const policyName = kit.rng.pick(STANDARD_POLICIES);
  const sched = schedule(kit);
  const running = kit.rng.int(1, 3);
  const done = payload(kit);
  const status = failed ? kit.rng.pick(FAILURE_CODES) : 0;
  const steps: Step[] = [
    { tick: 0, run: () => kit.startJob({ jobId, parentJobId: jobId, jobType: 'BACKUP', jobSubType: 'SCHEDULED', policyType: 'STANDARD', policyName, ...sched, clientName, state: 'QUEUED' }) },
    { tick: 1, run: () => kit.setJob(jobId, { state: 'ACTIVE' }) },
  ];
  const end = 1 + running;
  if (!failed) {
    steps.push({
      tick: end,
      run: () => {
        const job = kit.job(jobId);
        kit.writeImage({ clientName, clientType: 'STANDARD', policyType: 'STANDARD', policyName, ...sched, backupTime: job.startTime, jobId, kilobytes: done.kilobytesTransferred, numberOfFiles: done.numberOfFiles }, 'CREATE');
      },
    });
  }
  const result = failed ? { kilobytesTransferred: Math.floor(done.kilobytesTransferred / 3), numberOfFiles: Math.floor(done.numberOfFiles / 3) } : { ...done, percentComplete: 100 };
  steps.push({ tick: end, run: () => kit.setJob(jobId, { state: 'DONE', status, ...result, endTime: kit.now() }) });
  return { jobIds: [jobId], steps };
}

/** A STANDARD client backup that succeeds: QUEUED → ACTIVE → image CREATE → DONE status 0. */
export const standard: Scenario = (kit) => clientBackup(kit, false);

/** A STANDARD client backup that fails: QUEUED → ACTIVE → DONE with a non-zero NetBackup status, no image. */
export const failed: Scenario = (kit) => clientBackup(kit, true);

/**
 * A restore, as the guide's example: `jobType` `RESTORE`, `policyName` `""`, `policyType` `STANDARD`,
 * `parentJobId` = its own id; ACTIVE → DONE. The client is the one whose image is restored.
 */
export const restore: Scenario = (kit) => {
  const [jobId] = kit.reserveJobIds(1) as [number];
  const running = kit.rng.int(1, 2);
  let image: Image | undefined;
  return {
    jobIds: [jobId],
    steps: [
      {
        tick: 0,
        run: () => {
          image = kit.findImage() ?? kit.historicImage();
          kit.hold(image.backupId);
          kit.startJob({ jobId, parentJobId: jobId, jobType: 'RESTORE', jobSubType: 'IMMEDIATE', policyType: 'STANDARD', policyName: '', scheduleType: 'FULL', scheduleName: '', clientName: image.clientName, state: 'ACTIVE', extra: { restoreBackupIDs: image.backupId } });
        },
      },
      {
        tick: running,
        run: () => {
          kit.setJob(jobId, { state: 'DONE', status: 0, percentComplete: 100, kilobytesTransferred: image?.kilobytes ?? 0, numberOfFiles: image?.numberOfFiles ?? 0, endTime: kit.now() });
          if (image) kit.release(image.backupId);
        },
      },
    ],
  };
};

/**
 * Image expiry: the oldest image past its expiration that no scenario is using leaves the catalog (IMAGE DELETE).
 * Images the simulator writes keep for two weeks, so it is usually one of the catalog's older images.
 */
export const expire: Scenario = (kit) => ({
  jobIds: [],
  steps: [{ tick: 0, run: () => kit.deleteImage((kit.findImage((i) => i.expiration <= kit.now()) ?? kit.historicImage()).backupId) }],
});

/**
 * AIR replica expiry: the local copy of an image expires and only a non-restorable replica remains — IMAGE UPDATE
 * and NO_LOCAL_COPY_AVAILABLE in one batch (the guide's AIR example). The image stays in the catalog, marked
 * `localCopyAvailable: false` in its REST attributes.
 */
export const air: Scenario = (kit) => ({
  jobIds: [],
  steps: [
    {
      tick: 0,
      run: () => {
        const image = kit.findImage((i) => i.extra.localCopyAvailable !== false) ?? kit.historicImage();
        kit.updateImage(image.backupId, { extra: { ...image.extra, copies: 1, localCopyAvailable: false } }, ['UPDATE', 'NO_LOCAL_COPY_AVAILABLE']);
      },
    },
  ],
});

/** The scenarios by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = { vmware, standard, restore, failed, expire, air };
