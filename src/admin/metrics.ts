import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CommandEvent } from '../commands/proxy.js';
import type { AckIgnoredEvent, BatchAckedEvent, BatchResentEvent, BatchSentEvent } from '../notifications/events.js';
import type { DeliveryStatus } from '../notifications/status.js';
import type { EndpointListRow } from '../endpoints/service.js';
import type { EndpointRole } from '../endpoints/role.js';
import { NBWSS_VERSION } from '../version.js';
import type { AttemptFailure, TickInfo } from '../scheduler/scheduler.js';
import type { EventHub } from './events.js';
import type { CloseCause, ConnectionDecodeError, ConnectionDown, ConnectionMonitor, MonitoredConnection } from './monitor.js';

/**
 * Prometheus metrics (`GET /metrics`) on a registry of their own (never prom-client's global one, so several
 * daemons in one process — tests, `nbwss demo` — do not collide). Labels are bounded: `group_id` (server groups
 * are few and chosen by the operator), never host × connection id. Counters follow events; gauges (and the
 * counters kept by connections themselves) are computed at scrape time by {@link AdminMetrics.scrape}.
 */

/** What the metrics read at scrape time. */
export interface MetricsSources {
  monitor: ConnectionMonitor;
  scheduler: { stats(): { connected: number; groupsBusy: number; handshakesInFlight: number } };
  /** The endpoint rows with their roles (`EndpointService.list()` with the daemon's live view). */
  endpoints: { list(): readonly Pick<EndpointListRow, 'groupId' | 'state' | 'connectionState' | 'role'>[] };
  /** The notification service (absent when the daemon runs without it). */
  delivery?: DeliveryEvents | undefined;
  /** The COMMAND proxy (absent when the daemon runs without it). */
  commands?: { on(event: 'command', l: (e: CommandEvent) => void): unknown; off(event: 'command', l: (e: CommandEvent) => void): unknown } | undefined;
  events: EventHub;
}

/** What the metrics need of the notification service. */
export interface DeliveryEvents {
  status(): DeliveryStatus;
  on(event: 'batchSent', l: (e: BatchSentEvent) => void): unknown;
  on(event: 'batchAcked', l: (e: BatchAckedEvent) => void): unknown;
  on(event: 'batchResent', l: (e: BatchResentEvent) => void): unknown;
  on(event: 'ackIgnored', l: (e: AckIgnoredEvent) => void): unknown;
  off(event: 'batchSent', l: (e: BatchSentEvent) => void): unknown;
  off(event: 'batchAcked', l: (e: BatchAckedEvent) => void): unknown;
  off(event: 'batchResent', l: (e: BatchResentEvent) => void): unknown;
  off(event: 'ackIgnored', l: (e: AckIgnoredEvent) => void): unknown;
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const ROLES: readonly EndpointRole[] = ['serving', 'standby', 'connecting', 'failing', 'deactivated'];
const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1015]);
/** A COMMAND method from the cloud is untrusted text: anything unusual is one label value. Lower case, as every label value. */
const methodLabel = (m: string) => (KNOWN_METHODS.has(m.toUpperCase()) ? m.toLowerCase() : 'other');
const statusLabel = (s: number) => (Number.isInteger(s) && s >= 100 && s <= 599 ? String(s) : s === 0 ? '0' : 'other');
const closeCodeLabel = (c: number) => (KNOWN_CLOSE_CODES.has(c) ? String(c) : c >= 4000 && c <= 4999 ? '4xxx' : 'other');

/** Every nbwss metric, and the listeners that feed them. */
export class AdminMetrics {
  /** The registry `GET /metrics` serializes. */
  readonly registry = new Registry();
  readonly #s: MetricsSources;
  /** Per group: pings / misses already added to the counters (connections keep their own running totals). */
  readonly #reported = new Map<string, { pings: number; misses: number }>();
  /** Per group: final figures of connections that closed (not yet added). */
  readonly #closedTotals = new Map<string, { pings: number; misses: number }>();
  #raisedReported = 0;
  /** The server groups that may have series (labelled since they were last forgotten). */
  readonly #groupsLabelled = new Set<string>();

