import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { commandRequest, type CommandRequestPayload, type CommandResponse } from '../../src/protocol/messages.js';
import { FakeChannel } from '../helpers/fake-channel.js';
import { cleanUpAfterEach, proxyFor, send, upstream } from './helpers.js';

cleanUpAfterEach();

describe('CommandProxy', () => {
  it('forwards a GET with its headers (minus hop-by-hop and host) and returns status, lower-case headers and body', async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('Content-Type', 'application/vnd.netbackup+json;version=1.0');
      res.setHeader('X-Multi', ['a', 'b']);
      res.setHeader('X-Request-ID', 'r-1');
      res.end('{"data":[]}');
    });
    const { proxy, events } = proxyFor(up.url);
    const ch = new FakeChannel();
    const res = await send(proxy, ch, {
      uri: '/netbackup/admin/jobs?page[limit]=5',
      method: 'GET',
      headers: { Accept: 'application/vnd.netbackup+json;version=1.0', Authorization: 'tok123', Connection: 'close', Host: 'evil.example', 'Proxy-Authorization': 'x' },
    });
    expect(res.payload.responseCode).toBe(200);
    expect(res.payload.body).toBe('{"data":[]}');
    expect(res.payload.headers['content-type']).toBe('application/vnd.netbackup+json;version=1.0');
    expect(res.payload.headers['x-multi']).toBe('a, b');
    expect(res.payload.headers['x-request-id']).toBe('r-1');
    expect(Object.keys(res.payload.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]).toMatchObject({ method: 'GET', url: '/netbackup/admin/jobs?page[limit]=5' });
    expect(up.seen[0]!.headers.authorization).toBe('tok123');
    expect(up.seen[0]!.headers.host).toBe(new URL(up.url).host);
    expect(up.seen[0]!.headers['proxy-authorization']).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({ method: 'GET', uri: '/netbackup/admin/jobs?page[limit]=5', status: 200, groupId: 'G1' })]);
  });

  it('sends parameters as the request body', async () => {
    const up = await upstream((_req, res, body) => {
      res.statusCode = 201;
      res.end(body);
    });
    const { proxy } = proxyFor(up.url);
    const parameters = '{"serverName": "vcenterServer1", "vmType": "VMWARE_VIRTUAL_CENTER_SERVER", "port": 0}';
    const res = await send(proxy, new FakeChannel(), {
      uri: '/netbackup/config/servers/vmservers',
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0' },
      parameters,
    });
    expect(res.payload.responseCode).toBe(201);
    expect(up.seen[0]!.body).toBe(parameters);
    expect(up.seen[0]!.headers['content-type']).toBe('application/vnd.netbackup+json;version=1.0');
    expect(up.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(parameters)));
  });

  it.each([
    [{ uri: 'http://127.0.0.1:1/netbackup/x', method: 'GET' }],
    [{ uri: '//127.0.0.1/netbackup/x', method: 'GET' }],
    [{ uri: '/netbackup/%2e%2e/x', method: 'GET' }],
    [{ uri: '/netbackup/x', method: 'GET', headers: { 'X-A': 'a\r\nX-B: b' } }],
    [{ uri: '/netbackup/x', method: 'TRACE' }],
    [{ method: 'GET' }],
    [{ uri: '/netbackup/x' }],
  ])('refuses %j with 400 and a JSON error body, sending nothing upstream', async (payload) => {
    const up = await upstream((_req, res) => res.end('should not happen'));
    const { proxy, events } = proxyFor(up.url);
    const res = await send(proxy, new FakeChannel(), payload as CommandRequestPayload);
    expect(res.payload.responseCode).toBe(400);
    const body = JSON.parse(res.payload.body) as { errorCode: number; errorMessage: string };
    expect(body.errorCode).toBe(400);
    expect(body.errorMessage).toEqual(expect.any(String));
    expect(up.seen).toHaveLength(0);
    expect(events[0]!.status).toBe(400);
  });

  it('answers 502 when NetBackup is unreachable', async () => {
    const up = await upstream((_req, res) => res.end());
    const url = up.url;
    await new Promise((r) => up.server.close(r));
    const { proxy } = proxyFor(url);
    const res = await send(proxy, new FakeChannel(), { uri: '/netbackup/admin/jobs', method: 'GET' });
    expect(res.payload.responseCode).toBe(502);
    expect(JSON.parse(res.payload.body).errorMessage).toMatch(/unreachable/i);
  });

  it('answers 504 when NetBackup does not answer within command.timeout', async () => {
    const up = await upstream(() => {
      /* never answers */
    });
    const { proxy } = proxyFor(up.url, { 'command.timeout': 150 });
    const res = await send(proxy, new FakeChannel(), { uri: '/netbackup/admin/jobs', method: 'GET' });
    expect(res.payload.responseCode).toBe(504);
    expect(JSON.parse(res.payload.body).errorMessage).toMatch(/command\.timeout/);
  });

  it('answers 502 when the body cannot fit a 2 MB frame, raw or once escaped', async () => {
    const up = await upstream((req, res) => {
      if (req.url!.endsWith('/raw')) res.end('x'.repeat(2 * 1024 * 1024 + 1));
      else res.end('"'.repeat(1024 * 1024 + 10)); // under 2 MB raw, over 2 MB once JSON-escaped
    });
    const { proxy } = proxyFor(up.url);
    const ch = new FakeChannel();
    for (const uri of ['/netbackup/test/raw', '/netbackup/test/escaped']) {
      const res = await send(proxy, ch, { uri, method: 'GET' });
      expect(res.payload.responseCode).toBe(502);
      expect(JSON.parse(res.payload.body).errorMessage).toMatch(/too large for a 2 MB/);
    }
    expect(ch.frames.every((f) => Buffer.byteLength(f) <= 2 * 1024 * 1024)).toBe(true);
  });

  it('runs at most command.maxConcurrent at once, queues up to command.maxQueued, and answers 503 past that', async () => {
    const held: ServerResponse[] = [];
    let arrived!: () => void;
    const twoArrived = new Promise<void>((r) => (arrived = r));
    const up = await upstream((_req, res) => {
      held.push(res);
      if (held.length === 2) arrived();
    });
    const { proxy } = proxyFor(up.url, { 'command.maxConcurrent': 2, 'command.maxQueued': 1 });
    const ch = new FakeChannel();
    const reqs = [0, 1, 2, 3].map((i) => commandRequest({ uri: `/netbackup/admin/jobs/${i}`, method: 'GET' }, 1));
    for (const r of reqs) proxy.handle(r, ch);
    await twoArrived;
    await ch.waitForFrames(1);
    const busy = ch.messages<CommandResponse>();
    expect(busy).toHaveLength(1);
    expect(busy[0]!.id).toBe(reqs[3]!.id);
    expect(busy[0]!.payload.responseCode).toBe(503);
    expect(proxy.load(ch.connectionId)).toEqual({ active: 2, queued: 1 });
    expect(up.seen).toHaveLength(2);
    // Free the slots: the queued one runs next, and every request gets exactly one response.
    for (const res of held.splice(0)) res.end('ok');
    await ch.waitForFrames(3);
    await new Promise<void>((r) => (held.length ? r() : up.server.once('request', () => setImmediate(r))));
    for (const res of held.splice(0)) res.end('ok');
    await ch.waitForFrames(4);
    const ids = ch.messages<CommandResponse>().map((m) => m.id).sort();
    expect(ids).toEqual(reqs.map((r) => r.id).sort());
  });

  it('aborts in-flight upstream requests and drops queued ones when the socket closes', async () => {
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => (arrived = r));
    const up = await upstream(() => arrived());
    const { proxy, events } = proxyFor(up.url, { 'command.maxConcurrent': 1 });
    const ch = new FakeChannel();
    proxy.handle(commandRequest({ uri: '/netbackup/slow', method: 'GET' }, 1), ch);
    proxy.handle(commandRequest({ uri: '/netbackup/queued', method: 'GET' }, 1), ch);
    await inFlight;
    const abortedSeen = once(up.events, 'aborted');
    ch.close('socket closed');
    await abortedSeen;
    expect(up.aborted).toEqual(['/netbackup/slow']);
    expect(up.seen.map((s) => s.url)).toEqual(['/netbackup/slow']);
    expect(ch.frames).toHaveLength(0);
    await new Promise<void>((resolve) => (events.length ? resolve() : proxy.once('command', () => resolve())));
    expect(events[0]).toMatchObject({ uri: '/netbackup/slow', status: 0, errorCode: 'NBWSS_ERR_SOCKET_CLOSED' });
  });

  it('logs one line per COMMAND with id, method, uri, status and duration, and never the Authorization value', async () => {
    const up = await upstream((_req, res) => res.end('{}'));
    const out = new PassThrough();
    let logged = '';
    out.on('data', (c: Buffer) => (logged += c.toString()));
    const { proxy } = proxyFor(up.url, {}, createLogger({ level: 'info', stream: out }));
    const res = await send(proxy, new FakeChannel(), { uri: '/netbackup/admin/jobs', method: 'GET', headers: { Authorization: 'SECRET-JWT-VALUE' } });
    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'COMMAND', id: res.id, method: 'GET', uri: '/netbackup/admin/jobs', status: 200 });
    expect(lines[0]!.durationMs).toEqual(expect.any(Number));
    expect(logged).not.toContain('SECRET-JWT-VALUE');
  });
});
