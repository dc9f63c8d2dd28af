import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { assertBuilt, killAll, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `nbwss demo` (what `npm start` runs), as a user starts it: the built CLI as a child process. Its temp folder
 * goes under a TMPDIR of the test's own, so "leaves nothing behind" is checked by listing that folder.
 */

const endpoints: MockEndpoint[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

beforeAll(assertBuilt);

describe('nbwss demo', () => {
  it('reaches "notifications acknowledged" and a failover, and exits 0 on SIGINT leaving no files', async () => {
    const tmp = tempDir();
    const cwd = tempDir();
    const demo = spawnNbwss(['demo'], { cwd, env: { TMPDIR: tmp } });
    const folder = (await demo.line(/temp folder /)).match(/temp folder (\S+)/)![1]!;
    expect(folder.startsWith(tmp)).toBe(true);
    expect(existsSync(folder)).toBe(true);

    await demo.line(/daemon +notifications acknowledged by group DEMO \(127\.0\.0\.2\)/);
    await demo.line(/daemon +failover: group DEMO moved from 127\.0\.0\.2 to 127\.0\.0\.3/);
    await demo.line(/daemon +notifications acknowledged by group DEMO \(127\.0\.0\.3\)/);
    // The pieces a newcomer is told about are all there.
    const out = demo.stdout();
    expect(out).toMatch(/endpoint 1 +→ COMMAND POST \/netbackup\/login → 201/);
    expect(out).toMatch(/simulator +scenario #1 vmware \(jobs 1, 2, 3\)/);
    expect(out).not.toMatch(/! error/); // no conformance problem seen by the mock endpoints

    demo.signal('SIGINT');
    const exit = await demo.exit;
    expect(exit, demo.stderr()).toEqual({ code: 0, signal: null });
    expect(demo.stdout()).toMatch(/Stopped: sockets closed, .* removed\./);
    expect(existsSync(folder)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  }, 40_000);

  it('--endpoint-file drives your own endpoint, pinned by --fingerprint; without a trust flag it shows the fingerprint and exits 2', async () => {
    const dir = tempDir();
    const endpoint = await createMockEndpoint({ host: '127.0.0.4', token: 'my-endpoint-token' });
    endpoints.push(endpoint);
    const file = join(dir, 'my-endpoint.json');
    endpoint.writeEndpointFile(file, { group: 'MINE', priority: 1 });

    const refused = spawnNbwss(['demo', '--endpoint-file', file], { cwd: dir, env: { TMPDIR: dir } });
    expect((await refused.exit).code, refused.stderr()).toBe(2);
    expect(refused.stderr()).toContain(`re-run with --fingerprint ${endpoint.fingerprint256}`);

    const demo = spawnNbwss(['demo', '--endpoint-file', file, '--fingerprint', endpoint.fingerprint256], { cwd: dir, env: { TMPDIR: dir } });
    await demo.line(/daemon +group MINE CONNECTED to 127\.0\.0\.4/);
    await endpoint.waitFor('notification', () => true, 15_000);
    await demo.line(/daemon +notifications acknowledged by group MINE \(127\.0\.0\.4\)/);
    const res = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs', headers: { Accept: 'application/vnd.netbackup+json;version=1.0' } });
    expect(res.responseCode).toBe(401); // no login yet: the mock NetBackup wants a token
    await demo.line(/daemon +← COMMAND from 127\.0\.0\.4: GET \/netbackup\/admin\/jobs → 401/);
    expect(endpoint.stats().problems).toBe(0);
    demo.signal('SIGINT');
    expect((await demo.exit).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['my-endpoint.json']);
  }, 40_000);
});
