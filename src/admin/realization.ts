import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import type { DeliveryStatus } from '../notifications/status.js';
import type { AttemptFailure, TickInfo } from '../scheduler/scheduler.js';
import type { ConnectionMonitor, MonitoredConnection } from './monitor.js';

/**
 * Realization state (the pattern network controllers use for asynchronous configuration): every change made
 * through the admin API gets a request id; `GET /api/realization?requestId=…` says whether the daemon has applied
 * it yet. Endpoint changes are applied by the scheduler at its next run (`connectionInfo.period`), so their state
 * follows the scheduler's events:
 *
 * - add / activate: `in_sync` once the endpoint is CONNECTED, or once a run that started after the change has the
 *   group connected through another endpoint (no preemption, spec §7); failed attempts are reported meanwhile.
 * - deactivate / delete: `in_sync` once a run that started after the change has completed with no connection to
 *   the endpoint (that run is the one that closes it).
 * - update: of the url or the certificate (a redial), as add once a run that started after the change has
 *   completed (that run closes the old connection and dials again); of the priority or the token alone, once a run
 *   that started after the change has completed (it read the new values).
 * - notify: `in_sync` once every server group has acknowledged the notifications. Pending notify requests are
 *   evaluated together from one read of the delivery state (O(groups), no row counted), at most once per
 *   `notifyEvaluationMs` after acknowledgements: never once per acknowledgement, which at thousands of pending
 *   requests would hold the event loop (pings, handshakes, COMMANDs) for as long as it takes.
 */

/** A request's state. `unknown`: no such request (or it was forgotten, or superseded by a later change). */
export type RealizationState = 'in_progress' | 'in_sync' | 'unknown';

/** The changes that are tracked. */
export type ChangeKind = 'add' | 'activate' | 'update' | 'deactivate' | 'delete' | 'notify';

/** One entry of `details`: one endpoint (endpoint changes) or one server group (notify). */
export interface RealizationDetail {
  groupId: string;
  hostName: string | null;
  state: RealizationState;
  /** Why it is not in sync yet (the last failed attempt), or why it is `unknown`. */
  failureMessage?: string;
  /** The endpoint of the group that is connected, when it is not `hostName` (a standby endpoint was added). */
  connectedEndpoint?: string;
}

/** `GET /api/realization` answers this. */
export interface RealizationView {
  requestId: string;
  state: RealizationState;
  /** The change; `createdAt` and `inSyncAt` are ISO 8601 times. */
  change?: { kind: ChangeKind; hostName?: string; groupId?: string; firstSeq?: number; lastSeq?: number; createdAt: string; inSyncAt?: string };
  details: RealizationDetail[];
}

/** What the tracker needs of the notification service. */
export interface DeliveryStatusSource {
  status(): DeliveryStatus;
  on(event: 'batchAcked', listener: () => void): unknown;
  off(event: 'batchAcked', listener: () => void): unknown;
}

/** Options of {@link RealizationTracker}. */
export interface RealizationTrackerOptions {
  monitor: ConnectionMonitor;
  /** Scheduler runs started so far (a run numbered above this started after the change). */
  ticksStarted: () => number;
  delivery?: DeliveryStatusSource | undefined;
  clock: Clock;
  /** Requests remembered (oldest forgotten first; default 1000). */
  maxRequests?: number;
  /** After an acknowledgement, pending notify requests are evaluated this much later, all at once (default 100 ms). */
  notifyEvaluationMs?: number;
}

interface Request {
  id: string;
  kind: ChangeKind;
  hostName: string;
  groupId: string;
  firstSeq: number;
  lastSeq: number;
  /** Runs started when the change was made. */
  afterTick: number;
  /** An update of the url or the certificate: in sync once the endpoint (or its group) is connected again. */
  redial: boolean;
  createdAt: number;
  state: RealizationState;
  syncedAt: number | undefined;
  failure: string | undefined;
  connectedEndpoint: string | undefined;
  /** Notify: the per-group details once in sync (frozen). */
  details: RealizationDetail[] | undefined;
}

/** Typed events of {@link RealizationTracker}. */
export interface RealizationEvents {
  /** A request's state or failure message changed. */
  changed: [view: RealizationView];
}

