import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { killAll, MAIN, runCli, spawnNbwss, type Spawned } from '../helpers/cli.js';
import { daemonConfig } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordingEndpoint, addEndpoint, type ReceivedRequest } from './endpoint.js';
import { job, rows, withoutTimeStamp } from './helpers.js';

/**
 * How long one expected event may take before the test fails: only a failure waits it out. Generous because a
 * daemon restart on a loaded 2-core machine (the whole suite, two Node versions) once took over 20 s.
 */
const WAIT_MS = 45_000;

/**
 * Crash safety (issue 4, issue 10 F23 and B6): the built daemon (`node dist/cli/main.js run`) delivers 2,000
 * notifications to two slow-acking server groups and is killed with SIGKILL at random points, restarted each time.
 * Between kills the operator changes endpoints in the middle of delivery, through the real CLI: G1's only endpoint
 * is deleted and added again (the guide's token renewal), and G2's endpoint is moved to another server with
 * `nbwss endpoints update --url --fingerprint` (so G2's stream runs over two servers).
 *
 * Every notification must reach every group at least once, and a group's stream may only repeat a whole batch
 * (same id, same payload bytes) — never go backwards otherwise, never skip: nothing lost, order kept. Resends must
 * happen: a batch still unacknowledged at a kill is the first request the restarted daemon sends (same id).
 * Every failure message starts with the random seed (CRASH_SEED=… replays the run) and the actions so far.
 */

const TOTAL = 2000;
const KILLS = 12;
/** Acknowledgements come this long after a request, so kills often find a batch in flight. */
const ACK = { delayMs: 8 };

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
  expect(delivered, 'notifications delivered in order').toBe(TOTAL);
  return { batches: firstRaw.size, resends };
}

/** The requests of several servers of one group, in arrival order. */
function merged(...eps: RecordingEndpoint[]): ReceivedRequest[] {
  return eps.flatMap((e) => e.requests).sort((a, b) => a.at - b.at);
}

/** Resolves once jobs 1…`total` have all reached one of `eps` (a group whose endpoint moved between servers). */
function receivedAllAcross(eps: RecordingEndpoint[], total: number, timeoutMs: number): Promise<void> {
  const complete = () => new Set(eps.flatMap((e) => e.received)).size === total;
  if (complete()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      for (const e of eps) e.off('request', check);
    };
    const check = () => {
      if (!complete()) return;
      stop();
      resolve();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`not every notification reached the group within ${timeoutMs} ms`));
    }, timeoutMs);
    for (const e of eps) e.on('request', check);
  });
}

describe('crash safety', () => {
  it(`delivers ${TOTAL} notifications at least once, in order, to two groups through ${KILLS} kill -9, restarts, delete/re-add and endpoints update`, { timeout: 300_000 }, async () => {
    expect(existsSync(MAIN), `${MAIN} missing: run npm run build`).toBe(true);
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const actions: string[] = [];
    try {
      await run(seed, actions);
    } catch (err) {
      // every failure names the seed, whatever raised it (an expectation, a timeout, the daemon exiting)
      if (err instanceof Error) err.message = `seed ${seed} (CRASH_SEED=${seed} replays it); actions: ${actions.join(', ')}\n${err.message}`;
      throw err;
    }
  });
});

