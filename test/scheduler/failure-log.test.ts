import { describe, expect, it } from 'vitest';
import { FailureLog } from '../../src/scheduler/failure-log.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { harness } from './harness.js';

const levels = (lines: { level: string; msg: string; repeated?: unknown }[]) => lines.map((l) => `${l.level} ${l.msg.replace(/ since [0-9T:.Z-]+/, ' since T')}${l.repeated ? ` [${String(l.repeated)}]` : ''}`);

describe('repeated connection failures are logged once, then summarised (issue 10 D18)', () => {
  it('FailureLog: warn when a failure starts or changes, debug while it repeats, a reminder each hour, a summary when it ends', () => {
    const { logger, lines } = captureLogger();
    const clock = new ManualClock();
    const log = new FailureLog(logger, clock);
    log.failed('ep', 'pin', { hostName: 'ep' }, 'connection attempt failed (pin_mismatch)');
    clock.advance(60_000);
    log.failed('ep', 'pin', { hostName: 'ep' }, 'connection attempt failed (pin_mismatch)');
    log.failed('other', 'refused', { hostName: 'other' }, 'connection attempt failed (unreachable)');
    clock.advance(3_600_000);
    log.failed('ep', 'pin', { hostName: 'ep' }, 'connection attempt failed (pin_mismatch)');
    log.failed('ep', 'timeout', { hostName: 'ep' }, 'connection attempt failed (handshake_timeout)');
    log.succeeded('ep');
    log.succeeded('other'); // failed once: nothing to summarise
    expect(levels(lines)).toEqual([
      'warn connection attempt failed (pin_mismatch)',
      'debug connection attempt failed (pin_mismatch) [2]',
      'warn connection attempt failed (unreachable)',
      'warn connection attempt failed (pin_mismatch): still failing (3 attempts since T) [3]',
      'info connection attempt failed (pin_mismatch): repeated 3 times since T; it now fails differently [3]',
      'warn connection attempt failed (handshake_timeout)',
    ]);
    expect(lines.at(-2)).toMatchObject({ durationMs: 3_660_000 });
  });

  it('the scheduler: five periods of the same rejection give one warning; connecting gives the summary; every attempt is still an event', async () => {
    const clock = new ManualClock();
    const h = await harness({}, { clock });
    const s = await h.server({ paths: { '/': { token: 'RIGHT' } } });
    h.add(s, { hostName: 'ep', groupId: 'G', priority: 1, token: 'WRONG' });
    for (let i = 0; i < 5; i++) await h.scheduler.tickNow();
    s.behave('/', {});
    await h.scheduler.tickNow();
    const relevant = h.lines.filter((l) => l.hostName === 'ep' && /connection attempt failed/.test(l.msg));
    expect(levels(relevant)).toEqual([
      'warn connection attempt failed (rejected)',
      'debug connection attempt failed (rejected) [2]',
      'debug connection attempt failed (rejected) [3]',
      'debug connection attempt failed (rejected) [4]',
      'debug connection attempt failed (rejected) [5]',
      'info connection attempt failed (rejected): repeated 5 times since T; connected now [5]',
    ]);
    expect(h.failures).toHaveLength(5);
    expect(h.events.at(-1)).toBe('connected G ep');
  });
});
