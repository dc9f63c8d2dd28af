import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../src/scheduler/backoff.js';
import { Semaphore } from '../../src/scheduler/semaphore.js';

describe('Semaphore', () => {
  it('grants at most size permits, in FIFO order, and a release is idempotent', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const waiting = [3, 4].map((i) => sem.acquire().then((release) => (order.push(i), release)));
    expect(sem.held).toBe(2);
    expect(sem.waiting).toBe(2);
    r1();
    r1();
    const r3 = await waiting[0]!;
    expect(sem.held).toBe(2);
    expect(sem.waiting).toBe(1);
    r2();
    const r4 = await waiting[1]!;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(sem.held).toBe(0);
    expect(sem.maxHeld).toBe(2);
  });

  it('an aborted wait leaves the queue and rejects with the reason', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const ac = new AbortController();
    const waiting = sem.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(sem.waiting).toBe(0);
    release();
    expect(sem.held).toBe(0);
    await expect(sem.acquire(ac.signal)).rejects.toThrow('stop');
  });

  it('refuses a size below 1', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe('fullJitterDelay', () => {
  it('draws from [0, min(cap, base × 2^failures))', () => {
    expect(fullJitterDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(fullJitterDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(fullJitterDelay(10, 1000, 60_000, () => 0.5)).toBe(30_000);
    expect(fullJitterDelay(1000, 1000, 60_000, () => 0.5)).toBe(30_000);
    expect(fullJitterDelay(5, 1000, 60_000, () => 0)).toBe(0);
  });
});

describe('Semaphore.resize', () => {
  it('growing grants waiters at once; shrinking takes effect as permits come back', async () => {
    const sem = new Semaphore(1);
    const r1 = await sem.acquire();
    const w2 = sem.acquire();
    const w3 = sem.acquire();
    sem.resize(3);
    const [r2, r3] = await Promise.all([w2, w3]);
    expect(sem.held).toBe(3);
    sem.resize(1);
    const w4 = sem.acquire();
    r1();
    r2();
    expect(sem.waiting).toBe(1);
    r3();
    const r4 = await w4;
    expect(sem.held).toBe(1);
    r4();
  });
});
