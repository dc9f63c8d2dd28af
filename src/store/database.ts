import { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode } from '../errors.js';
import { DB_FAULT_CODES, storeErrorFrom } from './db-errors.js';

/** The folder of numbered `.sql` migrations, shipped beside `src/` and `dist/`. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** One migration file: `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Read the migrations of `dir`, in order. File names must be `NNN_name.sql` with distinct numbers. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), 'utf8') });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) throw new StoreError('NBWSS_ERR_MIGRATION', `two migrations numbered ${out[i]!.version} in ${dir}`);
  }
  return out;
}

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Migrations to apply (default: the shipped ones). */
  migrations?: Migration[];
  /** `busy_timeout` in ms: how long a write waits for another process's write (default 5000). */
  busyTimeoutMs?: number;
}

/** A database fault this connection ran into that does not go away by itself (a corrupt file). */
export interface StoreFault {
  code: StoreErrorCode;
  message: string;
  /** epoch ms it was first seen */
  at: number;
}

/**
 * The one SQLite connection of a process (STYLE §10): WAL, `busy_timeout`, foreign keys on, numbered migrations
 * applied in order and recorded in `schema_migrations`. A database newer than this code is refused.
 */
export class Store extends EventEmitter<{ fault: [StoreFault] }> {
  readonly db: Database.Database;
  readonly path: string;
  #closed = false;
  #fault: StoreFault | undefined;
  #run: Database.Transaction<(f: () => unknown) => unknown> | undefined;

  private constructor(db: Database.Database, path: string) {
    super();
    this.db = db;
    this.path = path;
  }

  /**
   * Open (creating folders and the file when missing) and migrate. A folder that cannot be created or written, a
   * full disk or a file that is not a (sound) SQLite database is a {@link StoreError} naming the path and the cause.
   */
  static open(path: string, options: StoreOptions = {}): Store {
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new StoreError(DB_FAULT_CODES.readonly, `cannot create the folder ${dirname(path)} for the database ${path} (db.path): ${e.code ?? e.message}`, { cause: err });
      }
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw storeErrorFrom(err, path, 'open the database') ?? new StoreError('NBWSS_ERR_DB_OPEN', `cannot open database ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a crash of the process (kill -9); only an OS crash or power loss can
      // lose the last commits. See docs "Durability".
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const store = new Store(db, path);
      if (options.migrate !== false) store.migrate(options.migrations ?? readMigrations());
      return store;
    } catch (err) {
      db.close();
      throw storeErrorFrom(err, path, 'open the database') ?? err;
    }
  }

  /**
   * A fault seen on this connection that does not go away by itself (a corrupt file), or undefined. `/readyz`
   * reports it: every later read or write may fail the same way. The `fault` event says when it is first seen.
   */
  get fault(): StoreFault | undefined {
    return this.#fault;
  }

  /**
   * Run `fn` (statements of a repository). A database failure becomes a coded {@link StoreError} naming `action`
   * (words: "store notifications"), the path and the cause; a corrupt file is also remembered in {@link fault}.
   * Other errors (SQL, constraints) pass through as they are.
   */
  guard<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.fail(err, action);
    }
  }

  /** The coded error for `err` met while doing `action` (recording a corrupt file), or `err` itself. */
  fail(err: unknown, action: string): unknown {
    const coded = storeErrorFrom(err, this.path, action);
    if (!coded) return err;
    if (coded.code === DB_FAULT_CODES.corrupt && !this.#fault) {
      this.#fault = { code: coded.code, message: coded.message, at: Date.now() };
      this.emit('fault', this.#fault);
    }
    return coded;
  }

  /** The highest applied migration version (0 for a new database). */
  schemaVersion(): number {
    return this.guard('read the schema version', () => {
      this.#ensureMigrationTable();
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
      return row.v ?? 0;
    });
  }

  /** Apply pending migrations, each in its own transaction. Refuses a database newer than `migrations`. */
  migrate(migrations: Migration[] = readMigrations()): { applied: number[] } {
    const latest = migrations.at(-1)?.version ?? 0;
    const applied: number[] = [];
    // IMMEDIATE: two processes starting at once serialize here instead of both applying the same migration.
    const run = this.db.transaction(() => {
      const current = this.schemaVersion();
      if (current > latest) {
        throw new StoreError(
          'NBWSS_ERR_DB_NEWER',
          `database ${this.path} is at schema version ${current}, newer than this nbwss understands (${latest}); ` +
            'upgrade nbwss, or point db.path at another database',
        );
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        try {
          this.db.exec(m.sql);
        } catch (err) {
          const coded = storeErrorFrom(err, this.path, `apply migration ${m.version}_${m.name}`);
          if (coded) throw coded;
          throw new StoreError('NBWSS_ERR_MIGRATION', `migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        applied.push(m.version);
      }
    });
    run.immediate();
    return { applied };
  }

  /** Run `fn` in one transaction (BEGIN IMMEDIATE, so a write lock is taken up front). */
  transaction<T>(fn: () => T): T {
    // one wrapper for every call: better-sqlite3 builds five functions per db.transaction(), which the hot paths
    // (an append per event-loop turn, an acknowledgement per batch) would otherwise pay each time
    this.#run ??= this.db.transaction((f: () => unknown) => f());
    return this.#run.immediate(fn) as T;
  }

  /** Checkpoint the WAL and close. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // another process may hold the database; closing still flushes what is ours
    }
    this.db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #ensureMigrationTable(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  }
}
