import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { notifyServiceManager } from '../../src/sd-notify.js';
import { assertBuilt, killAll, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * READY=1 for the Type=notify unit (docker/nbwss.service): `nbwss run` runs `systemd-notify --ready` once the daemon
 * serves, only when a service manager set NOTIFY_SOCKET; a failure is logged and the daemon runs on. Here the helper
 * is a script that records how it was called; `npm run verify:systemd` does it under a real systemd.
 */

/** A stand-in `systemd-notify` that appends its arguments and NOTIFY_SOCKET to `record`, exiting with `exitCode`. */
function fakeNotify(dir: string, exitCode = 0): { command: string; record: string } {
  const record = join(dir, 'calls.txt');
  const command = join(dir, 'systemd-notify');
  writeFileSync(command, `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> '${record}'\n${exitCode === 0 ? '' : 'echo "notify: refused" >&2\n'}exit ${exitCode}\n`);
  chmodSync(command, 0o755);
  return { command, record };
}

afterEach(killAll);
beforeAll(assertBuilt);

describe('notifyServiceManager', () => {
  it('does nothing without NOTIFY_SOCKET', async () => {
    const dir = tempDir();
    const { command, record } = fakeNotify(dir);
    expect(await notifyServiceManager({ ready: true }, { env: {}, command })).toBe('skipped');
    expect(existsSync(record)).toBe(false);
  });

  it('sends READY=1 and the status through systemd-notify', async () => {
    const dir = tempDir();
    const { command, record } = fakeNotify(dir);
    expect(await notifyServiceManager({ ready: true, status: 'serving\n2 groups' }, { env: { NOTIFY_SOCKET: '/run/systemd/notify' }, command })).toBe('sent');
    expect(readFileSync(record, 'utf8')).toBe('/run/systemd/notify --ready --status=serving 2 groups\n');
  });

  it('rejects with the helper\'s own message, or the reason it could not run', async () => {
    const dir = tempDir();
    const { command } = fakeNotify(dir, 1);
    await expect(notifyServiceManager({ ready: true }, { env: { NOTIFY_SOCKET: '/x' }, command })).rejects.toThrow(/systemd-notify --ready failed: notify: refused/);
    await expect(notifyServiceManager({ ready: true }, { env: { NOTIFY_SOCKET: '/x' }, command: join(dir, 'missing') })).rejects.toThrow(/missing --ready failed: .*ENOENT/);
  });
});

describe('nbwss run under a service manager', () => {
  function runWith(env: Record<string, string>) {
    const dir = tempDir();
    const props = join(dir, 'nbwss.properties');
    writeFileSync(props, [`db.path=${join(dir, 'nbwss.db')}`, `security.keyFile=${join(dir, 'nbwss.key')}`, 'admin.listen=127.0.0.1:0', ''].join('\n'));
    return { dir, run: spawnNbwss(['run', '--config', props], { cwd: dir, env }) };
  }

  it('reports READY=1 after the daemon serves, then runs on', async () => {
    const bin = tempDir();
    const { record } = fakeNotify(bin);
    const { run } = runWith({ NOTIFY_SOCKET: '/run/systemd/notify', PATH: `${bin}:${process.env.PATH ?? ''}` });
    await run.line(/"msg":"service manager notified: READY=1"/);
    expect(readFileSync(record, 'utf8')).toBe('/run/systemd/notify --ready --status=serving\n');
    const order = run.lines().map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(order.indexOf('service manager notified: READY=1')).toBeGreaterThan(order.findIndex((m) => m.startsWith('admin API listening')));
    expect(order.indexOf('service manager notified: READY=1')).toBeGreaterThan(order.findIndex((m) => m.startsWith('nbwss run: daemon in the foreground')));
    run.signal('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });

  it('a failing helper is a warning: the daemon runs on and stops cleanly', async () => {
    const bin = tempDir();
    fakeNotify(bin, 1);
    const { run } = runWith({ NOTIFY_SOCKET: '/run/systemd/notify', PATH: `${bin}:${process.env.PATH ?? ''}` });
    const warning = JSON.parse(await run.line(/"msg":"could not notify the service manager/)) as { level: unknown; err: unknown };
    expect(JSON.stringify(warning.err)).toContain('notify: refused');
    expect(run.child.exitCode).toBeNull();
    run.signal('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });
});
