import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { World } from '../netbackup-mock/world.js';
import { Simulator, type NotificationSink } from './simulator.js';

/** What {@link SimulatorService} takes from the daemon's context. */
export interface SimulatorServiceContext {
  readonly config: Readonly<Pick<Config, 'simulator' | 'netbackup'>>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The services the simulator works through (given by the composition root, src/daemon.ts). */
export interface SimulatorServiceDeps {
  /** The `netbackup-mock` service: its world is the one the simulator changes. */
  netbackup: { readonly world: World | undefined } | undefined;
  /** The `notifications` service: its source raises into the outbox. */
  notifications: { readonly source: NotificationSink } | undefined;
}

/**
 * `simulator.enabled=true`: the event simulator as a daemon service (`name` 'simulator'; a no-op when the key is
 * false). It needs `netbackup.mock=true`, so the jobs and images it notifies are the ones the REST API (reached
 * through COMMANDs) returns; without it the daemon refuses to start, naming both keys.
 */
export class SimulatorService {
  readonly name = 'simulator';
  readonly #ctx: SimulatorServiceContext;
  readonly #deps: SimulatorServiceDeps;
  #simulator: Simulator | undefined;

  constructor(ctx: SimulatorServiceContext, deps: SimulatorServiceDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
  }

  /** The running simulator (undefined when `simulator.enabled` is false): events `raised`, `scenarioStarted`… */
  get simulator(): Simulator | undefined {
    return this.#simulator;
  }

  /** Start the simulator when `simulator.enabled`; throws `ConfigError` when `netbackup.mock` is off. */
  start(): void {
    const ctx = this.#ctx;
    if (!ctx.config.simulator.enabled) return;
    const world = this.#deps.netbackup?.world;
    if (!ctx.config.netbackup.mock || !world) {
      throw new ConfigError(
        'simulator.enabled=true needs netbackup.mock=true: the simulator writes the jobs and images it notifies into the in-process mock NetBackup, ' +
          'so that COMMANDs see the same ones (set netbackup.mock=true, or simulator.enabled=false and use `nbwss simulate` for load)',
      );
    }
    if (!this.#deps.notifications) throw new ConfigError('simulator.enabled=true needs the notifications service');
    this.#simulator = new Simulator({ world, sink: this.#deps.notifications.source, config: () => ctx.config.simulator, clock: ctx.clock, logger: ctx.logger });
    this.#simulator.start();
  }

  /** Stop starting scenarios and raise what the world already changed (before the notification source closes). */
  async stop(): Promise<void> {
    await this.#simulator?.stop();
  }
}
