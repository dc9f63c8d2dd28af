/**
 * The NetBackup event simulator: starts scenarios at `simulator.jobsPerMinute`, lets them change the shared world
 * (the one the mock NetBackup REST API serves) and, every `simulator.pollInterval`, raises what changed as JOB and
 * IMAGE notifications — the way NetBackup polls job state (spec §5). Time comes from the injected clock only, so a
 * test drives whole scenarios without waiting, and the seed (`simulator.seed`) makes every run the same.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { World } from '../netbackup-mock/world.js';
import type { NotificationObject } from '../protocol/messages.js';
import { ChangeLog } from './change-log.js';
import { WorldKit } from './kit.js';
import { Random } from './random.js';
import { SCENARIOS, SCENARIO_NAMES, isScenarioName, type ScenarioName } from './scenarios.js';

/** The `simulator.*` keys (jobsPerMinute and scenarios are read at every poll, so a reload applies at once). */
export type SimulatorConfig = Config['simulator'];

/** Where notifications go: the daemon's `NotificationSource`, or one on another process's outbox. */
export interface NotificationSink {
  raise(object: NotificationObject, data: readonly Record<string, unknown>[]): Promise<unknown>;
}

/** Options of {@link Simulator}. */
export interface SimulatorOptions {
  /** The world to change (share it with the mock NetBackup). */
  world: World;
  sink: NotificationSink;
  config: () => Readonly<SimulatorConfig>;
  clock?: Clock;
  logger?: Logger;
  /** Start at most this many scenarios, then emit `idle` once all finished and were raised (burst mode). */
  maxScenarios?: number;
  /** Smallest job id to use (default 1). */
  firstJobId?: number;
}

/** A scenario that started or finished. */
export interface ScenarioEvent {
  /** 1, 2, … in start order. */
  seq: number;
  name: ScenarioName;
  jobIds: number[];
  /** Clock time, epoch ms. */
  at: number;
}

/** Notifications raised by one `raise()` call (one run of one object type at one poll). */
export interface RaisedEvent {
  poll: number;
  object: NotificationObject;
  data: readonly Record<string, unknown>[];
}

/** Typed events of {@link Simulator}. */
export interface SimulatorEvents {
  scenarioStarted: [ScenarioEvent];
  scenarioFinished: [ScenarioEvent];
  raised: [RaisedEvent];
  poll: [{ seq: number; at: number; notifications: number; started: number; running: number }];
  /** With `maxScenarios`: every scenario finished and every notification is committed. */
  idle: [];
}

/** Counters of a simulator. */
export interface SimulatorStats {
  polls: number;
  scenariosStarted: number;
  scenariosRunning: number;
  notificationsRaised: number;
  byObject: Record<NotificationObject, number>;
  byScenario: Record<ScenarioName, number>;
}

/** Where the first fractions of a poll interval may fall: steps stay clear of the poll instants. */
const STEP_WINDOW = [0.1, 0.9] as const;

