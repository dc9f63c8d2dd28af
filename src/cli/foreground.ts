/**
 * The lifecycle of `nbwss run` around its signals (issue 10 D16). The handlers for SIGTERM, SIGINT and SIGHUP are
 * installed before any start-up work, so a signal is never met by Node's default action (which ends the process,
 * and systemd counts a SIGHUP death as a clean exit):
 *
 * - SIGTERM or SIGINT during start-up aborts the start; what was already started is undone; exit 0.
 * - SIGTERM or SIGINT once running: a graceful stop (sockets closed with 1001, store flushed), exit 0. A second
 *   one, or a stop that overruns {@link ForegroundOptions.deadlineMs}, exits 1 at once.
 * - SIGHUP during start-up is remembered and applied once the start completes (one reload, however many came);
 *   SIGHUP once running reloads at once. A reload that fails keeps the configuration in force.
 */
import { EventEmitter } from 'node:events';

/** The signals {@link runForeground} handles. */
export const FOREGROUND_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** One of {@link FOREGROUND_SIGNALS}. */
export type ForegroundSignal = (typeof FOREGROUND_SIGNALS)[number];

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: ForegroundSignal, listener: () => void): unknown;
  off(signal: ForegroundSignal, listener: () => void): unknown;
}

/** What the lifecycle says, for the log (the logger may not exist yet when a signal arrives). */
export interface ForegroundLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A started thing that can be stopped and reloaded. */
export interface Running {
  stop(): Promise<void>;
}

/** Options of {@link runForeground}. */
export interface ForegroundOptions<R extends Running> {
  /** Start; abort `signal` aborts the start (the start undoes its own work and rejects). */
  start(signal: AbortSignal): Promise<R>;
  /** Re-read the configuration and put it in force (SIGHUP); throwing keeps the running configuration. */
  reload(running: R): void;
  /** Called right after a successful start, before any pending reload. */
  started?(running: R): void;
  log(): ForegroundLog;
  /** Default `process`. */
  signals?: SignalSource;
  /** A graceful stop that takes longer exits 1 at once (default 5000 ms). */
  deadlineMs?: number;
  /** How the process ends at once (second signal, deadline). Default `process.exit`. */
  exit?(code: number): void;
}

/** How long a graceful stop may take before the process exits anyway (issue 3: within 5 s). */
export const STOP_DEADLINE_MS = 5000;

/**
 * Install the signal handlers now, then start, run until SIGTERM/SIGINT, stop. Resolves with the exit code: 0
 * after a stop asked by a signal (during start-up too). Rejects when the start fails on its own.
 */
export function runForeground<R extends Running>(options: ForegroundOptions<R>): Promise<number> {
  const signals = options.signals ?? (process as unknown as SignalSource);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? STOP_DEADLINE_MS;
  const abort = new AbortController();
  const stopAsked = new EventEmitter<{ stop: [ForegroundSignal] }>();
  let stopSignal: ForegroundSignal | undefined;
  let running: R | undefined;
  let reloadPending = false;

  const reload = (r: R) => {
    try {
      options.reload(r);
    } catch (err) {
      options.log().error('configuration reload failed: the previous configuration stays in force', { err: (err as Error).message });
    }
  };
  const onStop = (signal: ForegroundSignal) => () => {
    if (stopSignal !== undefined) {
      options.log().error('stopping did not finish: exiting now', { why: `second ${signal}` });
      exit(1);
      return;
    }
    stopSignal = signal;
    if (!running) abort.abort(new Error(`${signal} received during start-up`));
    stopAsked.emit('stop', signal);
  };
  const onHup = () => {
    if (stopSignal !== undefined) return;
    if (running) reload(running);
    else {
      reloadPending = true;
      options.log().info('SIGHUP during start-up: the configuration is read again once the start completes');
    }
  };
  const handlers: [ForegroundSignal, () => void][] = [
    ['SIGTERM', onStop('SIGTERM')],
    ['SIGINT', onStop('SIGINT')],
    ['SIGHUP', onHup],
  ];
  for (const [s, h] of handlers) signals.on(s, h);
  const uninstall = () => {
    for (const [s, h] of handlers) signals.off(s, h);
  };

  const stopped = new Promise<ForegroundSignal>((resolve) => {
    if (stopSignal !== undefined) resolve(stopSignal);
    else stopAsked.once('stop', resolve);
  });

  const lifecycle = async (): Promise<number> => {
    let r: R;
    try {
      r = await options.start(abort.signal);
    } catch (err) {
      if (stopSignal !== undefined) {
        options.log().info('signal received during start-up: start abandoned, everything started was undone', { signal: stopSignal });
        return 0;
      }
      throw err;
    }
    running = r;
    options.started?.(r);
    if (stopSignal === undefined && reloadPending) reload(r);
    const signal = await stopped;
    options.log().info('signal received: stopping', { signal });
    const watchdog = setTimeout(() => {
      options.log().error('stopping did not finish: exiting now', { why: `graceful stop took more than ${deadlineMs} ms` });
      exit(1);
    }, deadlineMs);
    watchdog.unref();
    try {
      await r.stop();
    } finally {
      clearTimeout(watchdog);
    }
    return 0;
  };
  return lifecycle().finally(uninstall);
}
