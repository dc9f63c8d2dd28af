import type { Payload } from './frame.js';

/** A payload built for the rows after one cursor, with what it may be reused for. */
export interface CachedPayload extends Payload {
  /** The `notification.maxBatchSize` it was built under. */
  maxBatchSize: number;
  /**
   * True when the request could take no more rows whatever is raised later (it reached maxBatchSize, the byte
   * limit, or a row that would overtake one of another type). False when it ended at the newest row: it is the
   * right batch only while no row was appended after {@link lastSeq}.
   */
  complete: boolean;
  /** The latest raised_at (epoch ms) of its rows: it may be sent only when that is eligible. */
  lastRaisedAt: number;
}

/** Default bound of {@link PayloadCache}: payload bytes held at most. */
export const PAYLOAD_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Fan-out (issue 14): every server group receives the same rows, and groups at the same cursor read and build the
 * same payload. The first group to need a payload builds it; the others take it from here, so the rows are read
 * and spliced once however many groups there are. Only the envelope (id, timeStamp) is per group.
 *
 * Keyed by the cursor the payload starts after. Outbox rows never change once written (append-only; pruning only
 * removes rows every group has acknowledged), so a cached payload stays the exact text of its rows. Bounded by
 * payload bytes; the oldest entries go first.
 */
export class PayloadCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<number, CachedPayload>();
  #bytes = 0;
  /** Senders reading through this cache; unknown (every payload held) until {@link sharers} is set. */
  #sharers = Number.POSITIVE_INFINITY;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number = PAYLOAD_CACHE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /**
   * How many senders read through this cache. With fewer than two nothing is held: no other group could reuse a
   * payload, and keeping megabytes of them alive only makes the garbage collector copy them.
   */
  set sharers(n: number) {
    this.#sharers = n;
    if (n < 2) {
      this.#entries.clear();
      this.#bytes = 0;
    }
  }

  /** The payload built for the rows after `afterSeq` under `maxBatchSize`, if held. */
  get(afterSeq: number, maxBatchSize: number): CachedPayload | undefined {
    if (this.#sharers < 2) return undefined;
    const entry = this.#entries.get(afterSeq);
    if (entry === undefined || entry.maxBatchSize !== maxBatchSize) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry;
  }

  /** Hold a payload built for the rows after `afterSeq`. */
  set(afterSeq: number, entry: CachedPayload): void {
    if (this.#sharers < 2 || entry.bytes > this.#maxBytes) return;
    this.delete(afterSeq);
    this.#entries.set(afterSeq, entry);
    this.#bytes += entry.bytes;
    for (const [key, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= old.bytes;
    }
  }

  /** Forget the payload after `afterSeq` (it turned out not to be the right batch any more). */
  delete(afterSeq: number): void {
    const old = this.#entries.get(afterSeq);
    if (old === undefined) return;
    this.#entries.delete(afterSeq);
    this.#bytes -= old.bytes;
  }

  /** Entries and payload bytes held. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }
}
