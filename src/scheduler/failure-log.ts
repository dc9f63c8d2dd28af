import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/** How often a failure that keeps repeating is logged again as a reminder (with its count). */
export const FAILURE_REMINDER_MS = 60 * 60 * 1000;

interface Run {
  /** What makes two failures "the same": reason and message. */
  key: string;
  msg: string;
  fields: Record<string, unknown>;
  count: number;
  since: number;
  lastLogged: number;
}

/**
 * Connection failures of each endpoint, logged once (issue 10 D18). A failure is logged (warn) when it starts: the
 * first failed attempt, or one that differs from the previous (another reason or message). The same failure again
 * — a pin mismatch every `connectionInfo.period` — is counted and logged at debug only, with a warn reminder
 * carrying the count every {@link FAILURE_REMINDER_MS}. When the endpoint connects, or fails differently, a repeated
 * failure is summarised once (info): how many attempts, since when.
 */
export class FailureLog {
  readonly #runs = new Map<string, Run>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly reminderMs = FAILURE_REMINDER_MS,
  ) {}

  /** One failed attempt at `hostName`; `fields` and `msg` make the log line, `key` says what "the same" is. */
  failed(hostName: string, key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.clock.now();
    const run = this.#runs.get(hostName);
    if (run && run.key === key) {
      run.count++;
      const repeat = { ...fields, repeated: run.count, since: new Date(run.since).toISOString() };
      if (now - run.lastLogged >= this.reminderMs) {
        run.lastLogged = now;
        this.log.warn(repeat, `${msg}: still failing (${run.count} attempts since ${repeat.since})`);
      } else {
        this.log.debug(repeat, msg);
      }
      return;
    }
    if (run) this.#summarise(run, 'it now fails differently');
    this.#runs.set(hostName, { key, msg, fields, count: 1, since: now, lastLogged: now });
    this.log.warn(fields, msg);
  }

  /** `hostName` connected: its run of failures (if any) ends, summarised when it repeated. */
  succeeded(hostName: string): void {
    const run = this.#runs.get(hostName);
    if (!run) return;
    this.#runs.delete(hostName);
    this.#summarise(run, 'connected now');
  }

  /** Forget the endpoints not in `hostNames` (deleted or deactivated): no summary. */
  retain(hostNames: ReadonlySet<string> | ReadonlyMap<string, unknown>): void {
    for (const host of this.#runs.keys()) if (!hostNames.has(host)) this.#runs.delete(host);
  }

  #summarise(run: Run, why: string): void {
    if (run.count < 2) return;
    const since = new Date(run.since).toISOString();
    this.log.info({ ...run.fields, repeated: run.count, since, durationMs: this.clock.now() - run.since }, `${run.msg}: repeated ${run.count} times since ${since}; ${why}`);
  }
}
