import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeNeeds, itNeeds } from '../helpers/needs.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * docker/nbwss.service checked by systemd itself: `systemd-analyze verify` (syntax, every key known, ExecStart
 * executable), `systemd-analyze security --offline` (the hardening adds up), `systemd-sysusers --dry-run` for
 * the dedicated user. Without systemd-analyze the checks are skipped with a loud message — except under any truthy
 * CI, where they fail (.ci/run installs systemd; test/helpers/needs.ts).
 */

const UNIT = fileURLToPath(new URL('../../docker/nbwss.service', import.meta.url));
const SYSUSERS = fileURLToPath(new URL('../../docker/nbwss.sysusers.conf', import.meta.url));

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

const describeWithSystemd = describeNeeds(has('systemd-analyze'), 'systemd-analyze', 'docker/nbwss.service is NOT verified (apt-get install systemd)');
const itWithSysusers = itNeeds(has('systemd-sysusers'), 'systemd-sysusers', 'the unit\'s user is NOT checked (apt-get install systemd)');

/** A copy of the unit to check, named nbwss.service; ExecStart's and ExecReload's node is this machine's when /usr/bin/node is absent. */
function unitCopy(transform: (text: string) => string = (t) => t): string {
  let text = readFileSync(UNIT, 'utf8');
  if (!existsSync('/usr/bin/node')) text = text.replaceAll('=/usr/bin/node ', `=${process.execPath} `);
  const path = join(tempDir(), 'nbwss.service');
  writeFileSync(path, transform(text));
  return path;
}

function analyze(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describeWithSystemd('docker/nbwss.service (systemd-analyze)', () => {
  it('verifies: no error and no warning', () => {
    const r = analyze('verify', unitCopy());
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('the check bites: an unknown key or a missing binary is reported', () => {
    const typo = analyze('verify', unitCopy((t) => t.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes')));
    expect(typo.out).toMatch(/Unknown key 'NoNewPrivilege'/);
    const missing = analyze('verify', unitCopy((t) => t.replace(/ExecStart=\S+/, 'ExecStart=/nonexistent/node')));
    expect(missing.status).not.toBe(0);
  });

  it('is hardened: exposure rated OK by systemd-analyze security', () => {
    const r = analyze('security', '--offline=true', unitCopy());
    const m = /Overall exposure level for nbwss\.service: ([\d.]+) (\w+)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(4);
    expect(m![2]).toBe('OK');
  });

  itWithSysusers('its user comes from nbwss.sysusers.conf (systemd-sysusers --dry-run)', () => {
    const r = spawnSync('systemd-sysusers', ['--dry-run', SYSUSERS], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/ignoring|invalid|failed/i);
  });
});

describe('docker/nbwss.service (what the issue asks of it)', () => {
  const text = readFileSync(UNIT, 'utf8');
  it.each([
    ['Type=notify'],
    ['NotifyAccess=all'],
    ['User=nbwss'],
    ['Restart=on-failure'],
    ['ExecStart=/usr/bin/node /opt/nbwss/dist/cli/main.js run'],
    ["ExecReload=/usr/bin/node -e \"process.kill(${MAINPID}, 'SIGHUP')\""],
    ['NoNewPrivileges=yes'],
    ['ProtectSystem=strict'],
    ['PrivateTmp=yes'],
    ['StateDirectory=nbwss'],
  ])('has %s', (line) => {
    expect(text.split('\n')).toContain(line);
  });

  it('does not repeat StateDirectory as ReadWritePaths (StateDirectory is writable under ProtectSystem=strict by itself)', () => {
    expect(text).not.toMatch(/^ReadWritePaths=/m);
  });
});
