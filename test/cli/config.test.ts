import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShownConfig } from '../../src/cli/config.js';
import { KEYS } from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** `nbwss config show` and `nbwss config check` (issue 12 item 7). */

function workspace(lines: string[]): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'nbwss.properties');
  writeFileSync(file, [...lines, ''].join('\n'));
  return { dir, file };
}

describe('nbwss config show', () => {
  it('prints every key with its value in force and its origin: default, file:line, environment; secrets redacted', async () => {
    const { dir, file } = workspace(['# comment', 'connectionInfo.period=5', 'db.path=data/nbwss.db', 'admin.token=s3cret-admin-token']);
    const r = await runCli(['--config', file, 'config', 'show', '--json'], { cwd: dir, env: { NBWSS_LOG_LEVEL: 'debug' } });
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as ShownConfig;
    expect(shown.file).toBe(file);
    expect(shown.keys.map((k) => k.key)).toEqual(Object.keys(KEYS));
    const key = (name: string) => shown.keys.find((k) => k.key === name)!;
    expect(key('connectionInfo.period')).toEqual({ key: 'connectionInfo.period', value: 5, origin: { kind: 'file', file, line: 2 }, reload: 'restart', unit: 's' });
    expect(key('db.path')).toMatchObject({ value: join(dir, 'data/nbwss.db'), origin: { kind: 'file', line: 3 } });
    expect(key('log.level')).toMatchObject({ value: 'debug', origin: { kind: 'env', variable: 'NBWSS_LOG_LEVEL' } });
    expect(key('keepAlive.scheduledRate')).toMatchObject({ value: 30, origin: { kind: 'default' } });
    expect(key('command.allowedPathPrefixes').value).toEqual(['/netbackup/']);
    expect(key('admin.token')).toMatchObject({ value: '[redacted]', origin: { kind: 'file', line: 4 } });
    expect(r.stdout + r.stderr).not.toContain('s3cret-admin-token');

    const text = await runCli(['config', 'show', '--config', file], { cwd: dir, env: { NBWSS_LOG_LEVEL: 'debug' } });
    expect(text.stdout).toContain(`configuration file: ${file}\n`);
    expect(text.stdout).toMatch(new RegExp(`^connectionInfo\\.period +5 +${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2$`, 'm'));
    expect(text.stdout).toMatch(/^log\.level +debug +environment variable NBWSS_LOG_LEVEL$/m);
    expect(text.stdout).toMatch(/^admin\.listen +127\.0\.0\.1:9464 +default$/m);
    expect(text.stdout).toMatch(/^log\.file +\(empty\) +default$/m);
    // read-only: nothing was created next to the file or in the working directory
    expect(readdirSync(dir)).toEqual(['nbwss.properties']);
  });
});

describe('nbwss config check', () => {
  it('a valid file: exit 0 and a summary; nothing started, nothing created', async () => {
    const { dir, file } = workspace(['connectionInfo.period=5', 'log.level=debug']);
    const r = await runCli(['config', 'check', file], { cwd: dir, env: { NBWSS_NOTIFICATION_DELAY: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`ok: ${file} (2 keys set in the file, 1 by NBWSS_* variables)\n`);
    expect(readdirSync(dir)).toEqual(['nbwss.properties']);
  });

  it('an invalid value: exit 1 naming key, value, file and line', async () => {
    const { dir, file } = workspace(['connectionInfo.period=5', 'keepAlive.scheduledRate=often']);
    const r = await runCli(['config', 'check', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`nbwss: invalid value for keepAlive.scheduledRate: "often" must be a number greater than 0 (seconds, decimals allowed) (${file}:2)\n`);
  });

  it('what the daemon refuses at start across keys fails too: a non-loopback admin.listen without admin.token', async () => {
    const { dir, file } = workspace(['admin.listen=0.0.0.0:9464']);
    const r = await runCli(['config', 'check', '--config', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/admin\.listen=0\.0\.0\.0:9464 is not a loopback address and admin\.token is empty/);
  });

  it('warnings pass unless --strict; --json reports ok, file, error and warnings', async () => {
    const { dir, file } = workspace(['connectionInfo.perod=5', 'netbackup.baseUrl=https://nbu:1556/netbackup']);
    const plain = await runCli(['config', 'check', file], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`ok: ${file} (1 key set in the file, 0 by NBWSS_* variables; 2 warnings)\n`);
    expect(plain.stderr).toContain(`nbwss: warning: unknown configuration key "connectionInfo.perod" at ${file}:1 (ignored; did you mean connectionInfo.period?)`);
    expect(plain.stderr).toContain('nbwss: warning: netbackup.baseUrl https://nbu:1556/netbackup');
    const strict = await runCli(['config', 'check', '--strict', file], { cwd: dir });
    expect(strict.code).toBe(1);
    const json = await runCli(['--json', 'config', 'check', '--strict', file], { cwd: dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, file, error: null, warnings: [expect.stringContaining('connectionInfo.perod'), expect.stringContaining('netbackup.baseUrl')] });
    const invalid = await runCli(['config', 'check', '--json', join(dir, 'missing.properties')], { cwd: dir });
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ ok: false, error: expect.stringContaining('cannot read configuration file') });
  });
});
