import type { Clock, TimerHandle } from '../clock.js';
import type { BatchAckedEvent } from '../notifications/events.js';
import type { DeliveryStatus } from '../notifications/status.js';

/**
 * The console's charts (issue 12, "at a glance"): per server group, a bounded ring of samples taken every
 * `intervalMs` (10 s) over `windowMs` (15 min: 90 samples a group) — backlog, oldest pending age, acknowledgements
 * per second and the mean acknowledgement latency since the previous sample. In memory only: a restart starts
 * empty, and a Prometheus server keeps the long history (`GET /metrics`). Memory is bounded by groups × 90 samples,
 * kept as numbers in one typed array per group (no object per sample: ~3.1 KB a group once full, where sample
 * objects took ~8.3 KB: `bench/history.ts`); the objects of `GET /api/history` are made when it is asked for. A
 * group that no longer exists (no endpoint left: deleted) loses its ring at the next sample, as its metrics do.
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

/**
 * A fixed-size ring of rows of `width` numbers in one Float64Array (no object per item): the newest `capacity` rows,
 * oldest first. `T` narrows what is pushed (a branded number, say); a missing value is stored as NaN.
 */
export class Ring<T extends number = number> {
  readonly #data: Float64Array;
  /** The slot the next row goes to. */
  #head = 0;
  #size = 0;

  constructor(
    readonly capacity: number,
    readonly width = 1,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`ring width must be a positive integer, got ${width}`);
    this.#data = new Float64Array(capacity * width);
  }

  get size(): number {
    return this.#size;
  }

  /** Add a row of `width` values (the oldest row goes when the ring is full). */
  push(...row: T[]): void {
    if (row.length !== this.width) throw new RangeError(`ring row must have ${this.width} values, got ${row.length}`);
    this.#data.set(row, this.#head * this.width);
    this.#head = (this.#head + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Value `field` of row `i`, oldest row first (0 ≤ i < size). */
  get(i: number, field = 0): T {
    if (!Number.isInteger(i) || i < 0 || i >= this.#size) throw new RangeError(`ring row ${i} out of 0..${this.#size - 1}`);
    const slot = (this.#head - this.#size + i + this.capacity) % this.capacity;
    return this.#data[slot * this.width + field] as T;
  }

  /** The values, oldest row first, row after row. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.#size; i++) for (let f = 0; f < this.width; f++) out.push(this.get(i, f));
    return out;
  }
}

/** A group's columns in its ring (the sample time is shared by every group: {@link GroupHistory} keeps it once). */
const BACKLOG = 0;
const OLDEST_AGE = 1;
const ACKED_PER_S = 2;
const ACK_LATENCY = 3;
const COLUMNS = 4;
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

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
  /**
   * Per group, its samples' values ({@link COLUMNS} a row, ~3.1 KB a group once full with the shared times). Every sample reaches every
   * group that exists then, so a group's rows are the newest of {@link GroupHistory.#times}: its times are not kept.
   */
  readonly #rings = new Map<string, Ring>();
  /** When the samples were taken (epoch ms), newest `capacity` of them. */
  readonly #times: Ring;
  readonly #capacity: number;
  /** Per group, acknowledgements since the last sample. */
  readonly #acks = new Map<string, { notifications: number; batches: number; latencyMs: number }>();
  #lastAt: number | undefined;
  #timer: TimerHandle | undefined;

  constructor(sources: GroupHistorySources) {
    this.#s = sources;
    this.intervalMs = sources.intervalMs ?? 10_000;
    this.windowMs = sources.windowMs ?? 15 * 60_000;
    this.#capacity = Math.ceil(this.windowMs / this.intervalMs);
    this.#times = new Ring(this.#capacity);
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
    this.#times.push(at);
    for (const groupId of groups) {
      const g = delivery.get(groupId);
      const acks = this.#acks.get(groupId);
      let ring = this.#rings.get(groupId);
      if (!ring) this.#rings.set(groupId, (ring = new Ring(this.#capacity, COLUMNS)));
      ring.push(
        g?.backlog ?? 0,
        g?.oldestPendingAgeMs ?? Number.NaN,
        acks && elapsedS > 0 ? acks.notifications / elapsedS : 0,
        acks && acks.batches > 0 ? acks.latencyMs / acks.batches : Number.NaN,
      );
    }
    this.#acks.clear();
    for (const groupId of this.#rings.keys()) if (!groups.has(groupId)) this.#rings.delete(groupId);
  }

  /** Every group's samples, oldest first, groups by id; `at` is now on the daemon's clock (where the charts end). */
  view(): HistoryView {
    const groups = [...this.#rings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([groupId, ring]) => ({ groupId, samples: this.#samples(ring) }));
    return { at: this.#s.clock.now(), intervalMs: this.intervalMs, windowMs: this.windowMs, groups };
  }

  /** A group's rows as sample objects, oldest first (made for a view only: the rings hold numbers). */
  #samples(ring: Ring): HistorySample[] {
    const skip = this.#times.size - ring.size; // samples taken before the group existed
    const out: HistorySample[] = [];
    for (let i = 0; i < ring.size; i++) {
      out.push({
        at: this.#times.get(skip + i),
        backlog: ring.get(i, BACKLOG),
        oldestPendingAgeMs: orNull(ring.get(i, OLDEST_AGE)),
        ackedPerSecond: ring.get(i, ACKED_PER_S),
        ackLatencyMs: orNull(ring.get(i, ACK_LATENCY)),
      });
    }
    return out;
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