/** Request ids and their realization state. */
export class RealizationTracker extends EventEmitter<RealizationEvents> {
  readonly #o: RealizationTrackerOptions;
  readonly #requests = new Map<string, Request>();
  /** The notify requests still in progress (what an acknowledgement may bring in sync). */
  readonly #pendingNotify = new Set<Request>();
  readonly #max: number;
  readonly #notifyEvaluationMs: number;
  #notifyTimer: TimerHandle | undefined;

  constructor(options: RealizationTrackerOptions) {
    super();
    this.setMaxListeners(0);
    this.#o = options;
    this.#max = options.maxRequests ?? 1000;
    this.#notifyEvaluationMs = options.notifyEvaluationMs ?? 100;
  }

  /** Follow the monitor and the notification acknowledgements. */
  start(): void {
    const m = this.#o.monitor;
    m.on('up', this.#onUp);
    m.on('tick', this.#onTick);
    m.on('attemptFailed', this.#onAttemptFailed);
    this.#o.delivery?.on('batchAcked', this.#onAcked);
  }

  /** Stop following (requests keep the state they reached). */
  stop(): void {
    const m = this.#o.monitor;
    m.off('up', this.#onUp);
    m.off('tick', this.#onTick);
    m.off('attemptFailed', this.#onAttemptFailed);
    this.#o.delivery?.off('batchAcked', this.#onAcked);
    this.#o.clock.clearTimeout(this.#notifyTimer);
    this.#notifyTimer = undefined;
  }

  /** Record an endpoint change just made (after the store write) and return its request id. */
  recordEndpointChange(kind: Exclude<ChangeKind, 'notify'>, hostName: string, groupId: string, options: { redial?: boolean } = {}): string {
    for (const r of this.#requests.values()) {
      if (r.state === 'in_progress' && r.kind !== 'notify' && r.hostName === hostName) {
        r.state = 'unknown';
        r.failure = 'superseded by a later change of the same endpoint';
        this.#changed(r);
      }
    }
    const r = this.#add(kind, hostName, groupId, 0, 0);
    r.redial = options.redial === true;
    if ((kind === 'add' || kind === 'activate') && this.#o.monitor.liveConnection(hostName)) this.#sync(r);
    return r.id;
  }

  /** Record notifications just committed (seqs `firstSeq`…`lastSeq`) and return the request id. */
  recordNotification(firstSeq: number, lastSeq: number): string {
    const r = this.#add('notify', '', '', firstSeq, lastSeq);
    this.#pendingNotify.add(r);
    this.#evaluateNotify([r]);
    return r.id;
  }

  /** The state of a request (`unknown` with no details for an id never given or forgotten). */
  get(id: string): RealizationView {
    const r = this.#requests.get(id);
    if (!r) return { requestId: id, state: 'unknown', details: [] };
    if (r.kind === 'notify' && r.state === 'in_progress') this.#evaluateNotify([r]);
    return this.#view(r);
  }

  /**
   * Resolve with the request's state once it is no longer `in_progress`, or after `timeoutMs` (then still
   * `in_progress`), or when `signal` aborts (the client went away).
   */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<RealizationView> {
    const now = this.get(id);
    if (now.state !== 'in_progress' || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = () => {
        this.off('changed', onChanged);
        this.#o.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve(this.get(id));
      };
      const onChanged = (v: RealizationView) => {
        if (v.requestId === id && v.state !== 'in_progress') done();
      };
      const timer = this.#o.clock.setTimeout(done, timeoutMs);
      this.on('changed', onChanged);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #add(kind: ChangeKind, hostName: string, groupId: string, firstSeq: number, lastSeq: number): Request {
    const r: Request = {
      id: randomUUID(),
      kind,
      hostName,
      groupId,
      firstSeq,
      lastSeq,
      afterTick: this.#o.ticksStarted(),
      redial: false,
      createdAt: this.#o.clock.now(),
      state: 'in_progress',
      syncedAt: undefined,
      failure: undefined,
      connectedEndpoint: undefined,
      details: undefined,
    };
    this.#requests.set(r.id, r);
    while (this.#requests.size > this.#max) {
      const oldest = this.#requests.values().next().value!;
      this.#requests.delete(oldest.id);
      this.#pendingNotify.delete(oldest);
    }
    return r;
  }

  #view(r: Request): RealizationView {
    const at = (ms: number) => new Date(ms).toISOString();
    const change: NonNullable<RealizationView['change']> =
      r.kind === 'notify'
        ? { kind: r.kind, firstSeq: r.firstSeq, lastSeq: r.lastSeq, createdAt: at(r.createdAt) }
        : { kind: r.kind, hostName: r.hostName, groupId: r.groupId, createdAt: at(r.createdAt) };
    if (r.syncedAt !== undefined) change.inSyncAt = at(r.syncedAt);
    if (r.kind === 'notify') return { requestId: r.id, state: r.state, change, details: r.details ?? [] };
    const detail: RealizationDetail = { groupId: r.groupId, hostName: r.hostName, state: r.state };
    if (r.failure !== undefined) detail.failureMessage = r.failure;
    if (r.connectedEndpoint !== undefined) detail.connectedEndpoint = r.connectedEndpoint;
    return { requestId: r.id, state: r.state, change, details: [detail] };
  }

  #sync(r: Request, connectedEndpoint?: string): void {
    r.state = 'in_sync';
    this.#pendingNotify.delete(r);
    r.syncedAt = this.#o.clock.now();
    if (connectedEndpoint !== undefined && connectedEndpoint !== r.hostName) r.connectedEndpoint = connectedEndpoint;
    this.#changed(r);
  }

  #changed(r: Request): void {
    this.emit('changed', this.#view(r));
  }

  *#pending(kinds: readonly ChangeKind[]): Iterable<Request> {
    for (const r of this.#requests.values()) if (r.state === 'in_progress' && kinds.includes(r.kind)) yield r;
  }

  readonly #onUp = (conn: MonitoredConnection): void => {
    // not an update: a handshake begun before it may complete with the old url or certificate (the next run closes it)
    for (const r of this.#pending(['add', 'activate'])) if (r.hostName === conn.hostName) this.#sync(r, conn.hostName);
  };

  readonly #onTick = (info: TickInfo): void => {
    const live = this.#o.monitor.connections();
    for (const r of this.#pending(['add', 'activate', 'update', 'deactivate', 'delete'])) {
      if (info.seq <= r.afterTick) continue; // that run read the endpoints before the change
      if (r.kind === 'update' && !r.redial) {
        this.#sync(r);
      } else if (r.kind === 'add' || r.kind === 'activate' || r.kind === 'update') {
        const conn = live.get(r.groupId);
        if (conn) this.#sync(r, conn.hostName);
      } else if (!this.#o.monitor.liveConnection(r.hostName)) {
        this.#sync(r);
      }
    }
  };

  readonly #onAttemptFailed = (f: AttemptFailure): void => {
    for (const r of this.#pending(['add', 'activate', 'update'])) {
      if (r.hostName !== f.hostName) continue;
      r.failure = f.message;
      this.#changed(r);
    }
  };

  /** An acknowledgement: evaluate the pending notify requests once, a little later (acks meanwhile share it). */
  readonly #onAcked = (): void => {
    if (this.#notifyTimer !== undefined || this.#pendingNotify.size === 0) return;
    this.#notifyTimer = this.#o.clock.setTimeout(() => {
      this.#notifyTimer = undefined;
      try {
        this.#evaluateNotify([...this.#pendingNotify]);
      } catch {
        // the delivery state could not be read (the store reports why); the next acknowledgement tries again
      }
    }, this.#notifyEvaluationMs);
    this.#notifyTimer.unref();
  };

  /**
   * Notify requests are read from the delivery state (the cursors are the truth, even across restarts): one read
   * for all of `requests`.
   */
  #evaluateNotify(requests: readonly Request[]): void {
    if (requests.length === 0) return;
    const status = this.#o.delivery?.status();
    for (const r of requests) {
      if (!status) {
        r.details = [];
        this.#sync(r);
        continue;
      }
      const details = status.groups.map((g): RealizationDetail => {
        const d: RealizationDetail = { groupId: g.groupId, hostName: g.connectedEndpoint, state: g.cursor >= r.lastSeq ? 'in_sync' : 'in_progress' };
        if (d.state === 'in_progress') {
          if (g.deleted) d.failureMessage = `the group's last endpoint was deleted: add one again to deliver (its place is kept until ${new Date(g.deleted.expiresAt).toISOString()})`;
          else if (!g.connectedEndpoint) d.failureMessage = 'no endpoint of the group is connected';
          else if (g.inflight && g.inflight.sendCount > 1) d.failureMessage = `batch ${g.inflight.id} sent ${g.inflight.sendCount} times without an acknowledgement`;
        }
        return d;
      });
      r.details = details;
      if (details.every((d) => d.state === 'in_sync')) this.#sync(r);
    }
  }
}
