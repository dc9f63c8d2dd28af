import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandInArgs } from '../../src/cli/commands.js';
import { MAIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const RECORDER = fileURLToPath(new URL('../helpers/import-recorder.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The modules `nbwss …args` loads: our own as paths under dist/, packages by name. */
function importsOf(args: string[]): { own: string[]; packages: string[] } {
  const dir = tempDir();
  const file = join(dir, 'imports.txt');
  writeFileSync(file, '');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NBWSS_'))), IMPORT_RECORDER_FILE: file, NBWSS_ADMIN_LISTEN: '127.0.0.1:1' };
  spawnSync(process.execPath, ['--import', RECORDER, MAIN, ...args], { cwd: dir, env, stdio: 'ignore' });
  const urls = readFileSync(file, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
  const paths = urls.map((u) => fileURLToPath(u));
  const own = [...new Set(paths.filter((p) => p.startsWith(DIST)).map((p) => p.slice(DIST.length)))].sort();
  const packages = [...new Set(paths.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]).filter((p): p is string => p !== undefined))].sort();
  return { own, packages };
}

describe('lazy sub-commands (issue 12 item 8)', () => {
  it('nbwss --help and --version load commander, the command table and the version only', () => {
    for (const args of [['--help'], ['--version']]) {
      const { own, packages } = importsOf(args);
      expect(packages, args.join(' ')).toEqual(['commander']);
      expect(own, args.join(' ')).toEqual(['cli/action.js', 'cli/commands.js', 'cli/main.js', 'cli/program.js', 'errors.js', 'version.js']);
    }
  });

  it('nbwss healthcheck loads neither the database, the sockets, the logger nor the metrics', () => {
    const { own, packages } = importsOf(['healthcheck']);
    for (const heavy of ['better-sqlite3', 'ws', 'undici', 'pino', 'prom-client', 'selfsigned']) expect(packages).not.toContain(heavy);
    expect(own.filter((m) => /^(store|connection|scheduler|notifications|commands|daemon)/.test(m))).toEqual([]);
    expect(own).toContain('cli/healthcheck.js');
    expect(own).not.toContain('cli/endpoints.js');
  });

  it('every entry of the table registers the command of its name, with the options its listing promises', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('nbwss');
      (await entry.load())(program);
      const cmd = program.commands.find((c) => c.name() === entry.name);
      expect(cmd, entry.name).toBeDefined();
      expect(program.commands).toHaveLength(1);
      if (entry.usage.includes('[options]')) expect(cmd!.options.length, entry.name).toBeGreaterThan(0);
      if (entry.usage.includes('<command>')) expect(cmd!.commands.length, entry.name).toBeGreaterThan(0);
    }
  });

  it('commandInArgs finds the sub-command after global options, and X in "help X"', () => {
    expect(commandInArgs(['status'])).toBe('status');
    expect(commandInArgs(['--config', 'status', 'run'])).toBe('run');
    expect(commandInArgs(['-c', 'f', '--json', 'endpoints', 'list'])).toBe('endpoints');
    expect(commandInArgs(['--config=f', 'notify'])).toBe('notify');
    expect(commandInArgs(['help', 'endpoints'])).toBe('endpoints');
    expect(commandInArgs(['--help'])).toBeUndefined();
    expect(commandInArgs([])).toBeUndefined();
  });

  it('nbwss --help lists every command of the table', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const entry of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${entry.name} `, 'm'));
  });

  it('nbwss help X and nbwss X --help show the full help of X', async () => {
    for (const args of [['help', 'simulate'], ['simulate', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('--jobs <n>');
    }
  });
});

describe('global options before the sub-command (issue 12 item 7)', () => {
  it('nbwss --config F status reads F', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'nbwss.properties'), `db.path=${join(dir, 'elsewhere.db')}\n`);
    const r = await runCli(['--config', join(dir, 'nbwss.properties'), 'status']);
    expect(r.stderr).toContain(join(dir, 'elsewhere.db'));
    expect(r.code).toBe(1);
  });

  it('the option after the sub-command wins over the one before it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.properties'), `db.path=${join(dir, 'a.db')}\n`);
    writeFileSync(join(dir, 'b.properties'), `db.path=${join(dir, 'b.db')}\n`);
    const r = await runCli(['-c', join(dir, 'a.properties'), 'status', '--config', join(dir, 'b.properties')]);
    expect(r.stderr).toContain(join(dir, 'b.db'));
  });

  it('nbwss --json endpoints list prints JSON', async () => {
    const r = await runCli(['--json', 'endpoints', 'list']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('a global --json on a command without JSON output is a usage error naming the command', async () => {
    const r = await runCli(['--json', 'run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"run" has no JSON output');
  });

  it('an unknown command is a usage error with a suggestion', async () => {
    const r = await runCli(['--config', 'x', 'statu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean status?');
  });
});

describe('CLI values are checked with the configuration formats and name the flag (issue 10 D17)', () => {
  it('every numeric flag: exit 2, the flag named, before anything starts', async () => {
    const cases: [string[], string][] = [
      [['demo', '--rate', 'abc'], '--rate must be a number greater than 0, got "abc"'],
      [['demo', '--seed', '1.5'], '--seed must be a whole number, 0 or more, got "1.5"'],
      [['demo', '--failover-after', '-3'], '--failover-after must be a number of seconds, 0 or more (decimals allowed), got "-3"'],
      [['healthcheck', '--timeout', '2s'], '--timeout must be a whole number of milliseconds greater than 0, got "2s"'],
      [['mock-netbackup', '--token-validity', '0'], '--token-validity must be a whole number, 1 or more, got "0"'],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toBe(`nbwss: ${cases[i]![1]}\n`);
    });
  });
});

describe('nbwss healthcheck --json (issue 12 item 9)', () => {
  it('prints {healthy, url, status, report, error} on stdout and exits 1 when nobody answers', async () => {
    const r = await runCli(['healthcheck', '--json'], { env: { NBWSS_ADMIN_LISTEN: '127.0.0.1:1' } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ healthy: false, url: 'http://127.0.0.1:1/healthz', status: null, report: null, error: expect.stringMatching(/ECONNREFUSED/) });
    const off = await runCli(['--json', 'healthcheck'], { env: { NBWSS_ADMIN_LISTEN: '' } });
    expect(JSON.parse(off.stdout)).toMatchObject({ healthy: false, url: null, error: expect.stringContaining('admin.listen is empty') });
  });
});
