import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { Store, readMigrations } from '../../src/store/database.js';
import { tempDir } from '../helpers/tmp.js';

describe('Store', () => {
  it('applies every shipped migration in order on a new file, in WAL mode with foreign keys on', () => {
    const path = join(tempDir(), 'sub', 'nbwss.db');
    const store = Store.open(path);
    const versions = readMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThan(0);
    expect(store.schemaVersion()).toBe(versions.at(-1));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(Number(store.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    const recorded = store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    expect(recorded.map((r) => r.version)).toEqual(versions);
    store.close();
  });

  it('is idempotent: reopening applies nothing new', () => {
    const path = join(tempDir(), 'nbwss.db');
    Store.open(path).close();
    const store = Store.open(path);
    expect(store.migrate().applied).toEqual([]);
    store.close();
  });

  it('applies only the pending migrations, in number order', () => {
    const dir = tempDir();
    const migDir = join(dir, 'migrations');
    mkdirSync(migDir);
    writeFileSync(join(migDir, '002_b.sql'), 'CREATE TABLE b (x INTEGER);');
    writeFileSync(join(migDir, '001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(migDir, 'README.txt'), 'not a migration');
    const path = join(dir, 'x.db');
    const first = Store.open(path, { migrations: readMigrations(migDir).slice(0, 1) });
    expect(first.schemaVersion()).toBe(1);
    first.close();
    const second = Store.open(path, { migrate: false });
    expect(second.migrate(readMigrations(migDir)).applied).toEqual([2]);
    second.close();
  });

  it('refuses a database newer than the code with a clear error', () => {
    const path = join(tempDir(), 'nbwss.db');
    const store = Store.open(path);
    store.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from_the_future');
    store.close();
    let err: unknown;
    try {
      Store.open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('NBWSS_ERR_DB_NEWER');
    expect((err as Error).message).toMatch(/schema version 999, newer than this nbwss/);
  });

  it('rolls back a failing migration and names it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE ok (x INTEGER);');
    writeFileSync(join(dir, '002_broken.sql'), 'CREATE TABLE broken (x INTEGER); SELECT * FROM nowhere;');
    const path = join(dir, 'x.db');
    expect(() => Store.open(path, { migrations: readMigrations(dir) })).toThrow(/migration 2_broken failed/);
    const store = Store.open(path, { migrate: false });
    expect(store.schemaVersion()).toBe(0);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name IN ('ok','broken')").all()).toEqual([]);
    store.close();
  });
});
