import type { Clock, TimerHandle } from '../../src/clock.js';

interface Timer extends TimerHandle {
  at: number;
  fn: () => void;
  every: number | undefined;
  cancelled: boolean;
}

/**
 * A {@link Clock} that only moves when the test calls {@link advance}: timers fire in due order, intervals
 * re-arm. Real sockets keep running on real time; only the code under test's own timers are driven.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, undefined);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, ms);
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) (handle as Timer).cancelled = true;
  }
  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }
  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const next = this.#timers.reduce<Timer | undefined>((a, t) => (a === undefined || t.at < a.at ? t : a), undefined);
      if (!next || next.at > end) break;
      this.#now = next.at;
      if (next.every === undefined) next.cancelled = true;
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }

  #add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const t: Timer = { at: this.#now + ms, fn, every, cancelled: false, unref: () => t };
    this.#timers.push(t);
    return t;
  }
}
