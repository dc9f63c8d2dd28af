import type { Clock, TimerHandle } from '../clock.js';
import type { BatchAckedEvent } from '../notifications/events.js';
import type { DeliveryStatus } from '../notifications/status.js';

/**
 * The console's charts (issue 12, "at a glance"): per server group, a bounded ring of samples taken every
 * `intervalMs` (10 s) over `windowMs` (15 min: 90 samples a group) — backlog, oldest pending age, acknowledgements
 * per second and the mean acknowledgement latency since the previous sample. In memory only: a restart starts
 * empty, and a Prometheus server keeps the long history (`GET /metrics`). Memory is bounded by groups × 90 samples;
 * a group that no longer exists (no endpoint left: deleted) loses its ring at the next sample, as its metrics do.
 */

/** One sample of one group. */
export interface HistorySample {
  /** epoch ms */
  at: number;
  /** Notifications after the group cursor (in-flight ones included). */
  backlog: number;
  /** How long the oldest of them has waited, ms (null when none waits). */
  oldestPendingAgeMs: number | null;
  /** Notifications acknowledged per second since the previous sample. */
  ackedPerSecond: number;
  /** Mean first-send-to-acknowledgement time of the batches acknowledged since the previous sample, ms (null: none). */
  ackLatencyMs: number | null;
}

/** A fixed-size ring: the newest `capacity` items, oldest first. */
export class Ring<T> {
  readonly #items: T[] = [];
  #start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** The items, oldest first. */
  toArray(): T[] {
    return [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
  }
}

/** What the history reads: the delivery status, its acknowledgements, the groups that have endpoints. */
export interface GroupHistorySources {
  clock: Clock;
  /** The notification service (absent when the daemon runs without it: backlogs read 0). */
  delivery?:
    | {
        status(): DeliveryStatus;
        on(event: 'batchAcked', l: (e: BatchAckedEvent) => void): unknown;
        off(event: 'batchAcked', l: (e: BatchAckedEvent) => void): unknown;
      }
    | undefined;
  /** The group ids of the stored endpoints. */
  endpointGroups: () => Iterable<string>;
  /** Between samples, ms (default 10 s). */
  intervalMs?: number;
  /** How far back the rings reach, ms (default 15 min). */
  windowMs?: number;
}

/** What `GET /api/history` shows (times as epoch ms here; the route formats them). */
export interface HistoryView {
  /** epoch ms of the view, on the daemon's clock */
  at: number;
  intervalMs: number;
  windowMs: number;
  groups: { groupId: string; samples: HistorySample[] }[];
}

/** Per-group rings of delivery samples, taken on the injected clock (tests call {@link GroupHistory.sampleNow}). */
export class GroupHistory {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly #s: GroupHistorySources;
  readonly #rings = new Map<string, Ring<HistorySample>>();
  /** Per group, acknowledgements since the last sample. */
  readonly #acks = new Map<string, { notifications: number; batches: number; latencyMs: number }>();
  #lastAt: number | undefined;
  #timer: TimerHandle | undefined;

  constructor(sources: GroupHistorySources) {
    this.#s = sources;
    this.intervalMs = sources.intervalMs ?? 10_000;
    this.windowMs = sources.windowMs ?? 15 * 60_000;
  }

  /** Take a first sample now (a console opened at once has a point to show), then one every interval. */
  start(): void {
    if (this.#timer) return;
    this.#s.delivery?.on('batchAcked', this.#onAcked);
    this.#sampleSafely();
    this.#timer = this.#s.clock.setInterval(() => this.#sampleSafely(), this.intervalMs).unref();
  }

  /** Stop sampling (the rings keep what they hold). */
  stop(): void {
    this.#s.clock.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#s.delivery?.off('batchAcked', this.#onAcked);
  }

  /** Sample every existing group now. */
  sampleNow(): void {
    const at = this.#s.clock.now();
    const elapsedS = this.#lastAt === undefined ? 0 : Math.max(1, at - this.#lastAt) / 1000;
    this.#lastAt = at;
    const status = this.#s.delivery?.status();
    const delivery = new Map((status?.groups ?? []).filter((g) => !g.deleted).map((g) => [g.groupId, g]));
    const groups = new Set([...this.#s.endpointGroups(), ...delivery.keys()]);
    for (const groupId of groups) {
      const g = delivery.get(groupId);
      const acks = this.#acks.get(groupId);
      let ring = this.#rings.get(groupId);
      if (!ring) this.#rings.set(groupId, (ring = new Ring(Math.ceil(this.windowMs / this.intervalMs))));
      ring.push({
        at,
        backlog: g?.backlog ?? 0,
        oldestPendingAgeMs: g?.oldestPendingAgeMs ?? null,
        ackedPerSecond: acks && elapsedS > 0 ? acks.notifications / elapsedS : 0,
        ackLatencyMs: acks && acks.batches > 0 ? acks.latencyMs / acks.batches : null,
      });
    }
    this.#acks.clear();
    for (const groupId of this.#rings.keys()) if (!groups.has(groupId)) this.#rings.delete(groupId);
  }

  /** Every group's samples, oldest first, groups by id; `at` is now on the daemon's clock (where the charts end). */
  view(): HistoryView {
    const groups = [...this.#rings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([groupId, ring]) => ({ groupId, samples: ring.toArray() }));
    return { at: this.#s.clock.now(), intervalMs: this.intervalMs, windowMs: this.windowMs, groups };
  }

  #sampleSafely(): void {
    try {
      this.sampleNow();
    } catch {
      // the database cannot be read now (GET /readyz says why): no sample this time, the next one tries again
    }
  }

  readonly #onAcked = (e: BatchAckedEvent) => {
    const a = this.#acks.get(e.groupId) ?? { notifications: 0, batches: 0, latencyMs: 0 };
    a.notifications += e.count;
    a.batches += 1;
    a.latencyMs += e.latencyMs;
    this.#acks.set(e.groupId, a);
  };
}
