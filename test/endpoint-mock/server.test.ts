import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { checkFromEndpoint, MockEndpointError } from '../../src/endpoint-mock/index.js';
import { connectRequest } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeNetBackup, guidePayload, startEndpoint } from './helpers.js';

describe('mock endpoint: CONNECT', () => {
  it('answers valid:true to the right token, with the same id, and emits connected', async () => {
    const endpoint = await startEndpoint();
    const connected = endpoint.waitFor('connected');
    const { response } = await FakeNetBackup.connect(endpoint);
    expect(response).toMatchObject({ version: '1.0', type: 'CONNECT', subType: 'RESPONSE', payload: { valid: true } });
    expect(checkFromEndpoint(response)).toEqual([]);
    const event = await connected;
    expect(event.connection.status).toBe('CONNECTED');
    expect(endpoint.stats()).toMatchObject({ openSockets: 1, connectedSockets: 1, totalConnections: 1 });
  });

  it('answers valid:false to a wrong token, keeps the socket for NetBackup to close, and reports the reason', async () => {
    const endpoint = await startEndpoint();
    const rejected = endpoint.waitFor('rejected');
    const { client, response } = await FakeNetBackup.connect(endpoint, 'wrong-token');
    expect(response.payload).toEqual({ valid: false });
    expect((await rejected).reason).toBe('token');
    expect(endpoint.stats().connectedSockets).toBe(0);
    const closed = endpoint.waitFor('close');
    client.ws.close(1000);
    expect(await closed).toMatchObject({ by: 'netbackup', code: 1000 });
  });

  it('closes with 1008 and a problem when NetBackup does not close after valid:false', async () => {
    const endpoint = await startEndpoint({ rejectCloseGraceMs: 20 });
    const problem = endpoint.waitFor('problem', (e) => e.problems.some((p) => p.rule === 'sequence.notClosedAfterReject'));
    const { client } = await FakeNetBackup.connect(endpoint, 'wrong-token');
    await problem;
    expect((await client.closed).code).toBe(1008);
  });

  it('rejects a socket that never sends CONNECT after connectTimeoutMs', async () => {
    const endpoint = await startEndpoint({ connectTimeoutMs: 20 });
    const client = await FakeNetBackup.open(endpoint);
    expect((await client.closed).code).toBe(1008);
    expect(endpoint.stats().problems).toBe(1);
  });
});

describe('mock endpoint: notifications', () => {
  it('acknowledges with the same id and payload [], and records the message', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const note = client.notification();
    const seen = endpoint.waitFor('notification');
    const ack = await client.request(note);
    expect(ack).toMatchObject({ version: '1.0', id: note.id, type: 'NOTIFICATION', subType: 'RESPONSE', payload: [] });
    expect(checkFromEndpoint(ack, { notificationIds: new Set([note.id]) })).toEqual([]);
    expect(await seen).toMatchObject({ duplicate: false, timesSeen: 1, action: 'ack' });
    const records = endpoint.received();
    expect(records.map((r) => `${r.message?.type} ${r.message?.subType}`)).toEqual(['CONNECT REQUEST', 'NOTIFICATION REQUEST']);
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
    expect(records.every((r) => r.problems.length === 0 && r.receivedAt > 0)).toBe(true);
    expect(endpoint.stats()).toMatchObject({ notificationsReceived: 1, notificationsAcknowledged: 1, problems: 0 });
  });

  it('flags a resend of an already-seen id, also on a new socket, and a resend that changed', async () => {
    const endpoint = await startEndpoint();
    const first = (await FakeNetBackup.connect(endpoint)).client;
    const note = first.notification();
    await first.request(note);
    first.ws.close();
    await first.closed;
    const second = (await FakeNetBackup.connect(endpoint)).client;
    const resend = endpoint.waitFor('notification');
    await second.request(note);
    expect(await resend).toMatchObject({ duplicate: true, timesSeen: 2 });
    const changed = endpoint.waitFor('problem');
    await second.request(second.notification(guidePayload(999), note.id));
    expect((await changed).problems.map((p) => p.rule)).toEqual(['sequence.resendChanged']);
    expect(endpoint.stats().duplicateNotifications).toBe(2);
  });

  it('reports conformance problems of a bad notification (and still acknowledges it)', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const payload = guidePayload();
    (payload[0]!.data[0] as Record<string, unknown>).jobId = '146';
    const problem = endpoint.waitFor('problem');
    const ack = await client.request(client.notification(payload));
    expect(ack.payload).toEqual([]);
    const { problems, record } = await problem;
    expect(problems).toEqual([expect.objectContaining({ rule: 'notification.item', path: 'payload[0].data[0].jobId' })]);
    expect(record?.problems).toEqual(problems);
  });

  it('does not acknowledge a notification sent before CONNECT, and says why', async () => {
    const endpoint = await startEndpoint();
    const client = await FakeNetBackup.open(endpoint);
    const problem = endpoint.waitFor('problem');
    client.send(client.notification());
    expect((await problem).problems.map((p) => p.rule)).toEqual(['sequence.beforeConnect']);
    await client.request(connectRequest(endpoint.token, 1700000000));
    expect(client.received.map((m) => m.type)).toEqual(['CONNECT']);
  });

  it('reports an undecodable frame without closing', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const message = endpoint.waitFor('message', (r) => r.undecodable !== undefined);
    client.send('{not json');
    const record = await message;
    expect(record.problems.map((p) => p.rule)).toEqual(['frame.json']);
    expect(record.undecodable?.preview).toBe('{not json');
    expect((await client.request(client.notification())).payload).toEqual([]);
  });
});

