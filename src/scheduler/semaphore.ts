/**
 * A counting semaphore with a FIFO queue: at most `size` holders at once. It is how
 * `scheduledExecutor.threadPoolSize` (the Java thread pool of NBWSS) becomes a bound on concurrent handshakes.
 */
export class Semaphore {
  readonly size: number;
  #held = 0;
  #max = 0;
  readonly #queue: { grant: () => void; reject: (reason: unknown) => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a whole number >= 1, got ${size}`);
    this.size = size;
  }

  /** Permits held now. */
  get held(): number {
    return this.#held;
  }
  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#queue.length;
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
    if (this.#held < this.size && this.#queue.length === 0) return Promise.resolve(this.#grant());
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => resolve(this.#grant()),
        reject,
        signal,
        onAbort: () => {
          const i = this.#queue.indexOf(entry);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.#queue.push(entry);
    });
  }

  #grant(): () => void {
    this.#held++;
    this.#max = Math.max(this.#max, this.#held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      const next = this.#queue.shift();
      if (next) {
        next.signal?.removeEventListener('abort', next.onAbort);
        next.grant();
      }
    };
  }
}
