import { conventionProblems } from '../helpers/json-conventions.js';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { assertBuilt, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { image, job } from './helpers.js';

/** A properties file pointing at a fresh database. */
function setup(): { config: string; db: string; dir: string } {
  const dir = tempDir();
  const db = join(dir, 'nbwss.db');
  const config = join(dir, 'nbwss.properties');
  writeFileSync(config, `db.path=${db}\nsecurity.keyFile=${join(dir, 'nbwss.key')}\nlog.level=warn\n`);
  return { config, db, dir };
}

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function rowsIn(db: string): { rows: number; data: unknown[] } {
  const store = Store.open(db);
  stores.push(store);
  const outbox = new OutboxStore(store);
  return { rows: outbox.stats().rows, data: outbox.readAfter(0, 1000).map((r) => JSON.parse(r[2])) };
}

beforeAll(assertBuilt);

describe('nbwss notify', () => {
  it('appends one object (--data), an array (--file) and stdin (-), printing the seq range', async () => {
    const { config, db, dir } = setup();
    const one = await runCli(['notify', '--config', config, '--object', 'JOB', '--data', JSON.stringify(job(7))]);
    expect(one).toMatchObject({ code: 0, stdout: 'raised 1 JOB notification: seq 1\n' });
    const file = join(dir, 'images.json');
    writeFileSync(file, JSON.stringify([image(1), image(2, 'DELETE')]));
    const many = await runCli(['notify', '--config', config, '--object', 'image', '--file', file]);
    expect(many).toMatchObject({ code: 0, stdout: 'raised 2 IMAGE notifications: seq 2-3\n' });
    const piped = await runCli(['notify', '--config', config, '--object', 'JOB', '--json', '-'], { input: JSON.stringify([job(8), job(9)]) });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({ object: 'JOB', firstSeq: 4, lastSeq: 5, count: 2 });
    expect(rowsIn(db).data).toEqual([job(7), image(1), image(2, 'DELETE'), job(8), job(9)]);
  });

  it('warns on stderr (exit 0, notifications stored) while no server group exists; silent once one does', async () => {
    const { config, db } = setup();
    const warning = /^nbwss: warning: no server group exists .*will not be delivered.*raised after it\n$/;
    const alone = await runCli(['notify', '--config', config, '--object', 'JOB', '--data', JSON.stringify(job(1))]);
    expect(alone).toMatchObject({ code: 0, stdout: 'raised 1 JOB notification: seq 1\n' });
    expect(alone.stderr).toMatch(warning);
    const json = await runCli(['notify', '--config', config, '--object', 'JOB', '--json', '--data', JSON.stringify(job(2))]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ object: 'JOB', firstSeq: 2, lastSeq: 2, count: 1 });
    expect(json.stderr).toMatch(warning);
    expect(rowsIn(db).rows).toBe(2);

    const store = Store.open(db);
    stores.push(store);
    store.db.prepare("INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES ('g1', 2, 0)").run();
    const subscribed = await runCli(['notify', '--config', config, '--object', 'JOB', '--data', JSON.stringify(job(3))]);
    expect(subscribed).toEqual({ code: 0, stdout: 'raised 1 JOB notification: seq 3\n', stderr: '' });
  });

  it('rejects bad input with exit 1 and a message naming the field, storing nothing', async () => {
    const { config, db } = setup();
    const { jobId: _drop, ...noJobId } = job(1);
    const notify = (object: string, data: string) => runCli(['notify', '--config', config, '--object', object, '--data', data]);
    const [missing, oneBad, notInt, notJson, noFile] = await Promise.all([
      notify('JOB', JSON.stringify(noJobId)),
      notify('IMAGE', JSON.stringify([image(1), { ...image(2), operationId: 'MOVE' }])),
      notify('JOB', JSON.stringify({ ...job(1), status: '0' })),
      notify('JOB', '{jobId: 1'),
      runCli(['notify', '--config', config, '--object', 'JOB', '--file', '/nonexistent/jobs.json']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/JOB data\.jobId is missing/);
    expect(oneBad.code).toBe(1);
    expect(oneBad.stderr).toMatch(/IMAGE data\[1\]\.operationId must be one of CREATE, UPDATE, DELETE, NO_LOCAL_COPY_AVAILABLE/);
    expect(notInt.stderr).toMatch(/status must be an integer/);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/--data: not valid JSON: expected a member name in double quotes, found 'j' at line 1, column 2/);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/cannot read --file \/nonexistent\/jobs\.json/);
    expect(rowsIn(db).rows).toBe(0);
  });

  it('refuses invalid UTF-8, a number that cannot be read back, and deep nesting, naming the place; stores nothing (issue 10 D14)', async () => {
    const { config, db, dir } = setup();
    const badUtf8 = join(dir, 'bad-utf8.json');
    const text = JSON.stringify(job(1));
    const at = text.indexOf('"clientName":"') + '"clientName":"'.length;
    writeFileSync(badUtf8, Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(at))]));
    const big = JSON.stringify([job(1), job(2)]).replace(/"jobId":2\b/, '"jobId":12345678901234567890');
    const huge = JSON.stringify(job(1)).replace(/"status":0/, '"status":1e400');
    const deep = JSON.stringify({ ...job(1), extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const [utf8, bigInt, inf, tooDeep] = await Promise.all([
      runCli(['notify', '--config', config, '--object', 'JOB', '--file', badUtf8]),
      runCli(['notify', '--config', config, '--object', 'JOB', '--data', big]),
      runCli(['notify', '--config', config, '--object', 'JOB', '--data', huge]),
      runCli(['notify', '--config', config, '--object', 'JOB', '-'], { input: deep }),
    ]);
    expect(utf8.code).toBe(1);
    expect(utf8.stderr).toContain(`nbwss: ${badUtf8}: not valid UTF-8 at byte ${at}`);
    expect(bigInt.code).toBe(1);
    expect(bigInt.stderr).toContain('--data: field $[1].jobId: the number 12345678901234567890 would be read as 12345678901234567000: it cannot be read back exactly (send it as a string)');
    expect(inf.stderr).toContain('--data: field $.status: the number 1e400 is beyond the range of a double');
    expect(tooDeep.code).toBe(1);
    expect(tooDeep.stderr).toMatch(/stdin: field \$\.extra(\[0\])+: nested deeper than 64 levels/);
    expect(tooDeep.stderr).not.toContain('Maximum call stack');
    expect(rowsIn(db).rows).toBe(0);
  });

  it('exits 2 on usage errors', async () => {
    const { config } = setup();
    const data = JSON.stringify(job(1));
    const cases = [
      ['--data', data], // no --object
      ['--object', 'FILE', '--data', data],
      ['--object', 'JOB'], // no input
      ['--object', 'JOB', '--data', data, '--file', 'x.json'],
      ['--object', 'JOB', 'extra'],
    ];
    const results = await Promise.all(cases.map((args) => runCli(['notify', '--config', config, ...args])));
    results.forEach((r, i) => {
      expect({ args: cases[i], code: r.code }).toEqual({ args: cases[i], code: 2 });
      expect(r.stderr).not.toBe('');
    });
  });
});

