import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { groupWarning, type DeliveryStatus, type StatusSettings } from './status.js';

/** A group's backlog warning started (`over`) or ended. */
export interface BacklogWarningEvent {
  groupId: string;
  over: boolean;
  backlog: number;
  /** `notification.backlogWarning` at the time. */
  threshold: number;
  holdsPruningBack: boolean;
  /** The sentence `nbwss status` prints for the group (empty when the warning ended). */
  message: string;
}

/** Options of {@link BacklogWatch}. */
export interface BacklogWatchOptions {
  /** The delivery state (cheap: O(groups), no row counted). */
  status: () => DeliveryStatus;
  /** `notification.backlogWarning` and `notification.retention` in force. */
  settings: () => StatusSettings;
  /** Called when a group's warning starts or ends. */
  onChange: (event: BacklogWarningEvent) => void;
  clock: Clock;
  logger: Logger;
  /** How often the backlogs are looked at, ms (default 10 s). */
  intervalMs?: number;
  /** While a warning lasts, it is logged again this often, with the figures of the moment, ms (default 1 h). */
  repeatMs?: number;
}

interface Warned {
  since: number;
  loggedAt: number;
}

/**
 * Makes a backlog nobody drains visible (issue 10 B9): every `intervalMs` it reads the delivery state and, per group,
 * logs a warning when the group's backlog passes `notification.backlogWarning` or its oldest unacknowledged
 * notification outlives `notification.retention` (it then holds back pruning for every group), once, then again every
 * `repeatMs` while it lasts, and an info line when it is over. Each start and end is also reported to `onChange`
 * (the admin event stream and the console).
 */
export class BacklogWatch {
  readonly #o: BacklogWatchOptions;
  readonly #warned = new Map<string, Warned>();
  #timer: TimerHandle | undefined;

  constructor(options: BacklogWatchOptions) {
    this.#o = options;
  }

  /** Look now, then every interval. */
  start(): void {
    if (this.#timer) return;
    this.check();
    this.#timer = this.#o.clock.setInterval(() => this.check(), this.#o.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#o.clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The groups whose warning is on, by group id. */
  get warnedGroups(): string[] {
    return [...this.#warned.keys()].sort();
  }

  /** Look once (the timer calls this; tests may too). Never throws: a failed read is logged and tried next time. */
  check(): void {
    let status: DeliveryStatus;
    try {
      status = this.#o.status();
    } catch (err) {
      this.#o.logger.warn({ err }, 'cannot read the notification backlogs; trying again at the next check');
      return;
    }
    const now = this.#o.clock.now();
    const settings = this.#o.settings();
    const threshold = settings.backlogWarning;
    const seen = new Set<string>();
    for (const g of status.groups) {
      if (!g.backlogWarning && !g.holdsPruningBack) continue;
      seen.add(g.groupId);
      const message = groupWarning(g, settings)!;
      const fields = { groupId: g.groupId, backlog: g.backlog, threshold, oldestPendingAgeMs: g.oldestPendingAgeMs, holdsPruningBack: g.holdsPruningBack };
      const warned = this.#warned.get(g.groupId);
      if (!warned) {
        this.#warned.set(g.groupId, { since: now, loggedAt: now });
        this.#o.logger.warn(fields, message);
        this.#o.onChange({ groupId: g.groupId, over: true, backlog: g.backlog, threshold, holdsPruningBack: g.holdsPruningBack, message });
      } else if (now - warned.loggedAt >= (this.#o.repeatMs ?? 3_600_000)) {
        warned.loggedAt = now;
        this.#o.logger.warn({ ...fields, warningSinceMs: now - warned.since }, `still: ${message}`);
      }
    }
    for (const [groupId, warned] of this.#warned) {
      if (seen.has(groupId)) continue;
      this.#warned.delete(groupId);
      const g = status.groups.find((x) => x.groupId === groupId);
      this.#o.logger.info({ groupId, backlog: g?.backlog ?? 0, warningLastedMs: now - warned.since }, `server group ${groupId}: backlog back under the warning threshold`);
      this.#o.onChange({ groupId, over: false, backlog: g?.backlog ?? 0, threshold, holdsPruningBack: false, message: '' });
    }
  }
}
