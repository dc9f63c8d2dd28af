import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { commandResponse, connectRequest, newMessageId, type Message } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/tmp.js';
import { guidePayload } from './helpers.js';

// Spawns the built CLI: `npm test` builds first (pretest); run `npm run build` before running this file alone.
const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');

/** The CLI as a child process, with its stdout as lines that a test can await. */
function run(args: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [MAIN, 'mock-endpoint', ...args], { stdio: 'pipe' });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + String(d)).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) (w.re.test(line) ? w.resolve(line) : waiters.push(w));
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    /** The first line (already printed or to come) matching `re`. */
    line(re: RegExp): Promise<string> {
      const found = lines.find((l) => re.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void exited.then((code) => reject(new Error(`exited ${code} before a line matching ${re}: ${stderr}\n${lines.join('\n')}`)));
      });
    },
  };
}

/** A NetBackup-like client trusting whatever certificate is presented (the test checks its fingerprint). */
async function dial(url: string): Promise<{ ws: WebSocket; fingerprint: string; next: (f: (m: Message) => boolean) => Promise<Message> }> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  onTestFinished(() => ws.terminate());
  const received: Message[] = [];
  const waiters: { f: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Message;
    received.push(m);
    for (const w of waiters.splice(0)) (w.f(m) ? w.resolve(m) : waiters.push(w));
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const fingerprint = ((ws as unknown as { _socket: TLSSocket })._socket).getPeerCertificate().fingerprint256;
  const next = (f: (m: Message) => boolean) => {
    const found = received.find(f);
    return found ? Promise.resolve(found) : new Promise<Message>((resolve) => waiters.push({ f, resolve }));
  };
  return { ws, fingerprint, next };
}

describe('nbwss mock-endpoint (built CLI)', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  });

  it('prints URL and fingerprint, writes the endpoint file and the add command, prints messages, exits 0 on SIGINT', async () => {
    const file = join(tempDir(), 'ep1.json');
    const cli = run(['--listen', '127.0.0.1:0', '--token', 'T0K3N', '--write-endpoint-file', file, '--group', 'GROUPID1', '--priority', '2', '--command', 'GET /netbackup/admin/jobs']);
    const url = (await cli.line(/^url: /)).slice('url: '.length);
    const fingerprint = (await cli.line(/^fingerprint: /)).slice('fingerprint: '.length);
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/nbwss$/);
    expect(await cli.line(/^add it with: /)).toBe(`add it with: nbwss endpoints add --file ${file} --fingerprint ${fingerprint}`);
    expect(cli.lines.some((l) => l.startsWith('token:'))).toBe(false); // given, so not printed
    const details = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(details).toEqual({ token: 'T0K3N', priority: 2, groupId: 'GROUPID1', hostName: '127.0.0.1', url });

    const nbu = await dial(url);
    expect(nbu.fingerprint).toBe(fingerprint);
    const connect = connectRequest('T0K3N', Math.floor(Date.now() / 1000));
    nbu.ws.send(JSON.stringify(connect));
    expect((await nbu.next((m) => m.id === connect.id)).payload).toEqual({ valid: true });
    expect(await cli.line(/CONNECT REQUEST/)).toMatch(/token=\*\*\* \(5 chars\) → valid$/);

    const command = await nbu.next((m) => m.type === 'COMMAND');
    expect(command.payload).toMatchObject({ method: 'GET', uri: '/netbackup/admin/jobs', headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0' } });
    nbu.ws.send(JSON.stringify(commandResponse(command.id, { headers: {}, responseCode: 200, body: '{"data":[]}' }, 1700000000)));
    expect(await cli.line(/COMMAND RESPONSE/)).toMatch(/200 \(11 bytes\) in \d+ ms ← GET \/netbackup\/admin\/jobs$/);

    const id = newMessageId();
    nbu.ws.send(JSON.stringify({ version: '1.0', id, type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: 1459811724, payload: guidePayload() }));
    await nbu.next((m) => m.id === id);
    expect(await cli.line(/NOTIFICATION REQUEST/)).toMatch(/1 JOB, 1 IMAGE → ack$/);
    expect(await cli.line(/JOB 146/)).toBe('  JOB 146 DONE status 0 (parent 145) BACKUP vmware2 DummyTestVM');
    expect(await cli.line(/IMAGE UPDATE/)).toBe('  IMAGE UPDATE DummyTestVM_1459811698');
    expect(cli.lines.join('\n')).not.toContain('T0K3N');

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('--json prints JSON lines, generates and prints a token when none is given, and applies fault flags', async () => {
    const cli = run(['--listen', '127.0.0.1:0', '--json', '--reject-token', '--ack-delay', '5']);
    const banner = JSON.parse(await cli.line(/"event":"listening"/)) as Record<string, unknown>;
    expect(banner).toMatchObject({ url: expect.stringMatching(/^wss:/), fingerprint256: expect.stringMatching(/^[0-9A-F:]{95}$/), token: expect.any(String), faults: ['rejectToken', 'ackDelayMs=5'] });
    const nbu = await dial(banner.url as string);
    const connect = connectRequest(banner.token as string, Math.floor(Date.now() / 1000));
    nbu.ws.send(JSON.stringify(connect));
    expect((await nbu.next((m) => m.id === connect.id)).payload).toEqual({ valid: false });
    const rejected = JSON.parse(await cli.line(/"event":"rejected"/)) as { message: { payload: { token: string } } };
    expect(rejected.message.payload.token).toMatch(/^\*\*\*/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const cli = run(['--listen', '127.0.0.1:0', '--write-endpoint-file', 'x.json']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/--group/);
  });
});