describe('nbwss status', () => {
  it('shows each group: connected endpoint, cursor, backlog, oldest pending, in-flight id and send count', async () => {
    const { config, db } = setup();
    const store = Store.open(db);
    stores.push(store);
    const outbox = new OutboxStore(store);
    store.db.prepare("INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES ('g1', 0, 0), ('g2', 0, 0)").run();
    outbox.append([{ rows: [job(1), job(2), job(3)].map((d) => ({ object: 'JOB' as const, data: JSON.stringify(d) })), raisedAt: Date.now() - 5000 }]);
    outbox.setInflight('g1', { id: '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872', firstSeq: 1, lastSeq: 2, count: 2, timeStamp: 1 }, Date.now());
    outbox.countSend('g1', '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872');
    writeFileSync(config, 'notification.backlogWarning=2\nnotification.retention=2\n', { flag: 'a' });
    const json = await runCli(['status', '--config', config, '--json']);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as { outbox: unknown; groups: Record<string, unknown>[]; warnings: string[] };
    expect(status.outbox).toEqual({ rows: 3, oldestSeq: 1, newestSeq: 3 });
    expect(status.groups).toMatchObject([
      { groupId: 'g1', connectedEndpoint: null, cursor: 0, backlog: 3, inflight: { id: '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872', sendCount: 2, count: 2 } },
      { groupId: 'g2', cursor: 0, backlog: 3, inflight: null },
    ]);
    expect(status.groups[0]!.oldestPendingAgeMs).toBeGreaterThanOrEqual(5000);
    // times are ISO 8601 strings, as in the admin API (and every other convention of docs/operator.md)
    expect(conventionProblems(status, 'status --json')).toEqual([]);
    expect((status as unknown as { at: string }).at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect((status.groups[0]!.inflight as { firstSentAt: string }).firstSentAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    const missing = setup();
    const [human, none] = await Promise.all([runCli(['status', '--config', config]), runCli(['status', '--config', missing.config])]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no database at .*nbwss\.db \(db\.path\)/);
    expect(existsSync(missing.db)).toBe(false);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^outbox: 3 stored notifications \(seq 1-3\), newest seq 3; database \d+(\.\d)? KiB \(\d+(\.\d)? [KMGT]iB free\)\n/);
    expect(human.stdout).toMatch(/GROUP\s+CONNECTED ENDPOINT\s+CURSOR\s+BACKLOG\s+OLDEST PENDING\s+IN-FLIGHT\s+SENDS\s+ACKED/);
    expect(human.stdout).toMatch(/g1\s+-\s+0\s+3\s+\d+\.\ds\s+0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872 \(seq 1-2\)\s+2\s+0 in 0/);
    // both groups are over notification.backlogWarning=2 and hold notifications older than the retention (2 s)
    const warnings = human.stdout.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual(['g1', 'g2'].map((g) => expect.stringMatching(new RegExp(`^warning: server group ${g}: 3 notifications wait for its acknowledgement \\(over notification.backlogWarning=2\\), the oldest for \\d+\\.\\ds; no endpoint of it is connected\\. It holds back pruning for every group`))));
    expect(status).toMatchObject({ database: { bytes: expect.any(Number) }, warnings: [expect.stringContaining('server group g1'), expect.stringContaining('server group g2')] });
  });
});
