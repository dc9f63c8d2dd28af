/** Why {@link Limiter.tryRun} refused a task. */
export type LimiterRefusal = 'closed' | 'queue' | 'bytes';

/** The bounds of a {@link Limiter}. */
export interface LimiterBounds {
  /** Most tasks running at once. */
  maxConcurrent: number;
  /** Most tasks waiting beyond `maxConcurrent`. */
  maxQueued: number;
  /** Most bytes held by running and waiting tasks together (one task is always let in when none holds any). */
  maxBytes: number;
}

/**
 * Bounded concurrency with a bounded FIFO queue and a byte budget: at most `maxConcurrent` tasks run; up to
 * `maxQueued` wait; the bytes a task holds (a COMMAND's request body) count from `tryRun` until it ends, and a task
 * that would take the total over `maxBytes` is refused. Past either bound `tryRun` refuses at once (the caller
 * answers 503). One limiter per connection.
 */
export class Limiter {
  #active = 0;
  #bytes = 0;
  readonly #queue: { start: () => void; bytes: number }[] = [];
  #closed = false;
  #bounds: LimiterBounds;

  constructor(bounds: LimiterBounds) {
    this.#bounds = { ...bounds };
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Bytes held by running and waiting tasks. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Change the bounds (config reload); takes effect for the next task. */
  resize(bounds: LimiterBounds): void {
    this.#bounds = { ...bounds };
    this.#drain();
  }

  /**
   * Run `task` now or when a slot frees, holding `bytes` of the budget until it ends. Returns why it was refused
   * (and never runs it), or undefined when it was accepted.
   */
  tryRun(task: () => Promise<void>, bytes = 0): LimiterRefusal | undefined {
    if (this.#closed) return 'closed';
    if (this.#bytes > 0 && this.#bytes + bytes > this.#bounds.maxBytes) return 'bytes';
    const start = () => {
      this.#active++;
      task()
        .catch(() => undefined)
        .finally(() => {
          this.#active--;
          this.#bytes -= bytes;
          this.#drain();
        });
    };
    if (this.#active < this.#bounds.maxConcurrent) {
      this.#bytes += bytes;
      start();
      return undefined;
    }
    if (this.#queue.length >= this.#bounds.maxQueued) return 'queue';
    this.#bytes += bytes;
    this.#queue.push({ start, bytes });
    return undefined;
  }

  /** Drop every waiting task (they never run) and refuse new ones. Running tasks finish on their own. */
  close(): number {
    this.#closed = true;
    const dropped = this.#queue.length;
    for (const q of this.#queue) this.#bytes -= q.bytes;
    this.#queue.length = 0;
    return dropped;
  }

  #drain(): void {
    while (!this.#closed && this.#active < this.#bounds.maxConcurrent && this.#queue.length > 0) this.#queue.shift()!.start();
  }
}
