/**
 * What a scenario may do to the world: start and change jobs, write, update and expire catalog images, and record
 * the IMAGE notifications that go with each catalog write. Job notifications need no recording: the change log
 * sees every job change, as NetBackup's poll of its job database does.
 */
import type { Clock } from '../clock.js';
import type { ImageOperation } from '../netbackup-mock/views.js';
import type { Image, ImageInput, ImagePatch, Job, JobInput, JobPatch, World } from '../netbackup-mock/world.js';
import type { ChangeLog } from './change-log.js';
import type { Random } from './random.js';

const DAY_MS = 86_400_000;

/** Clients of images written "before the simulator started" (see {@link ScenarioKit.historicImage}). */
const HISTORIC_CLIENTS = ['localhost', 'fileserver1.example.com', 'DummyTestVM', 'db-vm-02'];

/** The tools a scenario works with. */
export interface ScenarioKit {
  /** The simulator's seeded randomness. */
  readonly rng: Random;
  /** `simulator.primaryName`: the client of VMware parent jobs. */
  readonly primaryName: string;
  /** The clock's time (epoch ms) in whole seconds, as NetBackup keeps job and image times. */
  now(): number;
  /** `count` job ids never used before, consecutive (the guide's 144, 145, 146). */
  reserveJobIds(count: number): number[];
  /** Create a job, started now unless `startTime` is given (its notification goes out at the next poll). */
  startJob(input: JobInput & { jobId: number }): Job;
  /** Change a job (a state change goes out at the next poll). */
  setJob(jobId: number, patch: JobPatch): Job;
  /** A job as it is now (throws when unknown: a scenario only reads its own jobs). */
  job(jobId: number): Job;
  /**
   * Write an image to the catalog with a `backupId` not taken yet (the backup time moves on by a second until it
   * is free); `operationId` is the IMAGE notification recorded with it, or null for none.
   */
  writeImage(input: ImageInput, operationId: 'CREATE' | 'UPDATE' | null): Image;
  /** Change an image and record `operations` (default `UPDATE`) for it, in order. */
  updateImage(backupId: string, patch: ImagePatch, operations?: readonly ImageOperation[]): Image;
  /** Expire an image: remove it from the catalog and record `DELETE`. */
  deleteImage(backupId: string): Image;
  /** The oldest image no running scenario holds that satisfies `accept`, if any. */
  findImage(accept?: (image: Image) => boolean): Image | undefined;
  /**
   * An expired image from before the simulator started, written without a notification (it stands for the catalog
   * NetBackup had already): what `expire` and `air` work on when the simulator has not written any image yet.
   */
  historicImage(): Image;
  /** Keep other scenarios off this image until {@link release}. */
  hold(backupId: string): void;
  release(backupId: string): void;
}

/** Options of {@link WorldKit}. */
export interface WorldKitOptions {
  world: World;
  log: ChangeLog;
  rng: Random;
  clock: Clock;
  primaryName: () => string;
  /** The smallest job id to hand out (burst mode keeps its jobs apart from a daemon's). Default 1. */
  firstJobId?: number;
}

/** {@link ScenarioKit} over a {@link World} and a {@link ChangeLog}. */
export class WorldKit implements ScenarioKit {
  readonly rng: Random;
  readonly #world: World;
  readonly #log: ChangeLog;
  readonly #clock: Clock;
  readonly #primaryName: () => string;
  readonly #held = new Set<string>();
  #nextJobId: number;

  constructor(options: WorldKitOptions) {
    this.#world = options.world;
    this.#log = options.log;
    this.rng = options.rng;
    this.#clock = options.clock;
    this.#primaryName = options.primaryName;
    this.#nextJobId = options.firstJobId ?? 1;
  }

  get primaryName(): string {
    return this.#primaryName();
  }

  now(): number {
    return Math.floor(this.#clock.now() / 1000) * 1000;
  }

  reserveJobIds(count: number): number[] {
    // world.nextJobId() keeps the world's own counter past ours; addJob with a larger id moves it further.
    const first = Math.max(this.#nextJobId, this.#world.nextJobId());
    this.#nextJobId = first + count;
    return Array.from({ length: count }, (_, i) => first + i);
  }

  startJob(input: JobInput & { jobId: number }): Job {
    return this.#world.addJob({ startTime: this.now(), ...input });
  }

  setJob(jobId: number, patch: JobPatch): Job {
    return this.#world.updateJob(jobId, patch);
  }

  job(jobId: number): Job {
    const job = this.#world.getJob(jobId);
    if (!job) throw new Error(`simulator: job ${jobId} is not in the world`);
    return job;
  }

  writeImage(input: ImageInput, operationId: 'CREATE' | 'UPDATE' | null): Image {
    let backupTime = Math.floor((input.backupTime ?? this.now()) / 1000) * 1000;
    while (this.#world.getImage(`${input.clientName}_${backupTime / 1000}`)) backupTime += 1000;
    const image = this.#world.addImage({ createdTime: this.now(), ...input, backupTime });
    if (operationId) this.#log.image(image, operationId);
    return image;
  }

  updateImage(backupId: string, patch: ImagePatch, operations: readonly ImageOperation[] = ['UPDATE']): Image {
    const image = this.#world.updateImage(backupId, patch);
    for (const op of operations) this.#log.image(image, op);
    return image;
  }

  deleteImage(backupId: string): Image {
    const image = this.#world.deleteImage(backupId);
    this.#held.delete(backupId);
    this.#log.image(image, 'DELETE');
    return image;
  }

  findImage(accept: (image: Image) => boolean = () => true): Image | undefined {
    let best: Image | undefined;
    for (const image of this.#world.listImages()) {
      if (this.#held.has(image.backupId) || !accept(image)) continue;
      if (!best || image.backupTime < best.backupTime) best = image;
    }
    return best;
  }

  historicImage(): Image {
    const now = this.now();
    const backupTime = now - this.rng.int(15, 60) * DAY_MS - this.rng.int(0, 86_399) * 1000;
    const clientName = this.rng.pick(HISTORIC_CLIENTS);
    const vmware = clientName.includes('VM') || clientName.includes('vm');
    return this.writeImage(
      {
        clientName,
        clientType: vmware ? 'VMWARE' : 'STANDARD',
        policyType: vmware ? 'VMWARE' : 'STANDARD',
        policyName: vmware ? 'vmware2' : 'std-files',
        scheduleName: 'full',
        scheduleType: 'FULL',
        backupTime,
        createdTime: backupTime + this.rng.int(60, 3600) * 1000,
        expiration: now,
        kilobytes: this.rng.int(1024, 4 * 1024 * 1024),
        numberOfFiles: this.rng.int(1, 50_000),
      },
      null,
    );
  }

  hold(backupId: string): void {
    this.#held.add(backupId);
  }

  release(backupId: string): void {
    this.#held.delete(backupId);
  }
}
