import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    logger.flush();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { msg: string; n: number };
    expect(line).toMatchObject({ msg: 'first', n: 1 });
  });
});
