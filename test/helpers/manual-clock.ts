import type { Clock, TimerHandle } from '../../src/clock.js';

interface Timer extends TimerHandle {
  /** When it falls due (on this clock's time line). */
  at: number;
  /** Order of creation: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
  /** The period of an interval; undefined for a timeout. */
  every: number | undefined;
}

/** The default start: 2023-11-14T22:13:20Z, a round epoch value that reads well in assertions. */
export const MANUAL_CLOCK_START = 1_700_000_000_000;

/**
 * The one hand-driven {@link Clock} of the tests (STYLE §5): time moves only when the test calls {@link advance},
 * which fires every timer that falls due on the way, in time order (ties in the order they were set), intervals
 * re-armed. A timer set by a callback during `advance` fires in the same call if it falls due before its end.
 * Real sockets keep running on real time; only the code under test's own timers are driven.
 *
 * `now()` and `monotonic()` read the same value (durations are differences, so the epoch offset does not matter).
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();

  constructor(start = MANUAL_CLOCK_START) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    // A negative or zero delay runs at the next advance, never in the past (Node clamps likewise).
    return this.#add(fn, Math.max(0, ms), undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    // At least 1 ms, as in Node: a 0 ms interval would make advance() loop for ever.
    const every = Math.max(1, ms);
    return this.#add(fn, every, every);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete(handle as Timer);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  /** Timers set and not yet fired (timeouts) or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#now = next.at;
      if (next.every === undefined) this.#timers.delete(next);
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }

  #add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const t: Timer = { at: this.#now + ms, seq: this.#seq++, fn, every, unref: () => t };
    this.#timers.add(t);
    return t;
  }
}