/** The simulator (see the module comment). Create, `start()`, `stop()`. */
export class Simulator extends EventEmitter<SimulatorEvents> {
  readonly #o: SimulatorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #rng: Random;
  readonly #changes: ChangeLog;
  readonly #kit: WorldKit;
  readonly #pollMs: number;
  readonly #steps = new Set<TimerHandle>();
  readonly #raising = new Set<Promise<unknown>>();
  #interval: TimerHandle | undefined;
  #state: 'ready' | 'running' | 'stopped' = 'ready';
  #credit = 1;
  #warnedNames = '';
  #idleEmitted = false;
  readonly #stats: SimulatorStats = {
    polls: 0,
    scenariosStarted: 0,
    scenariosRunning: 0,
    notificationsRaised: 0,
    byObject: { JOB: 0, IMAGE: 0 },
    byScenario: { vmware: 0, standard: 0, restore: 0, failed: 0, expire: 0, air: 0 },
  };

  constructor(options: SimulatorOptions) {
    super();
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger()).child({ subsystem: 'simulator' });
    const config = options.config();
    this.#rng = new Random(config.seed);
    this.#pollMs = Math.max(1, Math.round(config.pollInterval * 1000));
    this.#changes = new ChangeLog(options.world);
    this.#kit = new WorldKit({
      world: options.world,
      log: this.#changes,
      rng: this.#rng,
      clock: this.#clock,
      primaryName: () => this.#o.config().primaryName,
      ...(options.firstJobId !== undefined ? { firstJobId: options.firstJobId } : {}),
    });
  }

  /** Counters so far. */
  get stats(): SimulatorStats {
    return structuredClone(this.#stats);
  }

  /** The poll period in ms (`simulator.pollInterval`, fixed at construction). */
  get pollMs(): number {
    return this.#pollMs;
  }

  /** Poll every `simulator.pollInterval`; the first poll starts the first scenario. Throws on unknown scenario names. */
  start(): void {
    if (this.#state !== 'ready') throw new Error(`Simulator.start() when ${this.#state}`);
    const { scenarios, seed, jobsPerMinute, primaryName } = this.#o.config();
    const unknown = scenarios.filter((s) => !isScenarioName(s));
    if (unknown.length > 0) throw new ConfigError(`simulator.scenarios: unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_NAMES.join(', ')})`);
    this.#state = 'running';
    this.#interval = this.#clock.setInterval(() => void this.pollNow(), this.#pollMs);
    this.#log.info({ seed, jobsPerMinute, scenarios, pollIntervalMs: this.#pollMs, primaryName, maxScenarios: this.#o.maxScenarios }, 'simulator started');
  }

  /**
   * Stop starting scenarios and cancel the steps not run yet; then raise what the world already changed (so the
   * world and the notifications agree) and resolve once that is committed. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    this.#clock.clearInterval(this.#interval);
    for (const t of this.#steps) this.#clock.clearTimeout(t);
    this.#steps.clear();
    this.#flush(this.#stats.polls + 1);
    this.#changes.close();
    await Promise.allSettled([...this.#raising]);
    if (wasRunning) this.#log.info({ ...this.#stats, byObject: undefined, byScenario: undefined }, 'simulator stopped');
  }

  /**
   * One poll now: raise everything changed since the last poll (one `raise()` per run of one object type, all in
   * this turn, so they commit together and in order), then start the scenarios due. Resolves once committed.
   */
  async pollNow(): Promise<void> {
    if (this.#state !== 'running') return;
    const seq = ++this.#stats.polls;
    const pending = this.#flush(seq);
    const started = this.#startDue();
    this.emit('poll', { seq, at: this.#clock.now(), notifications: pending.count, started, running: this.#stats.scenariosRunning });
    await pending.committed;
    this.#checkIdle();
  }

  /** Start one scenario now, whatever the rate (tests, drills). Returns its event. */
  startScenario(name: ScenarioName): ScenarioEvent {
    const plan = SCENARIOS[name](this.#kit);
    const event: ScenarioEvent = { seq: ++this.#stats.scenariosStarted, name, jobIds: plan.jobIds, at: this.#clock.now() };
    this.#stats.byScenario[name] += 1;
    this.#stats.scenariosRunning += 1;
    let left = plan.steps.length;
    const ticks = [...new Set(plan.steps.map((s) => s.tick))].sort((a, b) => a - b);
    for (const tick of ticks) {
      const steps = plan.steps.filter((s) => s.tick === tick);
      const fractions = this.#rng.sortedFractions(steps.length, STEP_WINDOW[0], STEP_WINDOW[1]);
      steps.forEach((step, i) => {
        const timer = this.#clock.setTimeout(() => {
          this.#steps.delete(timer);
          try {
            step.run();
          } catch (err) {
            this.#log.error({ err, scenario: name, seq: event.seq }, 'scenario step failed');
          }
          if (--left === 0) this.#finished(event);
        }, Math.round((tick + fractions[i]!) * this.#pollMs));
        this.#steps.add(timer);
      });
    }
    this.#log.debug({ scenario: name, seq: event.seq, jobIds: plan.jobIds }, 'scenario started');
    this.emit('scenarioStarted', event);
    if (left === 0) this.#finished(event);
    return event;
  }

  /** Resolves when `idle` is emitted (burst mode), at once if it was already. */
  whenIdle(): Promise<void> {
    if (this.#idleEmitted) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  #finished(event: ScenarioEvent): void {
    this.#stats.scenariosRunning -= 1;
    this.#log.debug({ scenario: event.name, seq: event.seq }, 'scenario finished');
    this.emit('scenarioFinished', { ...event, at: this.#clock.now() });
  }

  #flush(poll: number): { count: number; committed: Promise<unknown> } {
    const runs = this.#changes.drain();
    const commits: Promise<unknown>[] = [];
    let count = 0;
    for (const run of runs) {
      count += run.data.length;
      this.#stats.notificationsRaised += run.data.length;
      this.#stats.byObject[run.object] += run.data.length;
      const p = this.#o.sink.raise(run.object, run.data).catch((err: unknown) => this.#log.error({ err, object: run.object, count: run.data.length }, 'raising notifications failed'));
      this.#raising.add(p);
      void p.finally(() => this.#raising.delete(p));
      commits.push(p);
      this.emit('raised', { poll, object: run.object, data: run.data });
    }
    return { count, committed: Promise.all(commits) };
  }

  #startDue(): number {
    const config = this.#o.config();
    const names = config.scenarios.filter(isScenarioName);
    if (names.length === 0) {
      const key = config.scenarios.join(',');
      if (this.#warnedNames !== key) this.#log.warn({ scenarios: config.scenarios, known: SCENARIO_NAMES }, 'simulator.scenarios names no known scenario: none started');
      this.#warnedNames = key;
      return 0;
    }
    this.#credit += (config.jobsPerMinute * this.#pollMs) / 60_000;
    let due = Math.floor(this.#credit);
    this.#credit -= due;
    if (this.#o.maxScenarios !== undefined) due = Math.min(due, this.#o.maxScenarios - this.#stats.scenariosStarted);
    for (let i = 0; i < due; i++) this.startScenario(this.#rng.pick(names));
    return Math.max(0, due);
  }

  #checkIdle(): void {
    const max = this.#o.maxScenarios;
    if (max === undefined || this.#idleEmitted) return;
    if (this.#stats.scenariosStarted < max || this.#stats.scenariosRunning > 0 || this.#changes.size > 0 || this.#raising.size > 0) return;
    this.#idleEmitted = true;
    this.emit('idle');
  }
}