  readonly #endpoints: Gauge<'state' | 'connection_state'>;
  readonly #roles: Gauge<'role'>;
  /** Every metric labelled by server group: a group that no longer exists has its series removed. */
  readonly #groupMetrics: (Counter<string> | Gauge<string> | Histogram<string>)[];
  readonly #connections: Gauge<'state'>;
  readonly #attempts: Counter<'group_id'>;
  readonly #failures: Counter<'group_id' | 'reason'>;
  readonly #disconnects: Counter<'group_id' | 'code'>;
  readonly #pings: Counter<'group_id'>;
  readonly #pongs: Counter<'group_id'>;
  readonly #missed: Counter<'group_id'>;
  readonly #rtt: Histogram<'group_id'>;
  readonly #oversize: Counter<'group_id'>;
  readonly #decoder: Counter<'group_id' | 'action'>;
  readonly #raised: Counter;
  readonly #sent: Counter<'group_id'>;
  readonly #batchesSent: Counter<'group_id'>;
  readonly #acked: Counter<'group_id'>;
  readonly #ackLatency: Histogram<'group_id'>;
  readonly #resent: Counter<'group_id' | 'reason'>;
  readonly #ignored: Counter<'group_id' | 'reason'>;
  readonly #backlog: Gauge<'group_id'>;
  readonly #oldestAge: Gauge<'group_id'>;
  readonly #inflight: Gauge<'group_id'>;
  readonly #backlogWarning: Gauge<'group_id'>;
  readonly #pruningHeld: Gauge<'group_id'>;
  readonly #outboxRows: Gauge;
  readonly #databaseBytes: Gauge;
  readonly #commands: Counter<'group_id' | 'method' | 'status'>;
  readonly #commandLatency: Histogram<'method'>;
  readonly #ticks: Counter;
  readonly #tickDuration: Histogram;
  readonly #handshakes: Gauge;
  readonly #sseClients: Gauge;
  readonly #sseDropped: Counter;

