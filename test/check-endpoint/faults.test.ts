import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEndpoint, exitCodeOf, type CheckReport } from '../../src/check-endpoint/index.js';
import { assertBuilt, killAll, spawnNbwss } from '../helpers/cli.js';

/**
 * Every fault switch of `nbwss mock-endpoint` makes exactly its check deviate (issue 11): the mock endpoint runs
 * as the real command with the switch on its command line; the checker runs the full profile against it; the one
 * check named here fails (or warns), every other check passes or is skipped because it needs the failed one.
 */
interface Row {
  /** Flags of `nbwss mock-endpoint`. */
  flags: string[];
  check: string;
  status: 'fail' | 'warn';
  /** What the check's message must say. */
  message: RegExp;
}

const TABLE: Row[] = [
  { flags: ['--reject-token'], check: 'connect.valid', status: 'fail', message: /valid:false for the token/ },
  { flags: ['--accept-any-token'], check: 'connect.wrongToken', status: 'fail', message: /valid:true for a wrong token/ },
  { flags: ['--lower-case-ids'], check: 'connect.idCase', status: 'warn', message: /in another case/ },
  { flags: ['--wrong-id', 'connect'], check: 'connect.valid', status: 'fail', message: /CONNECT RESPONSE with id .*; the CONNECT REQUEST's id was/ },
  { flags: ['--early-send'], check: 'connect.first', status: 'fail', message: /messages? before the CONNECT RESPONSE \(main#\d+: COMMAND REQUEST/ },
  { flags: ['--max-payload', '1048576'], check: 'notification.large', status: 'fail', message: /1009.*Python `websockets` limits messages to 1 MiB/s },
  { flags: ['--idle-close', '5600'], check: 'keepalive.idle', status: 'fail', message: /closed the connection \(1000 "idle timeout"\) during 6,400 ms idle/ },
  { flags: ['--no-pong'], check: 'keepalive.pong', status: 'fail', message: /no pong to ping 1 of 3/ },
  { flags: ['--wrong-id', 'ack'], check: 'notification.ack', status: 'fail', message: /a NOTIFICATION RESPONSE came with another id/ },
  { flags: ['--ack-delay', '60000'], check: 'notification.ack', status: 'fail', message: /no NOTIFICATION RESPONSE with its id within/ },
  { flags: ['--drop-acks'], check: 'notification.ack', status: 'fail', message: /no NOTIFICATION RESPONSE with its id within/ },
  { flags: ['--close-after', '1'], check: 'notification.ack', status: 'fail', message: /closed the connection \(1000 "closeAfter 1"\) instead of acknowledging/ },
  { flags: ['--no-re-ack'], check: 'notification.resend', status: 'fail', message: /resend of an id acknowledged .* was not acknowledged again.*de-duplicate by id/s },
  { flags: ['--reject-second-connection'], check: 'close.second', status: 'fail', message: /a second one with the same token got: CONNECT RESPONSE valid:false/ },
  { flags: ['--oversize-frame'], check: 'command.shape', status: 'fail', message: /command\.size ×\d+, e\.g\. COMMAND REQUEST .*frame of 2162688 bytes: over NetBackup's 2 MB limit/s },
];

/**
 * Timings generous where passing depends on speed, short where a failure waits. The idle-close row needs the
 * resend's wait (resendAfterMs, idle time on the main session) well under its 5600 ms and the idle window over it.
 * resendAfterMs is also how long a 1.9 MiB request may take to be acknowledged by a mock endpoint process while
 * five rows run at once: 1500 ms was missed on a loaded 2-core machine, hence 3000.
 */
const TIMINGS = { handshakeTimeoutMs: 4000, sendTimeoutMs: 2000, resendAfterMs: 3000, pongTimeoutMs: 2000, fullIdleMs: 6400, keepAliveIntervalMs: 1000 };

async function runRow(row: Row, cwd: string): Promise<CheckReport> {
  const mock = spawnNbwss(['mock-endpoint', '--listen', '127.0.0.1:0', '--token', 'fault-token', '--json', ...row.flags], { cwd });
  try {
    const listening = JSON.parse(await mock.line(/"event":"listening"/)) as { url: string; fingerprint256: string };
    return await checkEndpoint({
      details: { token: 'fault-token', priority: 1, groupId: 'G1', hostName: '127.0.0.1', url: listening.url },
      trust: { fingerprint: listening.fingerprint256 },
      profile: 'full',
      load: 300,
      timings: TIMINGS,
    });
  } finally {
    mock.signal('SIGTERM');
    await mock.exit;
  }
}

/** Run `fn` over `items`, at most `n` at a time (rows mostly wait on timers: a few at once keeps the file short). */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

describe('check-endpoint: each fault switch of nbwss mock-endpoint fails exactly its check', () => {
  let reports: CheckReport[] = [];
  const cwd = mkdtempSync(join(tmpdir(), 'nbwss-faults-'));
  beforeAll(async () => {
    assertBuilt();
    reports = await pool(TABLE, 5, (row) => runRow(row, cwd));
  }, 120_000);
  afterAll(() => {
    killAll();
    rmSync(cwd, { recursive: true, force: true });
  });

  it.each(TABLE.map((row, i) => [row.flags.join(' '), row.check, i] as const))('mock-endpoint %s → %s', (_flags, _check, i) => {
    const row = TABLE[i]!;
    const report = reports[i]!;
    const target = report.checks.find((c) => c.id === row.check)!;
    expect({ status: target.status, message: target.message }).toEqual({ status: row.status, message: expect.stringMatching(row.message) });
    const others = report.checks.filter((c) => c.id !== row.check && (c.status === 'fail' || c.status === 'warn'));
    expect(others.map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    for (const c of report.checks.filter((x) => x.status === 'skip')) expect(c.message).toMatch(/^needs |nothing to check/);
    expect(exitCodeOf(report)).toBe(row.status === 'fail' ? 1 : 0);
  });

  it('covers every fault switch of the mock endpoint', async () => {
    const { NO_FAULTS } = await import('../../src/endpoint-mock/index.js');
    const flagOf: Record<string, string> = {
      rejectToken: '--reject-token', ackDelayMs: '--ack-delay', dropAcks: '--drop-acks', noPong: '--no-pong', closeAfter: '--close-after',
      oversizeFrame: '--oversize-frame', acceptAnyToken: '--accept-any-token', lowerCaseIds: '--lower-case-ids', wrongId: '--wrong-id',
      noReAck: '--no-re-ack', idleCloseMs: '--idle-close', earlySend: '--early-send', rejectSecondConnection: '--reject-second-connection',
    };
    expect(Object.keys(flagOf).sort()).toEqual(Object.keys(NO_FAULTS).sort());
    const used = new Set(TABLE.flatMap((r) => r.flags));
    for (const flag of [...Object.values(flagOf), '--max-payload']) expect(used.has(flag), flag).toBe(true);
  });
});
