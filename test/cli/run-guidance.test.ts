import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startupGuidance, type GuidanceInput } from '../../src/cli/run-guidance.js';
import { killAll, spawnNbwss, TTY_AVAILABLE, type Spawned } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Issue 12 item 6: what `nbwss run` says at start, readable on a terminal, JSON otherwise. */

afterEach(() => killAll());

const none: GuidanceInput = { adminUrl: 'http://127.0.0.1:9464', adminToken: false, endpoints: [], periodSeconds: 60, configFlag: undefined };

describe('startupGuidance', () => {
  it('no endpoints: the console, the counts and the command that adds one (with the same --config)', () => {
    const lines = startupGuidance({ ...none, configFlag: '/etc/nbwss/nbwss.properties' });
    expect(lines.map((l) => l.msg)).toEqual([
      'console: http://127.0.0.1:9464/; metrics: http://127.0.0.1:9464/metrics',
      '0 endpoints in 0 server groups; the connection task runs every 60 s (connectionInfo.period)',
      'no endpoints yet: nbwss endpoints add --config /etc/nbwss/nbwss.properties --file endpoint.json (the endpoint JSON your cloud application gives; docs/endpoints.md); the whole loop without a cloud: nbwss demo',
    ]);
    expect(lines.map((l) => l.startup)).toEqual([
      { consoleUrl: 'http://127.0.0.1:9464/' },
      { endpoints: 0, activated: 0, groups: 0, connectionPeriodSeconds: 60 },
      { hint: 'nbwss endpoints add --config /etc/nbwss/nbwss.properties --file endpoint.json' },
    ]);
  });

  it('endpoints, some deactivated: counts by group; no hint while one is activated', () => {
    const endpoints = [
      { state: 'ACTIVATED', groupId: 'G1' },
      { state: 'DEACTIVATED', groupId: 'G1' },
      { state: 'ACTIVATED', groupId: 'G2' },
    ];
    const lines = startupGuidance({ ...none, endpoints, periodSeconds: 0.5, adminToken: true });
    expect(lines.map((l) => l.msg)).toEqual([
      'console: http://127.0.0.1:9464/ (admin.token required); metrics: http://127.0.0.1:9464/metrics',
      '3 endpoints (2 activated) in 2 server groups; the connection task runs every 0.5 s (connectionInfo.period)',
    ]);
  });

  it('every endpoint deactivated: the command that activates one; the admin API off says so', () => {
    const lines = startupGuidance({ ...none, adminUrl: undefined, endpoints: [{ state: 'DEACTIVATED', groupId: 'G1' }] });
    expect(lines.map((l) => l.msg)).toEqual([
      'console: off (admin.listen is empty): no console, metrics or health checks',
      '1 endpoint (0 activated) in 1 server group; the connection task runs every 60 s (connectionInfo.period)',
      'no endpoint is activated, so nothing is connected: nbwss endpoints activate HOST (nbwss endpoints list shows them)',
    ]);
    expect(lines[0]!.startup).toEqual({ consoleUrl: null });
  });
});

/** A configuration of its own in a fresh folder (admin API on a free port). */
function config(extra: string[] = []): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'nbwss.properties');
  writeFileSync(file, [`db.path=${join(dir, 'nbwss.db')}`, `security.keyFile=${join(dir, 'nbwss.key')}`, 'admin.listen=127.0.0.1:0', ...extra, ''].join('\n'));
  return { dir, file };
}

/** Stop it as a person would (SIGINT is Ctrl-C) and expect a clean exit. */
async function stop(run: Spawned): Promise<void> {
  run.signal('SIGINT');
  expect((await run.exit).code, run.stdout()).toBe(0);
}

describe('nbwss run: start-up guidance', () => {
  it.skipIf(!TTY_AVAILABLE)('on a terminal (log.format=auto): readable lines with the console URL, the counts and the hint', async () => {
    const { dir, file } = config();
    const run = spawnNbwss(['run', '--config', file], { cwd: dir, tty: true });
    const hint = await run.line(/no endpoints yet/);
    const lines = run.lines();
    expect(lines.find((l) => l.includes('console: '))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: console: http:\/\/127\.0\.0\.1:\d+\/; metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(lines.find((l) => l.includes('server groups'))).toMatch(/INFO: 0 endpoints in 0 server groups; the connection task runs every 60 s \(connectionInfo\.period\)$/);
    expect(hint).toContain(`INFO: no endpoints yet: nbwss endpoints add --config ${file} --file endpoint.json`);
    // the subsystem prefixes the message; no JSON line, no pid
    expect(lines.find((l) => l.includes('daemon started'))).toMatch(/INFO: daemon: daemon started \{.*"services":\[/);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(run.stdout()).not.toContain('"pid"');
    await stop(run);
  });

  it('not on a terminal (log.format=auto): JSON lines with level names and the guidance as fields', async () => {
    const { dir, file } = config();
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    await run.line(/no endpoints yet/);
    const json = run
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.startup !== undefined);
    expect(json.map((l) => [l.level, l.startup])).toEqual([
      ['info', { consoleUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) }],
      ['info', { endpoints: 0, activated: 0, groups: 0, connectionPeriodSeconds: 60 }],
      ['info', { hint: `nbwss endpoints add --config ${file} --file endpoint.json` }],
    ]);
    await stop(run);
  });

  it.skipIf(!TTY_AVAILABLE)('log.format=json on a terminal writes JSON; log.format=pretty into a pipe writes readable lines', async () => {
    const a = config(['log.format=json']);
    const onTty = spawnNbwss(['run', '--config', a.file], { cwd: a.dir, tty: true });
    const line = await onTty.line(/no endpoints yet/);
    expect(JSON.parse(line)).toMatchObject({ level: 'info', startup: { hint: expect.any(String) } });
    await stop(onTty);

    const b = config(['log.format=pretty']);
    const piped = spawnNbwss(['run', '--config', b.file], { cwd: b.dir });
    expect(await piped.line(/no endpoints yet/)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: no endpoints yet: /);
    // not a terminal: no colour codes
    expect(piped.stdout()).not.toContain('\u001b[');
    await stop(piped);
  });

  it('a bad log.format stops the start with the key, the value and the place', async () => {
    const { dir, file } = config(['log.format=fancy']);
    const run = spawnNbwss(['run', '--config', file], { cwd: dir });
    expect((await run.exit).code).toBe(1);
    expect(run.stderr()).toMatch(/log\.format.*fancy.*must be one of auto, json, pretty/);
  });
});
