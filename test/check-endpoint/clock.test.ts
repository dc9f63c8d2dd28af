import { describe, expect, it } from 'vitest';
import type { CheckProgress, CheckReport } from '../../src/check-endpoint/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { check, mockEndpoint } from './helpers.js';

/**
 * The slow checks on an injected clock shared by the checker and the mock endpoint: two minutes of idle and a late
 * acknowledgement are driven by advancing the clock on the checker's own events, never by waiting.
 */
const byId = (report: CheckReport, id: string) => report.checks.find((c) => c.id === id)!;

/** Run only keepalive.idle (full: two minutes) on `clock`, advancing it by the idle window once the check arms it. */
const idleOnly = (clock: ManualClock) => ({
  clock,
  profile: 'full' as const,
  only: ['keepalive.idle'],
  timings: {},
  onProgress: (e: CheckProgress) => {
    if (e.type === 'wait' && e.id === 'keepalive.idle') clock.advance(e.ms);
  },
});

describe('check-endpoint on a manual clock', () => {
  it('full: the idle connection survives two minutes of keepalive pings', async () => {
    const clock = new ManualClock();
    const endpoint = await mockEndpoint({ clock });
    const report = await check(endpoint, idleOnly(clock));
    expect(byId(report, 'keepalive.idle')).toMatchObject({ status: 'pass', message: expect.stringMatching(/^after 120,000 ms idle \(4 pings, one every 30,000 ms\) the connection acknowledged/) });
  });

  it('full: an endpoint that drops sockets idle for a minute fails keepalive.idle', async () => {
    const clock = new ManualClock();
    const endpoint = await mockEndpoint({ clock, faults: { idleCloseMs: 60_000 } });
    const report = await check(endpoint, idleOnly(clock));
    expect(byId(report, 'keepalive.idle')).toMatchObject({ status: 'fail', message: expect.stringMatching(/120,000 ms idle.*\(1000 "idle timeout"\)/) });
  });

  it.each([
    [1500, 'pass', /^acknowledged in 1,500 ms$/],
    [2500, 'fail', /^acknowledged after 2,500 ms: over notification\.sendTimeout \(2,000 ms\)/],
  ] as const)('an acknowledgement %i ms late (notification.sendTimeout 2000): %s', async (delay, status, message) => {
    const clock = new ManualClock();
    const endpoint = await mockEndpoint({ clock, faults: { ackDelayMs: delay } });
    // the mock arms its acknowledgement timer right after emitting 'notification'
    endpoint.on('notification', () => queueMicrotask(() => clock.advance(delay)));
    const report = await check(endpoint, { clock, only: ['notification.ack'], timings: {} });
    expect(byId(report, 'notification.ack')).toMatchObject({ status, message: expect.stringMatching(message) });
  });
});