async function run(seed: number, actions: string[]): Promise<void> {
  const random = prng(seed);
  const dir = tempDir();
  const config = daemonConfig(dir);
  const g1 = await RecordingEndpoint.start('127.0.0.2', ACK);
  const g2a = await RecordingEndpoint.start('127.0.0.3', ACK);
  const g2b = await RecordingEndpoint.start('127.0.0.4', ACK);
  cleanup.push(() => g1.stop(), () => g2a.stop(), () => g2b.stop());
  addEndpoint(config, g1.server, 'ep1.test', 'G1');
  addEndpoint(config, g2a.server, 'ep2.test', 'G2');
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
  const ep1File = join(dir, 'ep1.json');
  writeFileSync(ep1File, JSON.stringify({ token: 'RENEWED-TOKEN', priority: 1, groupId: 'G1', hostName: 'ep1.test', url: g1.server.url('/') }));
  const cli = async (...args: string[]) => {
    const r = await runCli([...args, '--config', configFile], { cwd: dir });
    expect(r.code, `nbwss ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  // the notifications are appended by this process (as `nbwss notify` would): a quarter now, 100 before each restart
  // (at least ten fresh batches per group for every round to wait on), the rest at the end
  const store = Store.open(config.db.path);
  cleanup.push(() => store.close());
  const outbox = new OutboxStore(store);
  let appended = 0;
  const append = (n: number) => {
    const list = Array.from({ length: Math.min(n, TOTAL - appended) }, (_, i) => job(appended + i + 1));
    if (list.length > 0) outbox.append([{ rows: rows('JOB', list), raisedAt: Date.now() }]);
    appended += list.length;
  };
  append(TOTAL / 4);

  /** Resolves after `n` more requests reach `ep`; rejects when the daemon exits by itself first. */
  const requests = (ep: RecordingEndpoint, n: number, d: Spawned) =>
    new Promise<void>((resolve, reject) => {
      let count = 0;
      const timer = setTimeout(() => reject(new Error(`no ${n} requests within ${WAIT_MS / 1000} s (${count} came)`)), WAIT_MS);
      const onRequest = () => {
        if (++count < n) return;
        ep.off('request', onRequest);
        clearTimeout(timer);
        resolve();
      };
      ep.on('request', onRequest);
      void d.exit.then(() => reject(new Error(`daemon exited by itself: ${d.stderr()}`)));
    });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** `p`, or a rejection naming the daemon's stderr when the daemon exits by itself first. */
  const within = <T>(p: Promise<T>, d: Spawned) => Promise.race([p, d.exit.then(() => Promise.reject(new Error(`daemon exited by itself: ${d.stderr()}`)))]);

  /** Batches unacknowledged at a kill: the request at `index` (the first after the restart) must resend `id`. */
  const mustResend: { id: string; index: number }[] = [];
  let g2 = g2a; // the server G2's endpoint points at
  for (let k = 0; k < KILLS; k++) {
    const kind = k % 4;
    const held = kind === 0 ? g1.next(() => true, WAIT_MS) : undefined;
    // rounds 0-2 hold the round's first request unacknowledged (set before the start)
    if (kind === 0 || kind === 1) g1.ack = 'manual';
    if (kind === 2) g2.ack = 'manual';
    const d = spawnNbwss(['run', '--config', configFile], { cwd: dir });
    if (kind === 0) {
      // kill with G1's batch in flight: never acknowledged by this daemon
      const r = await within(held!, d);
      d.signal('SIGKILL');
      await d.exit;
      g1.ack = ACK;
      mustResend.push({ id: r.msg.id, index: g1.requests.length });
      actions.push(`kill with ${r.msg.id} in flight`);
    } else if (kind === 1) {
      // G1's last endpoint deleted and added again with a batch in flight: the re-added endpoint gets that batch
      // first (same id), then delivery goes on; a kill a few requests later
      const r = await within(g1.next(() => true, WAIT_MS), d);
      const deleted = await cli('endpoints', 'delete', 'ep1.test');
      expect(deleted).toMatch(/^ep1\.test deleted\nIt was the last endpoint of group G1, which holds \d+ undelivered notifications?\./);
      const index = g1.requests.length; // the connection was closed by the run after the delete
      const resent = g1.next((x) => x.msg.id === r.msg.id, WAIT_MS);
      await cli('endpoints', 'add', '--file', ep1File, '--accept-certificate');
      g1.respond(await within(resent, d));
      g1.ack = ACK;
      expect(g1.requests[index]?.msg.id, 'first request after the re-add').toBe(r.msg.id);
      actions.push(`G1 deleted and added again with ${r.msg.id} in flight`);
      const more = 1 + Math.floor(random() * 3);
      await requests(g1, more, d);
      await pause(Math.floor(random() * 15));
      d.signal('SIGKILL');
      await d.exit;
      actions.push(`kill ${more} requests after the re-add`);
    } else if (kind === 2) {
      // G2's endpoint moved to the other server with a batch in flight: redialled at the next run of the connection
      // task, the new server gets that batch first (same id), then delivery goes on there
      const r = await within(g2.next(() => true, WAIT_MS), d);
      const next = g2 === g2a ? g2b : g2a;
      const resent = next.next((x) => x.msg.id === r.msg.id, WAIT_MS);
      const index = next.requests.length;
      const updated = await cli('endpoints', 'update', 'ep2.test', '--url', next.server.url('/'), '--fingerprint', next.server.fingerprint);
      expect(updated).toContain('takes effect at the next run of the connection task');
      next.respond(await within(resent, d));
      g2.ack = ACK;
      expect(next.requests[index]?.msg.id, 'first request at the new url').toBe(r.msg.id);
      g2 = next;
      actions.push(`G2 moved to ${next.server.host} with ${r.msg.id} in flight`);
      await requests(g2, 1 + Math.floor(random() * 3), d);
      await pause(Math.floor(random() * 15));
      d.signal('SIGKILL');
      await d.exit;
      actions.push('kill after the move');
    } else {
      await g1.server.waitFor('connectRequest', () => true, WAIT_MS);
      d.signal('SIGKILL');
      await d.exit;
      actions.push('kill at connect');
    }
    append(100);
  }
  append(TOTAL);

  const last = spawnNbwss(['run', '--config', configFile], { cwd: dir });
  const all = Array.from({ length: TOTAL }, (_, i) => i + 1);
  await Promise.all([g1.receivedAll(all, 60_000), receivedAllAcross([g2a, g2b], TOTAL, 60_000)]);
  last.signal('SIGTERM');
  await last.exit;

  expect(actions.filter((a) => a.startsWith('kill')).length).toBe(KILLS);
  const s1 = checkStream(g1.requests);
  const s2 = checkStream(merged(g2a, g2b));
  for (const s of [s1, s2]) expect(s.batches).toBeGreaterThanOrEqual(TOTAL / 10);
  // resends happened, and where they must: first thing after the restart, same id
  expect(mustResend).toHaveLength(Math.ceil(KILLS / 4));
  for (const { id, index } of mustResend) expect(g1.requests[index]?.msg.id, `first request after the kill with ${id} in flight`).toBe(id);
  expect(s1.resends).toBeGreaterThanOrEqual(mustResend.length);
  expect(g2a.requests.length > 0 && g2b.requests.length > 0, 'G2 delivered through both servers').toBe(true);
  // the daemon was stopped right after the last request arrived: its acknowledgement may not be committed yet
  for (const g of outbox.groups()) {
    expect(g.deletedAt, `${g.groupId} has an endpoint again`).toBeNull();
    if (g.inflight) expect([g.groupId, g.cursorSeq, g.inflight.lastSeq]).toEqual([g.groupId, g.inflight.firstSeq - 1, TOTAL]);
    else expect([g.groupId, g.cursorSeq]).toEqual([g.groupId, TOTAL]);
  }
}
