import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, spawnNbwss } from '../helpers/cli.js';
import { daemonConfig, storeEndpoints } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { startWssServer, type TestWssServer } from '../helpers/wss-server.js';

const servers: TestWssServer[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const deep = (depth: number) => '{"a":'.repeat(depth) + 'true' + '}'.repeat(depth);

describe('nbwss run: a hostile endpoint in the database never stops the daemon (issue 10 A1, A2)', () => {
  it('a #fragment url stored directly and a CONNECT RESPONSE with a 100,000-deep valid fail their groups at every period; the other group stays CONNECTED', async () => {
    const dir = tempDir();
    const s = await startWssServer({
      host: '127.0.0.2',
      paths: {
        '/deep': {
          connect: (req, sock) => sock.send(`{"version":"1.0","id":"${req.id}","type":"CONNECT","subType":"RESPONSE","timeStamp":1,"payload":{"valid":${deep(100_000)}}}`),
        },
      },
    });
    servers.push(s);
    const config = daemonConfig(dir);
    const ep = { certPem: s.certPem, fingerprint256: s.fingerprint, token: 'T' };
    // `endpoints add` refuses a fragment today; a database written by an older version (or by hand) may hold one.
    storeEndpoints(
      config,
      { ...ep, hostName: 'fragment.test', url: s.url('/p#x'), groupId: 'G-FRAGMENT' },
      { ...ep, hostName: 'deep.test', url: s.url('/deep'), groupId: 'G-DEEP' },
      { ...ep, hostName: 'good.test', url: s.url('/good'), groupId: 'G-GOOD' },
    );
    const file = join(dir, 'nbwss.properties');
    writeFileSync(file, [`db.path=${config.db.path}`, `security.keyFile=${config.security.keyFile}`, 'connectionInfo.period=0.2', 'admin.listen=', 'log.level=info', ''].join('\n'));

    const good = s.waitFor('connected', (sock) => sock.path === '/good', 20_000);
    let deepAttempts = 0;
    const thirdDeep = s.waitFor('connectRequest', (sock) => sock.path === '/deep' && ++deepAttempts === 3, 20_000);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await run.line(/connection attempt failed \(setup\)/);
    await good;
    await thirdDeep; // three periods of the deep group: the daemon survived each
    await run.line(/connection attempt failed \(rejected\)/);
    expect(run.child.exitCode).toBeNull();
    expect(s.sockets('/good')).toHaveLength(1);

    const fragment = run.lines().find((l) => l.includes('(setup)'))!;
    expect(JSON.parse(fragment)).toMatchObject({ groupId: 'G-FRAGMENT', hostName: 'fragment.test', reason: 'setup' });
    const rejected = run.lines().find((l) => l.includes('(rejected)'))!;
    expect(rejected.length).toBeLessThan(2000);
    expect(JSON.parse(rejected).error).toMatch(/valid: object\(1 keys\)/);

    run.signal('SIGTERM');
    expect(await run.exit).toMatchObject({ code: 0, signal: null });
    expect(run.stderr()).not.toMatch(/RangeError|Maximum call stack/);
  });
});
