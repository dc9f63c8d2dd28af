import type { Command } from 'commander';
import type { RealizationView } from '../admin/realization.js';
import type { Config } from '../config/index.js';
import { NoDaemonError, UsageError } from '../errors.js';
import { adminRequest, adminTarget, answerMessage, type AdminAnswer, type AdminTarget } from './admin-client.js';
import { numberFlag } from './flags.js';

/**
 * `--wait [--timeout S]` of `nbwss endpoints add|update|activate|deactivate|delete` (issue 12 item 5). The command
 * writes the database as always; the running daemon applies the change at the next run of its connection task.
 * With `--wait`, the command first makes sure that daemon answers on its admin API (else it fails before changing
 * anything), then asks it to follow the change (`POST /api/realization`) and waits for its realization state
 * (`GET /api/realization?wait=`): long polls, no sleeping. Without `--wait`, it says when the change takes effect.
 */

/** Exit code when `--timeout` ran out: the change is stored, the daemon has not applied it yet (it keeps trying). */
export const EXIT_NOT_APPLIED = 3;

/** The flags this module reads. */
export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

/** The change the daemon is asked to follow. */
export interface EndpointChange {
  kind: 'add' | 'activate' | 'update' | 'deactivate' | 'delete';
  hostName: string;
  groupId: string;
  /** An update of the url or the certificate (applied once the endpoint or its group is connected again). */
  redial?: boolean;
}

/** What a command printed without waiting: its JSON object and its text. */
export interface ChangeOutput {
  json: Record<string, unknown>;
  text: string;
  /** False when `text` already says when the change applies (update). */
  sayWhen?: boolean;
}

/** The applied state in `--json` output. */
export interface AppliedState {
  requestId: string;
  state: RealizationView['state'];
  inSyncAt: string | null;
  groupId: string;
  /** The endpoint serving the group once applied (null: none connected). */
  servedBy: string | null;
  failureMessage: string | null;
}

/** A `--wait` made ready: the daemon answered. */
export interface Waiter {
  target: AdminTarget;
  timeoutMs: number;
}

/** The longest single wait the admin API accepts (`MAX_REALIZATION_WAIT_S`), s. */
const LONGEST_POLL_S = 60;

/** Add `--wait` and `--timeout` to an endpoints sub-command. */
export function withWaitOptions(cmd: Command): Command {
  return cmd
    .option('--wait', "wait until the running daemon has applied the change (through its admin API; exit 3 when --timeout runs out)")
    .option('--timeout <seconds>', 'with --wait: give up after this long (default: two runs of the connection task plus connectionInfo.handshakeTimeout)');
}

/** When a change is applied, in words (`connectionInfo.period` in force). */
export function appliesWhen(config: Readonly<Config>): string {
  return `at the next run of the daemon's connection task, within ${config.connectionInfo.period} s (connectionInfo.period)`;
}

/** The default `--timeout`: two runs of the connection task and one handshake, ms. */
function defaultTimeoutMs(config: Readonly<Config>): number {
  return 2 * config.connectionInfo.period * 1000 + config.connectionInfo.handshakeTimeout;
}

