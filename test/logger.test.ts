import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { tempDir } from './helpers/tmp.js';

describe('createLogger with log.file', () => {
  it('a file that cannot be opened is a ConfigError naming it, at once', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain-file'), '');
    const file = join(dir, 'plain-file', 'nbwss.log'); // a folder that is a file: ENOTDIR
    let err: unknown;
    try {
      createLogger({ level: 'info', file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`cannot open log.file ${file}`);
  });

  it('appends JSON lines to the file, creating its folder', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'nbwss.log');
    const logger = createLogger({ level: 'info', file });
    logger.info({ n: 1 }, 'first');
    // The writer is asynchronous and sonic-boom's flush(cb) calls back before the write lands (minLength 0): wait
    // for the line itself.
    const text = await vi.waitFor(() => {
      const t = readFileSync(file, 'utf8');
      if (!t.endsWith('\n')) throw new Error('line not written yet');
      return t;
    });
    const line = JSON.parse(text.trim()) as { msg: string; n: number };
    expect(line).toMatchObject({ msg: 'first', n: 1, level: 'info' }); // level names, not numbers (issue 12 item 6)
  });
});
