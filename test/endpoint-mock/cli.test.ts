import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { commandResponse, connectRequest, newMessageId, type Message } from '../../src/protocol/index.js';
import { assertBuilt, killAll, spawnNbwss } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { guidePayload } from './helpers.js';

afterEach(killAll);

/** `nbwss mock-endpoint …args`, its stdout lines awaitable. */
const run = (args: string[]) => spawnNbwss(['mock-endpoint', ...args]);

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
  beforeAll(assertBuilt);

  it('prints URL and fingerprint, writes the endpoint file and the add command, prints messages, exits 0 on SIGINT', async () => {
    const file = join(tempDir(), 'ep1.json');
    const cli = run(['--listen', '127.0.0.1:0', '--token', 'T0K3N', '--write-endpoint-file', file, '--group', 'GROUPID1', '--priority', '2', '--command', 'GET /netbackup/admin/jobs']);
    const url = (await cli.line(/^url: /)).slice('url: '.length);
    const fingerprint = (await cli.line(/^fingerprint: /)).slice('fingerprint: '.length);
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/nbwss$/);
    expect(await cli.line(/^add it with: /)).toBe(`add it with: nbwss endpoints add --file ${file} --fingerprint ${fingerprint}`);
    expect(cli.lines().some((l) => l.startsWith('token:'))).toBe(false); // given, so not printed
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
    expect(cli.lines().join('\n')).not.toContain('T0K3N');

    cli.signal('SIGINT');
    expect((await cli.exit).code).toBe(0);
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
    cli.signal('SIGTERM');
    expect((await cli.exit).code).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const cli = run(['--listen', '127.0.0.1:0', '--write-endpoint-file', 'x.json']);
    expect((await cli.exit).code).toBe(2);
    expect(cli.stderr()).toMatch(/--group/);
  });
});
