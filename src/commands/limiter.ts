/**
 * Bounded concurrency with a bounded FIFO queue: at most `maxConcurrent` tasks run; up to `maxQueued` wait;
 * past that `tryRun` refuses at once (the caller answers 503). One limiter per connection.
 */
export class Limiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];
  #closed = false;

  constructor(
    private maxConcurrent: number,
    private maxQueued: number,
  ) {}

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Change the bounds (config reload); takes effect for the next task. */
  resize(maxConcurrent: number, maxQueued: number): void {
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
    this.#drain();
  }

  /**
   * Run `task` now or when a slot frees. Returns false (and never runs it) when the queue is full or the limiter
   * is closed.
   */
  tryRun(task: () => Promise<void>): boolean {
    if (this.#closed) return false;
    const start = () => {
      this.#active++;
      task()
        .catch(() => undefined)
        .finally(() => {
          this.#active--;
          this.#drain();
        });
    };
    if (this.#active < this.maxConcurrent) {
      start();
      return true;
    }
    if (this.#queue.length >= this.maxQueued) return false;
    this.#queue.push(start);
    return true;
  }

  /** Drop every waiting task (they never run) and refuse new ones. Running tasks finish on their own. */
  close(): number {
    this.#closed = true;
    const dropped = this.#queue.length;
    this.#queue.length = 0;
    return dropped;
  }

  #drain(): void {
    while (!this.#closed && this.#active < this.maxConcurrent && this.#queue.length > 0) this.#queue.shift()!();
  }
}
