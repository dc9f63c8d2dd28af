import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/clock.js';
import { MANUAL_CLOCK_START, ManualClock } from './manual-clock.js';

describe('ManualClock (the tests’ one hand-driven clock)', () => {
  it('starts where told and moves only on advance', () => {
    expect(new ManualClock().now()).toBe(MANUAL_CLOCK_START);
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(clock.monotonic()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(clock.monotonic()).toBe(1250);
  });

  it('fires due timers in time order, ties in the order set, each at its own time', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    clock.advance(30);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.pending).toBe(1);
  });

  it('re-arms intervals, interleaves them with timeouts, and stops them when cleared', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const every = clock.setInterval(() => fired.push(`i@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`t@${clock.now()}`), 15);
    clock.advance(35);
    expect(fired).toEqual(['i@10', 't@15', 'i@20', 'i@30']);
    clock.clearInterval(every);
    clock.advance(100);
    expect(fired).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('fires a timer set by a callback within the same advance when it falls due', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 10);
    clock.advance(15);
    expect(fired).toEqual([15]);
  });

  it('clears timeouts, never fires in the past, and drives sleep()', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.clearTimeout(clock.setTimeout(() => fired.push(1), 5));
    clock.clearTimeout(undefined);
    clock.setTimeout(() => fired.push(clock.now()), -5);
    expect(clock.setTimeout(() => undefined, 1).unref()).toBeDefined();
    clock.advance(0);
    expect(fired).toEqual([0]);
    let done = false;
    const slept = sleep(clock, 100).then(() => (done = true));
    clock.advance(99);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await slept;
    expect(done).toBe(true);
  });
});
