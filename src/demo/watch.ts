/**
 * What the demo shows, taken from the typed events of each part (never from their internals): the scheduler's
 * connections, the notification service's batches, the command proxy's COMMANDs, the simulator's raises and the
 * mock endpoints' view of the same traffic.
 */
import type { DaemonHandle } from '../daemon.js';
import { formatImage, formatJob } from '../endpoint-mock/format.js';
import type { MockEndpoint } from '../endpoint-mock/index.js';
import type { ScenarioName } from '../simulator/scenarios.js';
import type { Simulator } from '../simulator/simulator.js';
import type { Narrator, Tag } from './narrator.js';

/** What each scenario is, said the first time one starts. */
const SCENARIO_TEXT: Record<ScenarioName, string> = {
  vmware: "a VMware Intelligent Policy backup, as the guide's worked example: parent job (client = the primary server) → snapshot job → backup job → images → DONE in reverse order",
  standard: 'a client backup: QUEUED → ACTIVE → image CREATE → DONE status 0',
  restore: 'a restore: jobType RESTORE, policyName "", ACTIVE → DONE',
  failed: 'a failed backup: DONE with a non-zero NetBackup status code',
  expire: 'an image expires: IMAGE DELETE',
  air: 'an AIR replica: the local copy expires, IMAGE UPDATE + NO_LOCAL_COPY_AVAILABLE in one batch',
};

const seqs = (first: number, last: number) => (first === last ? `seq ${first}` : `seq ${first}–${last}`);
const shortId = (id: string) => `${id.slice(0, 8)}…`;

/** Options of {@link watchDaemon}. */
export interface WatchDaemonOptions {
  /** Also show each batch sent and each COMMAND answered (when no mock endpoint shows them: `--endpoint-file`). */
  showTraffic: boolean;
  /** Called once per failover (the group moved to another endpoint). */
  onFailover?: (from: string, to: string) => void;
}

/** Show connections, batches acknowledged/resent and (with `showTraffic`) sends and COMMANDs. */
export function watchDaemon(n: Narrator, daemon: DaemonHandle, options: WatchDaemonOptions): void {
  const { notifications, commands } = daemon.services;
  const lost = new Map<string, string>();
  const lastFailure = new Map<string, string>();

  daemon.scheduler.on('connected', (conn) => {
    lastFailure.delete(conn.hostName);
    const from = lost.get(conn.groupId);
    lost.delete(conn.groupId);
    n.line('daemon', `group ${conn.groupId} CONNECTED to ${conn.hostName} (priority ${conn.endpoint.priority}): notifications flow, the endpoint may send COMMANDs`);
    if (from && from !== conn.hostName) {
      n.line('daemon', `failover: group ${conn.groupId} moved from ${from} to ${conn.hostName}; what ${from} had not acknowledged is delivered here, nothing is lost`);
      options.onFailover?.(from, conn.hostName);
    }
  });
  daemon.scheduler.on('disconnected', (conn, info) => {
    lost.set(conn.groupId, conn.hostName);
    const period = daemon.config.connectionInfo.period;
    n.line('daemon', `group ${conn.groupId} lost ${conn.hostName} (close ${info.code}${info.reason ? ` "${info.reason}"` : ''}): the connection task (every ${period} s) tries the group's endpoints by priority`);
  });
  daemon.scheduler.on('attemptFailed', (f) => {
    const text = `${f.reason}: ${f.message}`;
    if (lastFailure.get(f.hostName) === text) return; // the same failure every period says nothing new
    lastFailure.set(f.hostName, text);
    n.line('daemon', `cannot connect to ${f.hostName} (${text}): trying the next priority of group ${f.groupId}`);
  });

  const delivery = notifications.delivery;
  delivery.on('batchAcked', (b) =>
    n.line('daemon', `notifications acknowledged by group ${b.groupId} (${b.hostName}): ${b.count} in one request, ${seqs(b.firstSeq, b.lastSeq)}, ${Math.round(b.latencyMs)} ms after sending`),
  );
  delivery.on('batchResent', (b) =>
    n.line('daemon', `resending ${seqs(b.firstSeq, b.lastSeq)} to ${b.hostName} (${b.reason === 'timeout' ? 'no acknowledgement in time' : 'new connection of the group'}): same id ${shortId(b.id)}, same notifications`),
  );
  if (options.showTraffic) {
    delivery.on('batchSent', (b) => n.line('daemon', `→ NOTIFICATION REQUEST ${shortId(b.id)} to ${b.hostName}: ${b.count} notification${b.count === 1 ? '' : 's'}, ${seqs(b.firstSeq, b.lastSeq)}, ${b.bytes} bytes`));
    commands.proxy.on('command', (c) =>
      n.line('daemon', `← COMMAND from ${c.hostName}: ${c.method} ${c.uri} → ${c.status}${c.errorCode ? ` (${c.errorCode})` : ''} in ${Math.round(c.durationMs)} ms`),
    );
  }
}

/** Show the simulator's scenarios and the notifications it raises at each poll. */
export function watchSimulator(n: Narrator, simulator: Simulator): void {
  const explained = new Set<ScenarioName>();
  simulator.on('scenarioStarted', (s) => {
    const what = explained.has(s.name) ? '' : `: ${SCENARIO_TEXT[s.name]}`;
    explained.add(s.name);
    n.line('simulator', `scenario #${s.seq} ${s.name}${s.jobIds.length > 0 ? ` (jobs ${s.jobIds.join(', ')})` : ''}${what}`);
  });
  simulator.on('raised', (r) => {
    const lines = r.data.map((d) => (r.object === 'JOB' ? formatJob(d) : formatImage(d)));
    n.line('simulator', `poll ${r.poll}: raised ${lines.join('\n')}`);
  });
}

/** Show what a mock endpoint sees: CONNECT, each NOTIFICATION REQUEST (resends flagged), closes. */
export function watchEndpoint(n: Narrator, tag: Tag, endpoint: MockEndpoint): void {
  endpoint.on('connected', () => n.line(tag, '← CONNECT REQUEST with the right token → valid: this endpoint now serves the group'));
  endpoint.on('rejected', (e) => n.line(tag, `← CONNECT REQUEST → rejected (${e.reason})`));
  endpoint.on('notification', (e) => {
    const counts = e.request.payload.map((el) => `${el.data.length} ${el.object}`).join(', ');
    const resend = e.duplicate ? ` (resend #${e.timesSeen - 1}: an id seen before, de-duplicate by id)` : '';
    n.line(tag, `← NOTIFICATION REQUEST ${shortId(e.request.id)}: ${counts}${resend} → ${e.action === 'ack' ? 'ack' : e.action}`);
  });
  endpoint.on('problem', (p) => {
    for (const problem of p.problems) n.line(tag, `! ${problem.severity} ${problem.path}: ${problem.message} [${problem.rule}]`);
  });
  endpoint.on('close', (e) => n.line(tag, `socket closed ${e.code}${e.reason ? ` "${e.reason}"` : ''} (by ${e.by})`));
}