  /** `defaultMetrics`: also export prom-client's process and Node.js metrics (CPU, memory, event loop lag). */
  constructor(sources: MetricsSources, options: { defaultMetrics?: boolean } = {}) {
    this.#s = sources;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers });
    const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    // Per-group histograms get short bucket lists (each bucket is a series per group: docs/operator.md says why these).
    const ackSeconds = [0.005, 0.025, 0.1, 0.5, 2.5, 10];
    const rttSeconds = [0.001, 0.005, 0.025, 0.1, 0.5];

    const buildInfo = gauge('nbwss_build_info', 'Always 1: the nbwss version and the Node.js version running it.', ['version', 'node_version']);
    buildInfo.set({ version: NBWSS_VERSION, node_version: process.versions.node }, 1);
    this.#endpoints = gauge('nbwss_endpoints', 'Stored endpoints by administrative state (activated, deactivated) and connection state (connected, disconnected).', ['state', 'connection_state']);
    this.#roles = gauge('nbwss_endpoint_roles', 'Stored endpoints by role: serving, standby, connecting, failing, deactivated (docs/endpoints.md "Why is it down").', ['role']);
    this.#connections = gauge('nbwss_connections', 'Server groups by connection state: connected, or connecting (an attempt or a close under way).', ['state']);
    this.#attempts = counter('nbwss_connect_attempts_total', 'Connection attempts (TLS + CONNECT handshake) that ended, by server group.', ['group_id']);
    this.#failures = counter('nbwss_connect_failures_total', 'Connection attempts that failed, by server group and reason.', ['group_id', 'reason']);
    this.#disconnects = counter('nbwss_disconnects_total', 'CONNECTED connections that closed, by server group and close code.', ['group_id', 'code']);
    this.#pings = counter('nbwss_pings_sent_total', 'WebSocket pings sent, by server group.', ['group_id']);
    this.#pongs = counter('nbwss_pongs_received_total', 'WebSocket pongs received, by server group.', ['group_id']);
    this.#missed = counter('nbwss_pongs_missed_total', 'Pings not answered before the next one was due, by server group.', ['group_id']);
    this.#rtt = new Histogram({ name: 'nbwss_ping_rtt_seconds', help: 'Ping round-trip time, by server group.', labelNames: ['group_id'], buckets: rttSeconds, registers });
    this.#oversize = counter('nbwss_frames_oversize_total', 'Connections closed (1009) for an incoming frame over 2 MB, by server group.', ['group_id']);
    this.#decoder = counter(
      'nbwss_decoder_errors_total',
      'Undecodable frames on CONNECTED connections, by server group and action: closed (the connection was closed for it, exception.ignoreDecoder=false) or ignored (logged and dropped, exception.ignoreDecoder=true).',
      ['group_id', 'action'],
    );
    this.#raised = counter('nbwss_notifications_raised_total', 'Notifications appended to the outbox (by this daemon or nbwss notify).');
    this.#sent = counter('nbwss_notifications_sent_total', 'Notifications sent for the first time, by server group.', ['group_id']);
    this.#batchesSent = counter('nbwss_notification_batches_sent_total', 'NOTIFICATION REQUESTs sent for the first time, by server group.', ['group_id']);
    this.#acked = counter('nbwss_notifications_acked_total', 'Notifications acknowledged (cursor moved past them), by server group.', ['group_id']);
    this.#ackLatency = new Histogram({
      name: 'nbwss_notification_ack_latency_seconds',
      help: 'From the first send of a batch to its committed acknowledgement, by server group.',
      labelNames: ['group_id'],
      buckets: ackSeconds,
      registers,
    });
    this.#resent = counter('nbwss_notification_batches_resent_total', 'NOTIFICATION REQUESTs sent again, by server group and reason (timeout, reconnect).', ['group_id', 'reason']);
    this.#ignored = counter('nbwss_notification_acks_ignored_total', 'NOTIFICATION RESPONSEs that acknowledged nothing, by server group and reason.', ['group_id', 'reason']);
    this.#backlog = gauge('nbwss_notification_backlog', 'Notifications after the group cursor (in-flight ones included).', ['group_id']);
    this.#oldestAge = gauge('nbwss_notification_oldest_pending_age_seconds', 'Age of the oldest notification the group has not acknowledged (0 when none waits).', ['group_id']);
    this.#inflight = gauge('nbwss_notification_inflight_batches', 'Unacknowledged NOTIFICATION REQUEST of the group (0 or 1).', ['group_id']);
    this.#backlogWarning = gauge('nbwss_notification_backlog_warning', '1 when the group backlog is over notification.backlogWarning (0 otherwise, and when the warning is off).', ['group_id']);
    this.#pruningHeld = gauge(
      'nbwss_notification_pruning_held_back',
      '1 when the group oldest unacknowledged notification is older than notification.retention: it holds back pruning for every group.',
      ['group_id'],
    );
    this.#outboxRows = gauge('nbwss_outbox_rows', 'Notifications stored in the outbox (unacknowledged, and acknowledged ones kept for notification.retention).');
    this.#databaseBytes = gauge('nbwss_database_bytes', 'Size of the SQLite database file (page_count x page_size; the WAL file comes on top).');
    this.#commands = counter('nbwss_commands_total', 'COMMANDs answered, by server group, method and responseCode (0: the socket closed first).', ['group_id', 'method', 'status']);
    this.#commandLatency = new Histogram({ name: 'nbwss_command_duration_seconds', help: 'From COMMAND REQUEST to COMMAND RESPONSE.', labelNames: ['method'], buckets: seconds, registers });
    this.#ticks = counter('nbwss_scheduler_ticks_total', 'Runs of the connection task (connectionInfo.period).');
    this.#tickDuration = new Histogram({ name: 'nbwss_scheduler_tick_duration_seconds', help: 'Wall time of one run of the connection task, attempts included.', buckets: seconds, registers });
    this.#handshakes = gauge('nbwss_scheduler_handshakes_in_flight', 'Connection handshakes in progress (bounded by scheduledExecutor.threadPoolSize).');
    this.#sseClients = gauge('nbwss_admin_event_clients', 'Clients of the admin event stream (GET /api/events).');
    this.#sseDropped = counter('nbwss_admin_event_clients_dropped_total', 'Event stream clients dropped because they stopped reading.');
    this.#groupMetrics = [
      this.#attempts,
      this.#failures,
      this.#disconnects,
      this.#pings,
      this.#pongs,
      this.#missed,
      this.#rtt,
      this.#oversize,
      this.#decoder,
      this.#sent,
      this.#batchesSent,
      this.#acked,
      this.#ackLatency,
      this.#resent,
      this.#ignored,
      this.#backlog,
      this.#oldestAge,
      this.#inflight,
      this.#backlogWarning,
      this.#pruningHeld,
      this.#commands,
    ];
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Follow the monitor, the notification service and the COMMAND proxy. */
  start(): void {
    const { monitor, delivery, commands, events } = this.#s;
    monitor.on('up', this.#onUp);
    monitor.on('down', this.#onDown);
    monitor.on('pong', this.#onPong);
    monitor.on('attemptFailed', this.#onFailed);
    monitor.on('closedFor', this.#onClosedFor);
    monitor.on('decodeError', this.#onDecodeError);
    monitor.on('tick', this.#onTick);
    delivery?.on('batchSent', this.#onSent);
    delivery?.on('batchAcked', this.#onAcked);
    delivery?.on('batchResent', this.#onResent);
    delivery?.on('ackIgnored', this.#onIgnored);
    commands?.on('command', this.#onCommand);
    events.on('clientDropped', this.#onDropped);
  }

  /** Stop following (the counters keep their values). */
  stop(): void {
    const { monitor, delivery, commands, events } = this.#s;
    monitor.off('up', this.#onUp);
    monitor.off('down', this.#onDown);
    monitor.off('pong', this.#onPong);
    monitor.off('attemptFailed', this.#onFailed);
    monitor.off('closedFor', this.#onClosedFor);
    monitor.off('decodeError', this.#onDecodeError);
    monitor.off('tick', this.#onTick);
    delivery?.off('batchSent', this.#onSent);
    delivery?.off('batchAcked', this.#onAcked);
    delivery?.off('batchResent', this.#onResent);
    delivery?.off('ackIgnored', this.#onIgnored);
    commands?.off('command', this.#onCommand);
    events.off('clientDropped', this.#onDropped);
  }

  /** The Prometheus text exposition, with the scrape-time values read now. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    await this.#forgetGroupsExcept(this.#refresh());
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /**
   * Remove every series of a server group that no longer exists (no endpoint left, and no delivery place kept but
   * a deleted group's), so that a deleted group does not linger in dashboards and alerts. Late events of a deleted
   * group (its connection closing at the next run) are removed at the scrape that would show them.
   */
  async #forgetGroupsExcept(existing: ReadonlySet<string>): Promise<void> {
    // Reading every series back is as costly as the exposition itself: only when a labelled group is gone.
    if ([...this.#groupsLabelled].every((g) => existing.has(g))) return;
    const gone = new Set<string>();
    for (const metric of this.#groupMetrics) {
      const done = new Set<string>();
      for (const { labels } of (await metric.get()).values) {
        const group = String(labels.group_id);
        if (existing.has(group)) continue;
        gone.add(group);
        const { le: _bucket, ...series } = labels; // a histogram's buckets, sum and count are one series
        const key = JSON.stringify(series);
        if (done.has(key)) continue;
        done.add(key);
        metric.remove(series as Record<string, string | number>);
      }
    }
    for (const g of this.#groupsLabelled) if (!existing.has(g)) this.#groupsLabelled.delete(g);
    for (const g of gone) {
      this.#reported.delete(g);
      this.#closedTotals.delete(g);
    }
  }

  /** Read the scrape-time values; returns the server groups that exist now. */
  #refresh(): Set<string> {
    const { scheduler, endpoints, delivery, events, monitor } = this.#s;
    const groups = new Set<string>();
    this.#endpoints.reset();
    this.#roles.reset();
    for (const state of ['activated', 'deactivated']) for (const cs of ['connected', 'disconnected']) this.#endpoints.set({ state, connection_state: cs }, 0);
    for (const role of ROLES) this.#roles.set({ role }, 0);
    for (const e of endpoints.list()) {
      this.#endpoints.inc({ state: e.state.toLowerCase(), connection_state: e.connectionState.toLowerCase() });
      this.#roles.inc({ role: e.role });
      groups.add(e.groupId);
    }
    const st = scheduler.stats();
    this.#connections.set({ state: 'connected' }, st.connected);
    this.#connections.set({ state: 'connecting' }, Math.max(0, st.groupsBusy - st.connected));
    this.#handshakes.set(st.handshakesInFlight);
    this.#sseClients.set(events.clientCount);

    // Ping and miss counts live in each connection: running totals = closed connections + live ones.
    const totals = new Map<string, { pings: number; misses: number }>();
    for (const [g, t] of this.#closedTotals) totals.set(g, { ...t });
    for (const conn of monitor.connections().values()) {
      const t = totals.get(conn.groupId) ?? { pings: 0, misses: 0 };
      t.pings += conn.stats.pingsSent;
      t.misses += conn.stats.missedPongs;
      totals.set(conn.groupId, t);
    }
    for (const [g, t] of totals) {
      const r = this.#reported.get(g) ?? { pings: 0, misses: 0 };
      if (t.pings > r.pings) this.#pings.inc({ group_id: this.#labelled(g) }, t.pings - r.pings);
      if (t.misses > r.misses) this.#missed.inc({ group_id: this.#labelled(g) }, t.misses - r.misses);
      this.#reported.set(g, { pings: Math.max(r.pings, t.pings), misses: Math.max(r.misses, t.misses) });
    }

    this.#backlog.reset();
    this.#oldestAge.reset();
    this.#inflight.reset();
    this.#backlogWarning.reset();
    this.#pruningHeld.reset();
    if (delivery) {
      // O(groups): backlogs and row counts are sequence arithmetic, never a COUNT(*) of the outbox
      const status = delivery.status();
      this.#outboxRows.set(status.outbox.rows);
      this.#databaseBytes.set(status.database.bytes);
      if (status.outbox.newestSeq > this.#raisedReported) {
        this.#raised.inc(status.outbox.newestSeq - this.#raisedReported);
        this.#raisedReported = status.outbox.newestSeq;
      }
      for (const g of status.groups) {
        if (g.deleted) continue; // its last endpoint was deleted: its series go (its place is kept, GET /api/groups)
        groups.add(g.groupId);
        const labels = { group_id: this.#labelled(g.groupId) };
        this.#backlog.set(labels, g.backlog);
        this.#oldestAge.set(labels, (g.oldestPendingAgeMs ?? 0) / 1000);
        this.#inflight.set(labels, g.inflight ? 1 : 0);
        this.#backlogWarning.set(labels, g.backlogWarning ? 1 : 0);
        this.#pruningHeld.set(labels, g.holdsPruningBack ? 1 : 0);
      }
    }
    return groups;
  }

  /** A `group_id` label value, remembered: {@link AdminMetrics.#forgetGroupsExcept} looks for the groups it had. */
  #labelled(groupId: string): string {
    this.#groupsLabelled.add(groupId);
    return groupId;
  }

  readonly #onUp = (conn: MonitoredConnection) => this.#attempts.inc({ group_id: this.#labelled(conn.groupId) });
  readonly #onDown = (d: ConnectionDown) => {
    this.#disconnects.inc({ group_id: this.#labelled(d.groupId), code: closeCodeLabel(d.code) });
    const t = this.#closedTotals.get(d.groupId) ?? { pings: 0, misses: 0 };
    t.pings += d.stats.pingsSent;
    t.misses += d.stats.missedPongs;
    this.#closedTotals.set(d.groupId, t);
  };
  readonly #onPong = (p: { groupId: string; rttMs: number }) => {
    this.#pongs.inc({ group_id: this.#labelled(p.groupId) });
    this.#rtt.observe({ group_id: this.#labelled(p.groupId) }, p.rttMs / 1000);
  };
  readonly #onFailed = (f: AttemptFailure) => {
    this.#attempts.inc({ group_id: this.#labelled(f.groupId) });
    this.#failures.inc({ group_id: this.#labelled(f.groupId), reason: f.reason });
  };
  readonly #onClosedFor = (c: { groupId: string; cause: CloseCause }) => {
    if (c.cause === 'oversize') this.#oversize.inc({ group_id: this.#labelled(c.groupId) });
  };
  readonly #onDecodeError = (e: ConnectionDecodeError) => this.#decoder.inc({ group_id: this.#labelled(e.groupId), action: e.ignored ? 'ignored' : 'closed' });
  readonly #onTick = (t: TickInfo) => {
    this.#ticks.inc();
    this.#tickDuration.observe(t.durationMs / 1000);
  };
  readonly #onSent = (e: BatchSentEvent) => {
    this.#sent.inc({ group_id: this.#labelled(e.groupId) }, e.count);
    this.#batchesSent.inc({ group_id: this.#labelled(e.groupId) });
  };
  readonly #onAcked = (e: BatchAckedEvent) => {
    this.#acked.inc({ group_id: this.#labelled(e.groupId) }, e.count);
    this.#ackLatency.observe({ group_id: this.#labelled(e.groupId) }, e.latencyMs / 1000);
  };
  readonly #onResent = (e: BatchResentEvent) => this.#resent.inc({ group_id: this.#labelled(e.groupId), reason: e.reason });
  readonly #onIgnored = (e: AckIgnoredEvent) => this.#ignored.inc({ group_id: this.#labelled(e.groupId), reason: e.reason });
  readonly #onCommand = (e: CommandEvent) => {
    const method = methodLabel(e.method);
    this.#commands.inc({ group_id: this.#labelled(e.groupId), method, status: statusLabel(e.status) });
    this.#commandLatency.observe({ method }, e.durationMs / 1000);
  };
  readonly #onDropped = () => this.#sseDropped.inc();
}
