import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { Checkpointer, type CheckpointResult } from '../../src/store/checkpointer.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { tempDir } from '../helpers/tmp.js';
import { job, rows } from '../notifications/helpers.js';

/**
 * WAL checkpoints run on a worker thread with its own connection (issue 10 C10), so no commit on the event loop
 * pays for copying and fsyncing the database file; the connection's own automatic checkpoint stays as a fallback.
 */

describe('Checkpointer', () => {
  it('checkpoints the WAL from a worker thread; the main connection keeps a high fallback threshold', async () => {
    const path = join(tempDir(), 'nbwss.db');
    const store = Store.open(path);
    const checkpointer = new Checkpointer({ store, logger: silentLogger(), intervalMs: 3_600_000 });
    onTestFinished(async () => {
      await checkpointer.stop();
      store.close();
    });
    checkpointer.start();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const outbox = new OutboxStore(store);
    for (let i = 0; i < 50; i++) outbox.append([{ rows: rows('JOB', Array.from({ length: 20 }, (_, k) => job(i * 20 + k))), raisedAt: 1 }]);
    const before = statSync(path).size;
    const done = once(checkpointer, 'checkpoint') as Promise<[CheckpointResult]>;
    checkpointer.now();
    const [result] = await done;
    expect(result.logFrames).toBeGreaterThan(0);
    expect(result.checkpointedFrames).toBe(result.logFrames); // nothing was reading: all of it reached the file
    expect(statSync(path).size).toBeGreaterThan(before); // the rows are in the database file now
    await checkpointer.stop();
    expect(outbox.stats().rows).toBe(1000); // the connection goes on
  });
});