async function call(target: AdminTarget, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, what: string): Promise<AdminAnswer> {
  try {
    return await adminRequest(target, { method, path, body, timeoutMs });
  } catch (err) {
    throw new NoDaemonError(`no nbwss daemon answers at ${target.base} (admin.listen) ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Check the flags and, with `--wait`, that the daemon answers (with the credentials of `admin.token`): called
 * before the change, so a missing daemon stops the command with nothing changed.
 */
export async function prepareWait(config: Readonly<Config>, flags: WaitFlags): Promise<Waiter | undefined> {
  if (!flags.wait) {
    if (flags.timeout !== undefined) throw new UsageError('--timeout applies only with --wait');
    return undefined;
  }
  const timeoutMs = flags.timeout === undefined ? defaultTimeoutMs(config) : numberFlag('--timeout', 'positiveNumber', flags.timeout)! * 1000;
  const target = adminTarget(config);
  const nothing = 'nothing was changed; start the daemon (nbwss run) or leave out --wait';
  if (!target) throw new NoDaemonError(`--wait follows the change through the daemon's admin API, and admin.listen is empty: ${nothing}`);
  const probe = await call(target, 'GET', '/api/realization?requestId=-', undefined, 5000, `(--wait needs the running daemon; ${nothing})`);
  if (probe.status !== 200) throw new NoDaemonError(`the admin API at ${target.base} refused (${probe.status}): ${answerMessage(probe)}; ${nothing}`);
  return { target, timeoutMs };
}

/** Ask the daemon to follow `change` and wait for it to be applied, or for the timeout. */
async function follow(waiter: Waiter, change: EndpointChange): Promise<{ view: RealizationView; servedBy: string | null }> {
  const { target } = waiter;
  const stored = 'the change is stored; the daemon applies it at the next run of its connection task';
  const posted = await call(target, 'POST', '/api/realization', change, 10_000, `to follow the change (${stored})`);
  if (posted.status !== 201) throw new NoDaemonError(`the daemon at ${target.base} cannot follow the change: ${answerMessage(posted)} (${stored})`);
  const { requestId } = JSON.parse(posted.body) as { requestId: string };
  const deadline = performance.now() + waiter.timeoutMs;
  let view: RealizationView;
  for (;;) {
    const waitS = Math.min(LONGEST_POLL_S, Math.max(0, (deadline - performance.now()) / 1000));
    const path = `/api/realization?requestId=${encodeURIComponent(requestId)}&wait=${waitS.toFixed(3)}`;
    const answer = await call(target, 'GET', path, undefined, waitS * 1000 + 10_000, `while waiting (${stored})`);
    if (answer.status !== 200) throw new NoDaemonError(`the daemon at ${target.base} answered ${answer.status} while waiting: ${answerMessage(answer)} (${stored})`);
    view = JSON.parse(answer.body) as RealizationView;
    if (view.state !== 'in_progress' || performance.now() >= deadline) break;
  }
  if (view.state !== 'in_sync') return { view, servedBy: null };
  const groups = await call(target, 'GET', '/api/groups', undefined, 10_000, '(the change is applied)');
  const group = groups.status === 200 ? (JSON.parse(groups.body) as { groups: { groupId: string; connectedEndpoint: string | null }[] }).groups.find((g) => g.groupId === change.groupId) : undefined;
  return { view, servedBy: group?.connectedEndpoint ?? null };
}

/**
 * Print the outcome of a change: at once without `--wait` (with when it applies), else once the daemon has applied
 * it. Returns the exit code: 0, 1 when the change was superseded, {@link EXIT_NOT_APPLIED} on timeout.
 */
export async function reportChange(config: Readonly<Config>, flags: WaitFlags, waiter: Waiter | undefined, change: EndpointChange, output: ChangeOutput): Promise<number> {
  const when = appliesWhen(config);
  if (!waiter) {
    if (flags.json) write(JSON.stringify({ appliesWhen: when, ...output.json }, null, 2));
    else write(output.text + (output.sayWhen === false ? '' : `Applied by the running daemon ${when}; --wait waits for it.\n`));
    return 0;
  }
  const { view, servedBy } = await follow(waiter, change);
  const detail = view.details[0];
  const applied: AppliedState = {
    requestId: view.requestId,
    state: view.state,
    inSyncAt: view.change?.inSyncAt ?? null,
    groupId: change.groupId,
    servedBy,
    failureMessage: detail?.failureMessage ?? null,
  };
  if (flags.json) write(JSON.stringify({ ...output.json, applied }, null, 2));
  else write(output.text);
  if (view.state === 'in_sync') {
    if (!flags.json) write(servedBy ? `Applied: ${change.groupId} now served by ${servedBy}\n` : `Applied: ${change.groupId} has no connection now (nbwss endpoints list says why)\n`);
    return 0;
  }
  if (view.state === 'unknown') {
    process.stderr.write(`nbwss: not followed to the end: ${applied.failureMessage ?? 'the daemon no longer knows the change'}\n`);
    return 1;
  }
  const why = applied.failureMessage ? `the last attempt: ${applied.failureMessage}` : 'the connection task has not completed a run since the change';
  process.stderr.write(`nbwss: not applied within ${waiter.timeoutMs / 1000} s (${why}); the change is stored and the daemon keeps applying it (exit ${EXIT_NOT_APPLIED})\n`);
  return EXIT_NOT_APPLIED;
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
