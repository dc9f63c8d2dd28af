import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { killAll, MAIN, spawnNbwss, type Spawned } from '../helpers/cli.js';
import { daemonConfig } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordingEndpoint, addEndpoint, type ReceivedRequest } from './endpoint.js';
import { job, rows, withoutTimeStamp } from './helpers.js';

/**
 * Crash safety (issue 4): the built daemon (`node dist/cli/main.js run`) is killed with SIGKILL at random points
 * while it delivers 2,000 notifications to two slow-acking endpoints (two server groups), and restarted each
 * time. Every notification must reach every group at least once, and a group's stream may only repeat a whole
 * batch (same id, same bytes) — never go backwards otherwise, never skip.
 */

const TOTAL = 2000;
const KILLS = 12;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  killAll();
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** mulberry32: a seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function startDaemonProcess(configFile: string, cwd: string): Spawned {
  return spawnNbwss(['run', '--config', configFile], { cwd });
}

/** Check one group's stream: whole-batch resends only, otherwise each new batch continues exactly where the last ended. */
function checkStream(requests: readonly ReceivedRequest[]): { batches: number; resends: number } {
  const firstRaw = new Map<string, string>();
  let delivered = 0;
  let resends = 0;
  for (const r of requests) {
    const ids = r.msg.payload.flatMap((e) => e.data.map((d) => d.jobId as number));
    const seen = firstRaw.get(r.msg.id);
    if (seen !== undefined) {
      // a resend: the same id and payload bytes, the timeStamp of that send
      expect(withoutTimeStamp(r.raw), `resend of ${r.msg.id} differs`).toBe(withoutTimeStamp(seen));
      // sent no earlier than the first send, and before it arrived
      expect(r.msg.timeStamp, `resend of ${r.msg.id}: timeStamp before the first send`).toBeGreaterThanOrEqual((JSON.parse(seen) as { timeStamp: number }).timeStamp);
      expect(r.msg.timeStamp, `resend of ${r.msg.id}: timeStamp after its arrival`).toBeLessThanOrEqual(Math.floor(r.at / 1000));
      resends++;
      continue;
    }
    firstRaw.set(r.msg.id, r.raw);
    expect(ids, `new batch ${r.msg.id} after ${delivered}`).toEqual(ids.map((_, i) => delivered + 1 + i));
    delivered = ids.at(-1)!;
  }
  expect(delivered).toBe(TOTAL);
  return { batches: firstRaw.size, resends };
}

describe('crash safety', () => {
  it(`delivers ${TOTAL} notifications at least once, in order, to two groups through ${KILLS} kill -9 and restarts`, { timeout: 120_000 }, async () => {
    expect(existsSync(MAIN), `${MAIN} missing: run npm run build`).toBe(true);
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const dir = tempDir();
    const config = daemonConfig(dir);
    const g1 = await RecordingEndpoint.start('127.0.0.2', { delayMs: 8 });
    const g2 = await RecordingEndpoint.start('127.0.0.3', { delayMs: 8 });
    cleanup.push(() => g1.stop(), () => g2.stop());
    addEndpoint(config, g1.server, 'ep1.test', 'G1');
    addEndpoint(config, g2.server, 'ep2.test', 'G2');
    const configFile = join(dir, 'nbwss.properties');
    writeFileSync(
      configFile,
      [
        `db.path=${config.db.path}`,
        `security.keyFile=${config.security.keyFile}`,
        'admin.listen=',
        'log.level=error',
        'connectionInfo.period=0.1',
        'notification.delay=0',
        'notification.scheduledRate=0.3',
        'notification.sendTimeout=100',
        'notification.maxBatchSize=10',
        '',
      ].join('\n'),
    );

    // the notifications are appended by this process (as `nbwss notify` would): half now, the rest between crashes
    const store = Store.open(config.db.path);
    cleanup.push(() => store.close());
    const outbox = new OutboxStore(store);
    let appended = 0;
    const append = (n: number) => {
      const list = Array.from({ length: Math.min(n, TOTAL - appended) }, (_, i) => job(appended + i + 1));
      if (list.length > 0) outbox.append([{ rows: rows('JOB', list), raisedAt: Date.now() }]);
      appended += list.length;
    };
    append(TOTAL / 2);

    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const d = startDaemonProcess(configFile, dir);
      // kill at a random point: as it connects, or after a random number of requests plus a random few ms
      const when = random();
      if (k % 4 === 3) {
        await g1.server.waitFor('connectRequest', () => true, 20_000);
        kills.push('at connect');
      } else {
        const target = 1 + Math.floor(random() * 6);
        let count = 0;
        await new Promise<void>((resolve, reject) => {
          const onRequest = () => {
            if (++count < target) return;
            g1.off('request', onRequest);
            setTimeout(resolve, Math.floor(when * 15));
          };
          g1.on('request', onRequest);
          void d.exit.then(() => reject(new Error(`daemon exited by itself: ${d.stderr()}`)));
        });
        kills.push(`after ${target} requests`);
      }
      d.signal('SIGKILL');
      await d.exit;
      append(TOTAL / 2 / KILLS + 1);
    }
    append(TOTAL);

    const last = startDaemonProcess(configFile, dir);
    const all = Array.from({ length: TOTAL }, (_, i) => i + 1);
    await Promise.all([g1.receivedAll(all, 60_000), g2.receivedAll(all, 60_000)]);
    last.signal('SIGTERM');
    await last.exit;

    const context = `seed ${seed} (CRASH_SEED=${seed} replays it); kills: ${kills.join(', ')}`;
    expect(kills.length, context).toBeGreaterThanOrEqual(10);
    for (const ep of [g1, g2]) {
      const { batches } = checkStream(ep.requests);
      expect(batches, context).toBeGreaterThanOrEqual(TOTAL / 10);
    }
    // the daemon was stopped right after the last request arrived: its acknowledgement may not be committed yet
    for (const g of outbox.groups()) {
      if (g.inflight) expect([g.groupId, g.cursorSeq, g.inflight.lastSeq], context).toEqual([g.groupId, g.inflight.firstSeq - 1, TOTAL]);
      else expect([g.groupId, g.cursorSeq], context).toEqual([g.groupId, TOTAL]);
    }
  });
});
