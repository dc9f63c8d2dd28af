import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { killAll, MAIN, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startWssServer, type TestWssServer } from '../helpers/wss-server.js';

const servers: TestWssServer[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function quietConfig(dir: string): string {
  const file = join(dir, 'nbwss.properties');
  writeFileSync(file, [`db.path=${join(dir, 'nbwss.db')}`, `security.keyFile=${join(dir, 'nbwss.key')}`, 'admin.listen=', 'log.level=info', ''].join('\n'));
  return file;
}

describe('nbwss run: signals during start-up (issue 10 D16)', () => {
  it('SIGHUP then SIGTERM at the first line of the start: never fatal, exit 0 after cleanup, the database lock released', async () => {
    const dir = tempDir();
    const file = quietConfig(dir);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await run.line(/"msg":"daemon starting"/);
    run.signal('SIGHUP');
    run.signal('SIGTERM');
    expect(await run.exit, run.stderr()).toEqual({ code: 0, signal: null });
    // Whether the signal found the start still running or just finished, a new daemon starts on the same database.
    const again = spawnNbwss(['run', '--config', file], { cwd: dir });
    await again.line(/"msg":"nbwss run: daemon in the foreground/);
    again.signal('SIGTERM');
    expect((await again.exit).code).toBe(0);
  });

  it('SIGHUP during start-up is applied once the daemon runs', async () => {
    const dir = tempDir();
    const file = quietConfig(dir);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await run.line(/"msg":"daemon starting"/);
    run.signal('SIGHUP');
    await run.line(/"msg":"configuration reloaded/);
    expect(run.child.exitCode).toBeNull();
    run.signal('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });
});

describe('nbwss run', () => {
  it('connects, logs one line per connection change, and on SIGTERM closes with 1001 and exits 0 within 5 s', async () => {
    expect(existsSync(MAIN), `${MAIN} missing: run npm run build`).toBe(true);
    const dir = tempDir();
    const s = await startWssServer({ host: '127.0.0.2' });
    servers.push(s);
    const db = join(dir, 'nbwss.db');
    const key = join(dir, 'nbwss.key');
    const store = Store.open(db);
    const cipher = TokenCipher.fromKeyFile(key);
    new EndpointStore(store).insert({ hostName: 'ep1.test', url: s.url('/'), groupId: 'G1', priority: 1, tokenEnc: cipher.encrypt('TOKEN', 'ep1.test'), certPem: s.certPem, certFingerprint: s.fingerprint, caPem: null });
    store.close();
    const file = join(dir, 'nbwss.properties');
    writeFileSync(file, [`db.path=${db}`, `security.keyFile=${key}`, 'connectionInfo.period=0.5', 'admin.listen=', 'log.level=info', ''].join('\n'));

    const connected = s.waitFor('connected', () => true, 20_000);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await connected;

    // a second daemon on the same database refuses with a clear message (exit 1)
    const second = spawnNbwss(['run', '--config', file], { cwd: dir });
    expect((await second.exit).code).toBe(1);
    expect(second.stderr()).toMatch(/^nbwss: another nbwss daemon is already running on database .*nbwss\.db \(pid \d+/);

    const closed = s.waitFor('close', () => true, 10_000);
    run.signal('SIGTERM');
    const [, info] = await closed;
    const exit = await run.exit;
    expect(info.code).toBe(1001);
    // Exit 0 means the graceful stop finished: one that overran its 5 s deadline exits 1 ("stopping did not finish").
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(run.stdout()).not.toContain('stopping did not finish');

    const lines = run
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const changes = lines.filter((l) => l.from !== undefined && l.to !== undefined);
    expect(changes.map((l) => [l.groupId, l.hostName, l.from, l.to])).toEqual([
      ['G1', 'ep1.test', 'DISCONNECTED', 'CONNECTED'],
      ['G1', 'ep1.test', 'CONNECTED', 'DISCONNECTED'],
    ]);
    expect(changes[1]).toMatchObject({ code: 1001, reason: 'nbwss is shutting down' });
    expect(JSON.stringify(lines)).not.toContain('TOKEN"');
  });
});
