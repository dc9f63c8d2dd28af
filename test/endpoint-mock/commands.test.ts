import { describe, expect, it } from 'vitest';
import { checkFromEndpoint, MockEndpointError, parseCommandLine, parseHeader } from '../../src/endpoint-mock/index.js';
import { commandResponse, type CommandRequest, type Message } from '../../src/protocol/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeNetBackup, startEndpoint } from './helpers.js';

const isCommand = (m: Message) => m.type === 'COMMAND' && m.subType === 'REQUEST';

function answer(client: FakeNetBackup, request: Message, responseCode: number, body: string): void {
  client.send(commandResponse(request.id, { headers: { 'content-type': 'application/json' }, responseCode, body }, 1700000000));
}

describe('mock endpoint: sendCommand', () => {
  it('sends a conformant COMMAND REQUEST and pairs responses by id, in any order', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const jobs = endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs', headers: { Authorization: 'jwt' } });
    const post = endpoint.sendCommand({ method: 'POST', uri: '/netbackup/config/servers/vmservers', parameters: { serverName: 'vc1' } });
    const [r1, r2] = await Promise.all([client.next(isCommand), client.next((m) => isCommand(m) && m.payload !== undefined && (m as CommandRequest).payload.method === 'POST')]);
    expect(checkFromEndpoint(r1)).toEqual([]);
    expect(r1.payload).toEqual({ uri: '/netbackup/admin/jobs', method: 'GET', headers: { Authorization: 'jwt' } });
    expect(r2.payload).toMatchObject({ parameters: '{"serverName":"vc1"}' });
    const events: unknown[] = [];
    endpoint.on('commandResponse', (e) => events.push({ uri: (e.request?.payload as { uri: string }).uri, late: e.late, rtt: typeof e.rttMs }));
    answer(client, r2, 201, '{"created":true}');
    answer(client, r1, 200, '{"data":[]}');
    expect(await post).toMatchObject({ responseCode: 201, body: '{"created":true}' });
    expect(await jobs).toMatchObject({ responseCode: 200, body: '{"data":[]}', headers: { 'content-type': 'application/json' } });
    expect(events).toEqual([
      { uri: '/netbackup/config/servers/vmservers', late: false, rtt: 'number' },
      { uri: '/netbackup/admin/jobs', late: false, rtt: 'number' },
    ]);
    expect(endpoint.stats()).toMatchObject({ commandsSent: 2, commandResponses: 2, problems: 0 });
  });

  it('times out (coded error), then reports the late response as late', async () => {
    const clock = new ManualClock();
    const endpoint = await startEndpoint({ clock, commandTimeoutMs: 5000 });
    const { client } = await FakeNetBackup.connect(endpoint);
    const result = endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' });
    const request = await client.next(isCommand);
    clock.advance(5000);
    await expect(result).rejects.toMatchObject({ code: 'NBWSS_ERR_MOCK_COMMAND_TIMEOUT' });
    const late = endpoint.waitFor('commandResponse');
    answer(client, request, 200, '{}');
    expect(await late).toMatchObject({ late: true, request: { id: request.id } });
  });

  it('honours a per-call timeout', async () => {
    const clock = new ManualClock();
    const endpoint = await startEndpoint({ clock });
    const { client } = await FakeNetBackup.connect(endpoint);
    const result = endpoint.sendCommand({ method: 'GET', uri: '/x' }, { timeoutMs: 10 });
    await client.next(isCommand);
    clock.advance(10);
    await expect(result).rejects.toThrow(/within 10 ms/);
  });

  it('rejects when no NetBackup is connected, and when the socket closes first', async () => {
    const endpoint = await startEndpoint();
    await expect(endpoint.sendCommand({ method: 'GET', uri: '/x' })).rejects.toMatchObject({ code: 'NBWSS_ERR_MOCK_NOT_CONNECTED' });
    const { client } = await FakeNetBackup.connect(endpoint);
    const result = endpoint.sendCommand({ method: 'GET', uri: '/x' });
    await client.next(isCommand);
    client.ws.close();
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MockEndpointError);
    expect(err).toMatchObject({ code: 'NBWSS_ERR_MOCK_COMMAND_CLOSED' });
  });

  it('flags a COMMAND RESPONSE whose id was never sent, and one with bad fields', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const unknown = endpoint.waitFor('problem');
    client.send(commandResponse('0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872', { headers: {}, responseCode: 200, body: '' }, 1700000000));
    expect((await unknown).problems.map((p) => p.rule)).toEqual(['commandResponse.id']);
    const result = endpoint.sendCommand({ method: 'GET', uri: '/x' });
    const request = await client.next(isCommand);
    const bad = endpoint.waitFor('problem');
    client.send({ ...commandResponse(request.id, { headers: { 'Content-Type': 'x' }, responseCode: 200, body: '' }, 1700000000) });
    expect((await bad).problems.map((p) => p.rule)).toEqual(['commandResponse.headerName']);
    await result;
  });

  it('sends to a chosen socket, and sendRaw sends any frame', async () => {
    const endpoint = await startEndpoint();
    const a = (await FakeNetBackup.connect(endpoint)).client;
    const b = (await FakeNetBackup.connect(endpoint)).client;
    const [first] = endpoint.connections();
    void endpoint.sendCommand({ method: 'GET', uri: '/on-a' }, { connectionId: first!.id }).catch(() => undefined);
    expect((await a.next(isCommand)).payload).toMatchObject({ uri: '/on-a' });
    expect(endpoint.sendRaw('not json')).toBe(true);
    await b.pingPong();
    expect(b.frames.at(-1)).toBe('not json'); // the most recently connected socket
    expect(a.frames.includes('not json')).toBe(false);
  });
});

describe('command lines', () => {
  it('parses METHOD /uri [body], ignores blanks and comments, and refuses the rest', () => {
    expect(parseCommandLine('get /netbackup/admin/jobs')).toEqual({ command: { method: 'GET', uri: '/netbackup/admin/jobs' } });
    expect(parseCommandLine('POST /netbackup/config/servers/vmservers {"serverName": "vc1"}')).toEqual({
      command: { method: 'POST', uri: '/netbackup/config/servers/vmservers', parameters: '{"serverName": "vc1"}' },
    });
    expect(parseCommandLine('  ')).toEqual({});
    expect(parseCommandLine('# comment')).toEqual({});
    expect(parseCommandLine('GET').error).toMatch(/METHOD/);
    expect(parseCommandLine('GET http://evil/x').error).toMatch(/path/);
    expect(parseHeader('Authorization: Bearer x:y')).toEqual({ name: 'Authorization', value: 'Bearer x:y' });
    expect(parseHeader('nocolon')).toBeUndefined();
  });
});
