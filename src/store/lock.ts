import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LockError } from '../errors.js';

/** A held daemon lock: keep a reference to it while the lock must hold (a collected lock closes its file and is released). */
export interface DaemonLock {
  /** The file whose OS lock is held (`<db.path>.lock`), or undefined for an in-memory database. */
  readonly path: string | undefined;
  /** Release the lock (idempotent). Process death releases it too. */
  release(): void;
}

/** The holder description written beside the lock, for the refusal message. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * Take the one-daemon-per-database lock for `dbPath`, or throw {@link LockError} naming the running daemon.
 *
 * Mechanism: an SQLite file `<db.path>.lock` opened with `locking_mode=EXCLUSIVE` inside a transaction that is
 * never committed. The lock is an OS advisory lock held by the open file, so the kernel drops it when the process
 * dies in any way (`kill -9` included): no stale lock to clean up and no PID-reuse guesswork, unlike a PID file.
 * SQLite also tracks its locks per file within a process, so a second daemon in the same process is refused too.
 * The holder's pid is written to `<db.path>.lock.pid` for the message only; it is never trusted for the decision.
 */
export function acquireDaemonLock(dbPath: string): DaemonLock {
  if (dbPath === ':memory:' || dbPath === '') return { path: undefined, release: () => {} };
  const lockPath = `${dbPath}.lock`;
  const pidPath = `${lockPath}.pid`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED') {
      throw new LockError(refusal(dbPath, readHolder(pidPath)));
    }
    throw new LockError(`cannot take the daemon lock ${lockPath}: ${(err as Error).message}`);
  }
  const holder: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  try {
    writeFileSync(pidPath, JSON.stringify(holder) + '\n');
  } catch {
    // informational only
  }
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      try {
        if (readHolder(pidPath)?.pid === process.pid) rmSync(pidPath, { force: true });
      } catch {
        // informational file only
      }
      db.close(); // rolls the open transaction back and drops the OS lock
    },
  };
}

function readHolder(pidPath: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(pidPath, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

function refusal(dbPath: string, holder: Holder | undefined): string {
  const who = holder ? ` (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})` : '';
  return (
    `another nbwss daemon is already running on database ${dbPath}${who}; ` +
    'two daemons would break "one connection per server group". Stop it first, or point db.path at another database'
  );
}
