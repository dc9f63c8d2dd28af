import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/check-endpoint/index.js';
import { assertBuilt, killAll, runCli, TTY_AVAILABLE } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { mockEndpoint } from './helpers.js';

/** Short timings through the environment (no --config: COMMANDs stay with the in-process mock NetBackup). */
const ENV = {
  NBWSS_CONNECTIONINFO_HANDSHAKETIMEOUT: '3000',
  NBWSS_NOTIFICATION_SENDTIMEOUT: '1000',
  NBWSS_NOTIFICATION_SCHEDULEDRATE: '1.5',
  NBWSS_KEEPALIVE_SCHEDULEDRATE: '0.1',
};

async function endpointFile(options: Parameters<typeof mockEndpoint>[0] = {}) {
  const endpoint = await mockEndpoint(options);
  const dir = tempDir();
  const file = join(dir, 'ep.json');
  endpoint.writeEndpointFile(file, { group: 'G1', priority: 1 });
  return { endpoint, dir, file };
}

describe('nbwss check-endpoint (CLI)', () => {
  beforeAll(assertBuilt);
  afterEach(killAll);

  it('a conforming endpoint: text report grouped by section, summary line, exit 0; nothing stored', async () => {
    const { endpoint, dir, file } = await endpointFile();
    const r = await runCli(['check-endpoint', '--file', file, '--fingerprint', endpoint.fingerprint256], { cwd: dir, env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^§3 CONNECT$/m);
    expect(r.stdout).toMatch(/^ {2}PASS {2}connect\.wrongToken/m);
    expect(r.stdout).toMatch(/^\d+ checks: \d+ pass, 0 warn, 0 fail, \d+ skip: passed/m);
    expect(readdirSync(dir)).toEqual(['ep.json']); // no database, no key
  });

  it('--report json: the documented shape, every quick check once', async () => {
    const { endpoint, dir, file } = await endpointFile();
    const r = await runCli(['check-endpoint', '--file', file, '--fingerprint', endpoint.fingerprint256, '--report', 'json'], { cwd: dir, env: ENV });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { checks: Record<string, unknown>[] };
    expect(Object.keys(report).sort()).toEqual(['checks', 'durationMs', 'endpoint', 'startedAt', 'summary']);
    expect(report.endpoint).toEqual({ hostName: '127.0.0.1', url: endpoint.url, groupId: 'G1' });
    expect(Object.keys(report.summary as object).sort()).toEqual(['fail', 'pass', 'skip', 'warn']);
    for (const c of report.checks) expect(Object.keys(c).sort()).toEqual(['durationMs', 'id', 'message', 'section', 'status', 'title']);
    expect(report.checks.map((c) => c.id)).toEqual(CHECKS.filter((c) => c.profile === 'quick').map((c) => c.id));
  });

  it('--report junit --out FILE: valid JUnit XML (parsed), one testcase per check; stdout shows the text report', async () => {
    const { endpoint, dir, file } = await endpointFile({ faults: { acceptAnyToken: true } });
    const out = join(dir, 'check.xml');
    const r = await runCli(['check-endpoint', '--file', file, '--fingerprint', endpoint.fingerprint256, '--report', 'junit', '--out', out, '--skip', 'keepalive'], { cwd: dir, env: ENV });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}connect\.wrongToken/);
    const xml = readFileSync(out, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml) as {
      testsuites: { tests: string; failures: string; skipped: string; testsuite: { name: string; testcase: { name: string; failure?: { message: string }; skipped?: { message: string } }[] }[] };
    };
    const cases = doc.testsuites.testsuite.flatMap((s) => s.testcase.map((t) => ({ ...t, suite: s.name })));
    expect(cases).toHaveLength(CHECKS.filter((c) => c.profile === 'quick').length);
    expect(doc.testsuites.tests).toBe(String(cases.length));
    expect(doc.testsuites.failures).toBe('1');
    const failed = cases.filter((c) => c.failure);
    expect(failed.map((c) => c.name)).toEqual([expect.stringMatching(/^connect\.wrongToken: /)]);
    expect(failed[0]!.suite).toBe('§3 CONNECT');
    expect(failed[0]!.failure!.message).toMatch(/valid:true for a wrong token/);
    expect(cases.filter((c) => c.skipped).map((c) => c.name.split(':')[0]).sort()).toEqual(['command.shape', 'keepalive.idle', 'keepalive.pong']);
  });

  it('usage errors exit 2', async () => {
    const { endpoint, file } = await endpointFile();
    const cases: [string[], RegExp][] = [
      [['check-endpoint'], /exactly one of --file FILE or --url URL/],
      [['check-endpoint', '--file', file, '--only', 'nope'], /--only: no check "nope"; the checks are tls\.certificate/],
      [['check-endpoint', '--file', file, '--report', 'xml'], /--report must be one of text, json, junit/],
      [['check-endpoint', '--file', file, '--profile', 'slow'], /--profile must be quick or full/],
      [['check-endpoint', '--file', file, '--load', '-3'], /--load must be a whole number/],
      [['check-endpoint', '--file', file, '--fingerprint', 'zz'], /--fingerprint must be a SHA-256 fingerprint/],
      [['check-endpoint', '--file', file, '--fingerprint', endpoint.fingerprint256, '--accept-certificate'], /cannot be used with option/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env: ENV });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it('invalid details: the message of endpoints add, exit 1; an endpoint that cannot be reached: exit 1', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"token":"t","priority":1,"groupId":"G","hostName":"h","url":"ws://h/x"}');
    const r1 = await runCli(['check-endpoint', '--file', bad], { cwd: dir, env: ENV });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/Invalid websocket protocol\. Only wss protocol supported/);
    const gone = join(dir, 'gone.json');
    writeFileSync(gone, '{"token":"t","priority":1,"groupId":"G","hostName":"127.0.0.1","url":"wss://127.0.0.1:1/nbwss"}');
    const r2 = await runCli(['check-endpoint', '--file', gone, '--accept-certificate'], { cwd: dir, env: ENV });
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/FAIL {2}tls\.certificate .*\n.*Unable to establish connection with host: 127\.0\.0\.1/);
    expect(r2.stdout).toMatch(/SKIP {2}connect\.valid/);
  });

  it.skipIf(!TTY_AVAILABLE)('progress on a TTY', async () => {
    const { endpoint, dir, file } = await endpointFile();
    const r = await runCli(['check-endpoint', '--file', file, '--fingerprint', endpoint.fingerprint256, '--only', 'tls,connect.valid'], { cwd: dir, env: ENV, tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[1\/5\] tls\.certificate: TLS certificate presented and trusted…/);
  });
});
