import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { killAll, runCli, spawnNbwss, type Spawned } from '../helpers/cli.js';
import { job } from '../notifications/helpers.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The endpoint token never reaches a log (issue 10 F20). A random token; every command that handles it runs at
 * log.level=trace; the token — or any 12 characters of it — must appear nowhere in stdout, stderr or the log
 * file. A debug line of the CONNECT frame or an info line naming the token fails this test.
 */

const endpoints: MockEndpoint[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

/** Every 12-character window of `token`: a partial echo (a prefix, a suffix) is a leak too. */
function windows(token: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= token.length; i++) out.push(token.slice(i, i + 12));
  return out;
}

function expectNoToken(token: string, where: string, text: string): void {
  for (const w of windows(token)) expect(text.includes(w), `${where} holds "${w}" of the token`).toBe(false);
}

describe('the endpoint token in logs (issue 10 F20)', () => {
  it('appears nowhere in stdout, stderr or log.file of add, show, run (connect, notify, reload, stop) at log.level=trace', async () => {
    const dir = tempDir();
    const token = randomBytes(24).toString('base64url');
    const endpoint = await createMockEndpoint({ host: '127.0.0.2', token });
    endpoints.push(endpoint);
    const endpointFile = join(dir, 'ep.json');
    endpoint.writeEndpointFile(endpointFile, { group: 'G1', priority: 1 });
    const logFile = join(dir, 'nbwss.log');
    const base = [`db.path=${join(dir, 'nbwss.db')}`, `security.keyFile=${join(dir, 'nbwss.key')}`, 'admin.listen=', 'log.level=trace', 'connectionInfo.period=0.2', 'notification.delay=0', 'notification.scheduledRate=0.2'];
    const toFile = join(dir, 'to-file.properties');
    writeFileSync(toFile, [...base, `log.file=${logFile}`, ''].join('\n'));
    const toStdout = join(dir, 'to-stdout.properties');
    writeFileSync(toStdout, [...base, ''].join('\n'));
    const outputs: [string, string][] = [];
    const record = (name: string, r: { stdout: string; stderr: string }) => outputs.push([`${name} stdout`, r.stdout], [`${name} stderr`, r.stderr]);

    // add and show: logging to log.file, then to stderr (CLI commands keep stdout for their output)
    const added = await runCli(['endpoints', 'add', '--config', toFile, '--file', endpointFile, '--fingerprint', endpoint.fingerprint256], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    record('endpoints add', added);
    for (const args of [['endpoints', 'show', '127.0.0.2'], ['endpoints', 'list', '--json'], ['endpoints', 'show', '127.0.0.2', '--json']]) {
      const r = await runCli([...args, '--config', toStdout], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      record(args.join(' '), r);
    }

    // the daemon with log.file: connect (CONNECT REQUEST with the token), a notification delivered, SIGHUP, SIGTERM
    const phase = async (config: string, name: string): Promise<Spawned> => {
      const connected = endpoint.waitFor('connected', () => true, 20_000);
      const run = spawnNbwss(['run', '--config', config], { cwd: dir });
      await connected;
      const delivered = endpoint.waitFor('notification', () => true, 20_000);
      const notified = await runCli(['notify', '--config', config, '--object', 'JOB', '--data', JSON.stringify(job(1))], { cwd: dir });
      expect(notified.code, notified.stderr).toBe(0);
      record(`${name}: notify`, notified);
      await delivered;
      run.signal('SIGHUP');
      run.signal('SIGTERM');
      expect((await run.exit).code, run.stderr()).toBe(0);
      record(name, { stdout: run.stdout(), stderr: run.stderr() });
      return run;
    };
    await phase(toFile, 'run (log.file)');
    const onStdout = await phase(toStdout, 'run (stdout)');

    // the logs were really at trace, and really there
    expect(existsSync(logFile)).toBe(true);
    const fileLog = readFileSync(logFile, 'utf8');
    expect(fileLog).toMatch(/"level":(10|20|"trace"|"debug")/); // the verbose lines were written
    expect(fileLog).toContain('CONNECTED');
    expect(onStdout.stdout()).toMatch(/"level":(10|20|"trace"|"debug")/);
    outputs.push(['log.file', fileLog]);
    for (const [where, text] of outputs) expectNoToken(token, where, text);
  }, 60_000);
});