describe('mock endpoint: sockets, files, shutdown', () => {
  it('counts concurrent sockets and total connections', async () => {
    const endpoint = await startEndpoint();
    const a = (await FakeNetBackup.connect(endpoint)).client;
    await FakeNetBackup.connect(endpoint);
    expect(endpoint.stats()).toMatchObject({ openSockets: 2, connectedSockets: 2, totalConnections: 2, maxConcurrentSockets: 2 });
    const closed = endpoint.waitFor('close');
    a.ws.close();
    await closed;
    expect(endpoint.stats()).toMatchObject({ openSockets: 1, totalConnections: 2, maxConcurrentSockets: 2 });
    expect(endpoint.connections().map((c) => c.id)).toEqual([2]);
  });

  it('serves its certificate: the fingerprint the client sees is the one it reports', async () => {
    const endpoint = await startEndpoint({ host: '127.0.0.2' });
    expect(endpoint.address()).toEqual({ host: '127.0.0.2', port: expect.any(Number), url: `wss://127.0.0.2:${endpoint.address().port}/nbwss` });
    const { client } = await FakeNetBackup.connect(endpoint);
    const socket = (client.ws as unknown as { _socket: import('node:tls').TLSSocket })._socket;
    expect(socket.getPeerCertificate().fingerprint256).toBe(endpoint.fingerprint256);
    expect(endpoint.certPem).toContain('BEGIN CERTIFICATE');
  });

  it('writes the endpoint file of spec §8 with exactly the five members, mode 0600', async () => {
    const endpoint = await startEndpoint({ path: '/cfs/nbufacade' });
    const file = join(tempDir(), 'ep1.json');
    const details = endpoint.writeEndpointFile(file, { group: 'GROUPID1', priority: 1 });
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['groupId', 'hostName', 'priority', 'token', 'url']);
    expect(json).toEqual({ token: 'secret-token', priority: 1, groupId: 'GROUPID1', hostName: '127.0.0.1', url: endpoint.url });
    expect(details).toEqual(json);
    expect(endpoint.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/cfs\/nbufacade$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(endpoint.endpointDetails({ group: 'G2', priority: 2, hostName: 'ep-b', token: 't2' })).toMatchObject({ groupId: 'G2', priority: 2, hostName: 'ep-b', token: 't2' });
  });

  it('refuses endpoint details the guide refuses (apostrophe, empty group)', async () => {
    const endpoint = await startEndpoint();
    expect(() => endpoint.endpointDetails({ group: "it's", priority: 1 })).toThrow(MockEndpointError);
    expect(() => endpoint.endpointDetails({ group: '', priority: 1 })).toThrow(/groupId/);
  });

  it('close() closes every socket with the given code and stops listening', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    await endpoint.close({ code: 1012, reason: 'restart' });
    expect(await client.closed).toEqual({ code: 1012, reason: 'restart' });
    const retry = new WebSocket(endpoint.url, { ca: endpoint.certPem });
    const [err] = (await new Promise((resolve) => retry.once('error', (e) => resolve([e])))) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('disconnectAll({terminate}) drops sockets without a close frame (1006) and keeps listening', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    await endpoint.disconnectAll({ terminate: true });
    expect((await client.closed).code).toBe(1006);
    await FakeNetBackup.connect(endpoint);
    expect(endpoint.stats().totalConnections).toBe(2);
  });

  it('answers 426 to plain HTTPS and 400 to another WebSocket path', async () => {
    const endpoint = await startEndpoint();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(endpoint.url.replace('wss:', 'https:'), { ca: endpoint.certPem }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(426);
    const ws = new WebSocket(endpoint.url.replace('/nbwss', '/other'), { ca: endpoint.certPem });
    ws.on('error', () => {});
    const status400 = await new Promise<number | undefined>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)));
    expect(status400).toBe(400);
    ws.terminate();
  });
});
