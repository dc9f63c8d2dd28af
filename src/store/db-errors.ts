import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode } from '../errors.js';

/**
 * Database failures that name their cause (issue 10 D15): a full disk, a folder or file that cannot be written, a
 * corrupt file. SQLite reports these with result codes (`SQLITE_FULL`, `SQLITE_READONLY…`, `SQLITE_CANTOPEN`,
 * `SQLITE_CORRUPT`, `SQLITE_NOTADB`, `SQLITE_IOERR…`); each becomes a {@link StoreError} whose message says what was
 * being done, the path, the reason and what to do.
 */

/** The kinds of database fault, each with its error code. */
export const DB_FAULT_CODES = {
  full: 'NBWSS_ERR_DB_FULL',
  readonly: 'NBWSS_ERR_DB_READONLY',
  corrupt: 'NBWSS_ERR_DB_CORRUPT',
  io: 'NBWSS_ERR_DB_IO',
} as const satisfies Record<string, StoreErrorCode>;

/** What kind of fault an SQLite result code (or a file system errno) means, or undefined for any other error. */
export function faultKind(err: unknown): keyof typeof DB_FAULT_CODES | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return 'readonly';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'readonly';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (err instanceof Database.SqliteError && /^SQLITE_(IOERR|BUSY|LOCKED|NOMEM|PROTOCOL|NOLFS)/.test(code)) return 'io';
  return undefined; // SQL and constraint errors are the caller's, not the database's
}

/** Why `path` (or its folder, where SQLite creates the -wal and -shm files) cannot be written, or undefined. */
export function unwritableReason(path: string): string | undefined {
  const dir = dirname(path);
  const probe = (p: string): string | undefined => {
    try {
      accessSync(p, constants.W_OK);
      return undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return e.code === 'EROFS' ? 'read-only file system (EROFS)' : e.code === 'ENOENT' ? 'does not exist (ENOENT)' : `not writable by this user${uid()} (${e.code ?? e.message})`;
    }
  };
  const folder = probe(dir);
  if (folder) return `the folder ${dir} is ${folder}; SQLite also needs to create ${path}-wal and ${path}-shm there`;
  if (existsSync(path)) {
    const file = probe(path);
    if (file) return `the file is ${file}`;
  }
  return undefined;
}

function uid(): string {
  return typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
}

/**
 * The coded error for a failure while doing `action` (words: "store notifications", "open the database") on the
 * database at `path`, or undefined when `err` is not a database failure (a programming error passes through).
 * A {@link StoreError} is returned as it is.
 */
export function storeErrorFrom(err: unknown, path: string, action: string): StoreError | undefined {
  if (err instanceof StoreError) return err;
  const kind = faultKind(err);
  if (!kind) return undefined;
  const e = err as Error & { code: string };
  const sqlite = `${e.code}: ${e.message}`;
  const dir = dirname(path);
  switch (kind) {
    case 'full':
      return new StoreError(
        DB_FAULT_CODES.full,
        `disk full: cannot ${action} in ${path} (${sqlite}); nothing of it was written. Free space on the file system of ${dir} and retry`,
        { cause: err },
      );
    case 'readonly': {
      const why = unwritableReason(path) ?? 'the file or its folder cannot be written';
      return new StoreError(DB_FAULT_CODES.readonly, `cannot ${action} in ${path}: ${why} (${sqlite}); give this user write access there, or set db.path elsewhere`, {
        cause: err,
      });
    }
    case 'corrupt':
      return new StoreError(
        DB_FAULT_CODES.corrupt,
        e.code === 'SQLITE_NOTADB'
          ? `cannot ${action}: ${path} is not an SQLite database (${sqlite}); point db.path at the nbwss database, or move this file away to start afresh`
          : `the database ${path} is corrupt (${sqlite}) while trying to ${action}. Stop nbwss, keep a copy of the file, then restore it from a backup ` +
              `or salvage what is readable: sqlite3 ${path} .recover | sqlite3 recovered.db`,
        { cause: err },
      );
    case 'io':
      return new StoreError(DB_FAULT_CODES.io, `cannot ${action} in ${path} (${sqlite})`, { cause: err });
  }
}
