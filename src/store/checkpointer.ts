import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import type { Store } from './database.js';

/** One checkpoint of the WAL into the database file, as the worker reports it. */
export interface CheckpointResult {
  /** WAL frames in the log, and how many of them are now in the database file. */
  logFrames: number;
  checkpointedFrames: number;
  durationMs: number;
}

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  store: Store;
  logger: Logger;
  /** How often the worker checkpoints, ms (default 1000). */
  intervalMs?: number;
  /**
   * The connection's own automatic checkpoint, in WAL pages, kept as a safety net should the worker fall behind or
   * stop (default 10,000 pages, ~40 MB of WAL; SQLite's default is 1,000).
   */
  fallbackPages?: number;
}

// The worker: its own connection to the same file, a PASSIVE checkpoint every interval (it never waits for the
// writer and never blocks it). CommonJS, evaluated: better-sqlite3 is loaded from the path resolved by the parent.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let timer;
const run = () => {
  const t0 = performance.now();
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, logFrames: r.log, checkpointedFrames: r.checkpointed, durationMs: performance.now() - t0 });
  } catch (err) {
    parentPort.postMessage({ ok: false, code: err.code, message: err.message });
  }
};
timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'now') run();
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

/**
 * Checkpoints the WAL on a worker thread (issue 10 C10). SQLite's automatic checkpoint runs inside whichever commit
 * crosses `wal_autocheckpoint` pages — in the daemon, the commit of an acknowledgement — and copies and fsyncs the
 * database file there, on the event loop: milliseconds on a fast disk, far more on a slow one, for pings,
 * handshakes and COMMANDs too. The worker's own connection checkpoints every second instead (PASSIVE: it never
 * waits for the writer nor blocks it), so the WAL stays small and the event loop never pays for it. The main
 * connection keeps an automatic checkpoint at a much higher threshold, should the worker fall behind or fail.
 */
export class Checkpointer extends EventEmitter<{ checkpoint: [CheckpointResult] }> {
  readonly #o: CheckpointerOptions;
  #worker: Worker | undefined;
  #failedLogged = false;

  constructor(options: CheckpointerOptions) {
    super();
    this.#o = options;
  }

  /** Start the worker (a no-op for an in-memory database). */
  start(): void {
    const { store } = this.#o;
    if (this.#worker || store.path === ':memory:') return;
    store.db.pragma(`wal_autocheckpoint = ${this.#o.fallbackPages ?? 10_000}`);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), path: store.path, intervalMs: this.#o.intervalMs ?? 1000 },
    });
    worker.unref();
    worker.on('message', (m: { ok: true } & CheckpointResult | { ok: false; code?: string; message: string }) => {
      if (m.ok) {
        this.#failedLogged = false;
        this.emit('checkpoint', { logFrames: m.logFrames, checkpointedFrames: m.checkpointedFrames, durationMs: m.durationMs });
      } else if (!this.#failedLogged) {
        // logged once until a checkpoint succeeds again; the connection's own fallback checkpoint still bounds the WAL
        this.#failedLogged = true;
        this.#o.logger.warn({ code: m.code, err: m.message }, 'WAL checkpoint on the worker failed; retrying every interval');
      }
    });
    worker.on('error', (err) => {
      this.#o.logger.warn({ err }, 'WAL checkpoint worker stopped; checkpoints fall back to the database connection');
      this.#worker = undefined;
    });
    this.#worker = worker;
  }

  /** Checkpoint now (tests, benchmarks); the result comes as a `checkpoint` event. */
  now(): void {
    this.#worker?.postMessage('now');
  }

  /** Stop the worker (before the store closes). Resolves once it has exited. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref(); // keep this process up until the worker has closed its connection (it is unref'd while running)
    worker.postMessage('stop');
    await exited;
  }
}
