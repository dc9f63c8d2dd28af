import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { validateNotifications } from '../../src/protocol/notification-data.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { killAll, runCli, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** `nbwss simulate` (burst mode) as a user runs it: the built CLI appending to a database another process reads. */

afterEach(() => killAll());

function setup(): { dir: string; config: string; db: string } {
  const dir = tempDir();
  const db = join(dir, 'nbwss.db');
  const config = join(dir, 'nbwss.properties');
  writeFileSync(config, `db.path=${db}\nsecurity.keyFile=${join(dir, 'nbwss.key')}\nlog.level=warn\nadmin.listen=\n`);
  return { dir, config, db };
}

function outbox(db: string): { object: string; data: Record<string, unknown> }[] {
  const store = Store.open(db);
  try {
    return new OutboxStore(store).readAfter(0, 100_000).map((r) => ({ object: r[1], data: JSON.parse(r[2]) as Record<string, unknown> }));
  } finally {
    store.close();
  }
}

describe('nbwss simulate', () => {
  it('runs N scenarios at a rate, appends valid notifications with job ids from 1000000, prints a JSON summary, exits 0', async () => {
    const { dir, config, db } = setup();
    const run = spawnNbwss(['simulate', '--config', config, '--jobs', '12', '--rate', '6000', '--poll-interval', '0.05', '--seed', '4', '--json'], { cwd: dir });
    const exit = await run.exit;
    expect(exit.code, run.stderr()).toBe(0);
    const summary = JSON.parse(run.stdout()) as { outcome: string; scenarios: number; notifications: number; seq: { first: number; last: number } };
    expect(summary).toMatchObject({ outcome: 'done', scenarios: 12, seq: { first: 1, last: summary.notifications } });
    const rows = outbox(db);
    expect(rows).toHaveLength(summary.notifications);
    for (const r of rows) expect(() => validateNotifications(r.object as 'JOB' | 'IMAGE', r.data)).not.toThrow();
    const ids = rows.filter((r) => r.object === 'JOB').map((r) => r.data.jobId as number);
    expect(Math.min(...ids)).toBe(1_000_000);
  });

  it('--serve-netbackup serves the same world over REST until SIGINT', async () => {
    const { dir, config } = setup();
    const run = spawnNbwss(['simulate', '--config', config, '--jobs', '3', '--rate', '6000', '--poll-interval', '0.05', '--scenarios', 'standard', '--serve-netbackup', 'http://127.0.0.1:0'], { cwd: dir });
    const url = (await run.line(/^serving the simulated world at /)).match(/at (http:\/\/\S+) until/)![1]!;
    expect(run.stdout()).toContain(`set netbackup.baseUrl=${url};`);
    const login = await request(`${url}/netbackup/login`, { method: 'POST', headers: { 'content-type': 'application/vnd.netbackup+json;version=1.0' }, body: '{"userName":"admin","password":"password"}' });
    const { token } = (await login.body.json()) as { token: string };
    const jobs = await request(`${url}/netbackup/admin/jobs`, { headers: { authorization: token } });
    const body = (await jobs.body.json()) as { data: { attributes: { jobId: number; state: string } }[] };
    expect(body.data.map((d) => d.attributes.jobId).sort()).toEqual([1_000_000, 1_000_001, 1_000_002]);
    expect(body.data.every((d) => d.attributes.state === 'DONE')).toBe(true);
    run.signal('SIGINT');
    expect((await run.exit).code).toBe(0);
  });

  it('a bad flag value exits 2 naming the flag, not an internal key (issue 10 D17); --jobs is required', async () => {
    const { dir, config } = setup();
    const cases: [string[], RegExp][] = [
      [['--rate', 'abc'], /^nbwss: --rate must be a number greater than 0, got "abc"$/m],
      [['--rate', '0'], /^nbwss: --rate must be a number greater than 0, got "0"$/m],
      [['--scenarios', 'vmware,tape'], /^nbwss: --scenarios names unknown item tape \(known: vmware, standard, restore, failed, expire, air\), got "vmware,tape"$/m],
      [['--seed', '-1'], /^nbwss: --seed must be a whole number, 0 or more, got "-1"$/m],
      [['--poll-interval', '1e3'], /^nbwss: --poll-interval must be a number greater than 0 \(seconds, decimals allowed\), got "1e3"$/m],
      [['--first-job-id', '0'], /^nbwss: --first-job-id must be a whole number, 1 or more, got "0"$/m],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['simulate', '--config', config, '--jobs', '1', ...args], { cwd: dir })));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toMatch(/simulator\./);
    });
    const jobs = await runCli(['simulate', '--config', config, '--jobs', 'many'], { cwd: dir });
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain('--jobs must be a whole number, 1 or more, got "many"');
    const none = await runCli(['simulate', '--config', config], { cwd: dir });
    expect(none.code).toBe(2);
  });

  it('a bad scenario list in the configuration is an error naming the key and the place (exit 1)', async () => {
    const { dir, config } = setup();
    const r = await runCli(['simulate', '--config', config, '--jobs', '1'], { cwd: dir, env: { NBWSS_SIMULATOR_SCENARIOS: 'vmware,tape' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid value for simulator.scenarios: "vmware,tape" names unknown item tape (known: vmware, standard, restore, failed, expire, air) (environment variable NBWSS_SIMULATOR_SCENARIOS)');
  });

  it('warns when no server group exists, as notify does (issue 12 item 11)', async () => {
    const { dir, config } = setup();
    const r = await runCli(['simulate', '--config', config, '--jobs', '1', '--rate', '6000', '--poll-interval', '0.05', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('nbwss: warning: no server group exists (no endpoint has been added): the notifications are stored but will not be delivered');
  });
});
