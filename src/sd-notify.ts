import { execFile } from 'node:child_process';

/**
 * Readiness for a systemd `Type=notify` unit (docker/nbwss.service): when the service manager set `$NOTIFY_SOCKET`,
 * tell it `READY=1` once the daemon serves, so `systemctl start nbwss` returns when the database is migrated, the
 * admin API listens and the connection task runs — not merely when the process was forked.
 *
 * The notify protocol is one datagram on a unix socket, and Node has no unix datagram sockets; a native module for
 * this one message is not worth its build on every install. `systemd-notify`, part of systemd and present wherever
 * `$NOTIFY_SOCKET` is set, sends it, and (since systemd 246) waits until the manager has processed it, so the message
 * is not lost when the helper exits first. It is a child of the daemon, so the unit sets `NotifyAccess=all`.
 */

/** What to tell the service manager. */
export interface NotifyState {
  /** `READY=1`: start-up is complete. */
  ready?: boolean;
  /** `STATUS=…`: a one-line status shown by `systemctl status`. */
  status?: string;
}

/** Options of {@link notifyServiceManager} (tests replace the helper). */
export interface NotifyOptions {
  /** The environment to read `NOTIFY_SOCKET` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The helper to run (default `systemd-notify`, found on PATH). */
  command?: string;
  /** Give up after this many ms (default 5000). */
  timeoutMs?: number;
}

/**
 * Send `state` to the service manager. Resolves `skipped` when no service manager asked for it (`NOTIFY_SOCKET`
 * unset: not started by systemd, or `Type=simple`), `sent` once `systemd-notify` succeeded; rejects with the reason
 * otherwise (the caller logs it; the daemon runs on).
 */
export function notifyServiceManager(state: NotifyState, options: NotifyOptions = {}): Promise<'sent' | 'skipped'> {
  const env = options.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return Promise.resolve('skipped');
  const args = [...(state.ready ? ['--ready'] : []), ...(state.status !== undefined ? [`--status=${state.status.replace(/\n/g, ' ')}`] : [])];
  const command = options.command ?? 'systemd-notify';
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: options.timeoutMs ?? 5000, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve('sent');
      const detail = stderr.trim() || err.message;
      reject(new Error(`${command} ${args.join(' ')} failed: ${detail}`, { cause: err }));
    });
  });
}
