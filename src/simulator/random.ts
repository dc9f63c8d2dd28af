/**
 * A small seeded pseudo-random generator (mulberry32): the simulator's only source of randomness, so the same
 * `simulator.seed` gives the same jobs, clients, policies, durations and status codes.
 */

/** Seeded random numbers. Not for anything secret. */
export class Random {
  #state: number;

  /** Any safe integer seed; seeds that differ only above 2^32 still give different sequences. */
  constructor(seed: number) {
    const high = Math.floor(Math.abs(seed) / 2 ** 32);
    this.#state = (seed ^ Math.imul(high, 0x9e3779b1)) >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One item of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick of an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One item, chosen with the given weights (> 0). */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((n, [, w]) => n + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** `count` numbers in [min, max), sorted ascending. */
  sortedFractions(count: number, min: number, max: number): number[] {
    return Array.from({ length: count }, () => min + this.next() * (max - min)).sort((a, b) => a - b);
  }
}
