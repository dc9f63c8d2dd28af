import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { assertBuilt, runCli } from '../helpers/cli.js';
import { rejection } from '../helpers/rejection.js';
import { tempDir } from '../helpers/tmp.js';
import { job, rows } from '../notifications/helpers.js';

/**
 * Issue 10 D15 and B9: database problems name the cause. A full disk, a folder that cannot be written and a corrupt
 * file each give a coded StoreError with the path and the reason. Real SQLite files throughout.
 *
 * The full disk is simulated with `PRAGMA max_page_count` (the file may not grow past its current size), which makes
 * SQLite fail with the very result code a full file system gives (SQLITE_FULL, "database or disk is full"); a real
 * small file system needs mount privileges this suite does not assume.
 */

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function open(path: string): Store {
  const store = Store.open(path);
  stores.push(store);
  return store;
}

/** A database holding `n` JOB notifications for one group at cursor 0, closed (WAL checkpointed into the file). */
function databaseWith(n: number): string {
  const path = join(tempDir(), 'nbwss.db');
  const store = Store.open(path);
  store.db.prepare("INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES ('G1', 0, 0)").run();
  new OutboxStore(store).append([{ rows: rows('JOB', Array.from({ length: n }, (_, i) => job(i + 1))), raisedAt: 1 }]);
  store.close();
  return path;
}

/** Overwrite bytes `from`..`to` (fractions of the file) with 0xFF: the pages there are no longer B-tree pages. */
function corrupt(path: string, from: number, to: number): void {
  const bytes = readFileSync(path);
  bytes.fill(0xff, Math.floor(bytes.length * from), Math.floor(bytes.length * to));
  writeFileSync(path, bytes);
}

beforeAll(assertBuilt);

describe('database faults name their cause', () => {
  it('a full disk: append fails with NBWSS_ERR_DB_FULL naming the path, stores nothing, and works again once there is room', () => {
    const path = databaseWith(10);
    const store = open(path);
    const outbox = new OutboxStore(store);
    store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true })}`);
    const big = rows('JOB', Array.from({ length: 200 }, (_, i) => ({ ...job(100 + i), clientName: 'x'.repeat(500) })));
    let err: unknown;
    try {
      outbox.append([{ rows: big, raisedAt: 2 }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'NBWSS_ERR_DB_FULL' });
    expect((err as Error).message).toBe(
      `disk full: cannot store notifications in ${path} (SQLITE_FULL: database or disk is full); nothing of it was written. Free space on the file system of ${join(path, '..')} and retry`,
    );
    expect(outbox.stats()).toMatchObject({ rows: 10, newestSeq: 10 }); // all or nothing
    expect(store.fault).toBeUndefined(); // a full disk passes: not a lasting fault
    store.db.pragma('max_page_count = 1073741823');
    expect(outbox.append([{ rows: big, raisedAt: 3 }])).toEqual([{ firstSeq: 11, lastSeq: 210, count: 200 }]);
  });

  it('a file that is not a database: Store.open fails with NBWSS_ERR_DB_CORRUPT naming the path', async () => {
    const path = join(tempDir(), 'nbwss.db');
    writeFileSync(path, Buffer.alloc(8192, 7));
    const err = await rejection(() => Store.open(path), StoreError);
    expect(err).toMatchObject({ code: 'NBWSS_ERR_DB_CORRUPT' });
    expect(err.message).toBe(
      `cannot open the database: ${path} is not an SQLite database (SQLITE_NOTADB: file is not a database); point db.path at the nbwss database, or move this file away to start afresh`,
    );
  });

  it('corrupt pages: the read that meets them fails with NBWSS_ERR_DB_CORRUPT, and the store remembers the fault', () => {
    const path = databaseWith(3000);
    corrupt(path, 0.5, 0.95);
    const store = open(path); // the schema and the first pages are intact
    const outbox = new OutboxStore(store);
    expect(outbox.readAfter(0, 10)).toHaveLength(10);
    let err: unknown;
    try {
      for (let cursor = 0; cursor < 3000; cursor += 100) outbox.readAfter(cursor, 100);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'NBWSS_ERR_DB_CORRUPT' });
    expect((err as Error).message).toMatch(new RegExp(`^the database ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt \\(SQLITE_CORRUPT[A-Z_]*: .+\\) while trying to read notifications from the outbox\\. Stop nbwss, keep a copy of the file, then restore it from a backup or salvage what is readable: sqlite3 .+ \\.recover`));
    expect(store.fault).toMatchObject({ code: 'NBWSS_ERR_DB_CORRUPT', message: (err as Error).message });
  });

  it('nbwss notify into a folder this user cannot write: exit 1, the folder and the reason named', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    const config = join(dir, 'nbwss.properties');
    writeFileSync(config, `db.path=${join(ro, 'nbwss.db')}\nsecurity.keyFile=${join(dir, 'nbwss.key')}\n`, { mode: 0o644 });
    // root writes anywhere: run the command as an unprivileged user then
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const r = await runCli(['notify', '--config', config, '--object', 'JOB', '--data', JSON.stringify(job(1))], { cwd: dir, ...(user ? { user } : {}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot open the database in ${join(ro, 'nbwss.db')}: the folder ${ro} is not writable by this user (uid ${user?.uid ?? process.getuid?.()}) (EACCES)`);
    expect(r.stderr).toContain('SQLITE_CANTOPEN');
    expect(r.stderr).toContain('give this user write access there, or set db.path elsewhere');
  });
});
