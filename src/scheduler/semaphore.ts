/**
 * A counting semaphore with a FIFO queue: at most `size` holders at once. It is how
 * `scheduledExecutor.threadPoolSize` (the Java thread pool of NBWSS) becomes a bound on concurrent handshakes.
 */
export class Semaphore {
  #size: number;
  #held = 0;
  #max = 0;
  readonly #queue = new Set<Waiter>();
  /** One abort listener per signal (not per waiter): thousands of groups share the scheduler's signal. */
  readonly #bySignal = new Map<AbortSignal, { waiters: Set<Waiter>; onAbort: () => void }>();

  constructor(size: number) {
    this.#size = checkSize(size);
  }

  /** Permits available in total. */
  get size(): number {
    return this.#size;
  }

  /** Change the number of permits (a configuration reload). Growing grants waiters at once; shrinking takes effect as permits are released. */
  resize(size: number): void {
    this.#size = checkSize(size);
    while (this.#held < this.#size && this.#queue.size > 0) this.#grantNext();
  }

  /** Permits held now. */
  get held(): number {
    return this.#held;
  }
  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#queue.size;
  }
  /** Most permits ever held at once. */
  get maxHeld(): number {
    return this.#max;
  }

  /**
   * Wait for a permit. Resolves with its release function (call it exactly once; later calls are ignored).
   * Rejects with the signal's reason when `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#held < this.#size && this.#queue.size === 0) return Promise.resolve(this.#grant());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.#grant()), reject, signal };
      this.#queue.add(waiter);
      if (signal) this.#watch(signal).waiters.add(waiter);
    });
  }

  #watch(signal: AbortSignal): { waiters: Set<Waiter>; onAbort: () => void } {
    let entry = this.#bySignal.get(signal);
    if (!entry) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const w of waiters) {
          this.#queue.delete(w);
          w.reject(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry = { waiters, onAbort };
      this.#bySignal.set(signal, entry);
    }
    return entry;
  }

  #grant(): () => void {
    this.#held++;
    this.#max = Math.max(this.#max, this.#held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      if (this.#held < this.#size) this.#grantNext();
    };
  }

  #grantNext(): void {
    const next = this.#queue.values().next();
    if (next.done) return;
    const w = next.value;
    this.#queue.delete(w);
    if (w.signal) {
      const entry = this.#bySignal.get(w.signal);
      entry?.waiters.delete(w);
      if (entry && entry.waiters.size === 0) {
        w.signal.removeEventListener('abort', entry.onAbort);
        this.#bySignal.delete(w.signal);
      }
    }
    w.grant();
  }
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a whole number >= 1, got ${size}`);
  return size;
}

interface Waiter {
  grant: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}
