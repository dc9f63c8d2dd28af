import { rejection } from '../helpers/rejection.js';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { generateCertificate } from '../../src/certificates.js';
import { Router } from '../../src/connection/channel.js';
import type { DecodeErrorInfo } from '../../src/connection/endpoint-connection.js';
import { ConnectError } from '../../src/errors.js';
import type { Message } from '../../src/protocol/index.js';
import { freshCertificate } from '../helpers/certs.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { cleanUpAfterEach, connection, server, target } from './harness.js';

cleanUpAfterEach();

describe('EndpointConnection: CONNECT handshake', () => {
  it('sends CONNECT REQUEST (upper-case UUID id, integer-second timeStamp, token) and is CONNECTED on the matching valid:true', async () => {
    const s = await server({ paths: { '/ws': { token: 'TOKEN-1' } } });
    const c = connection(target(s, '/ws'));
    const events: string[] = [];
    c.on('connected', () => events.push('connected'));
    const request = s.waitFor('connectRequest');
    await c.connect();
    const [, msg] = await request;
    expect(msg).toMatchObject({ version: '1.0', type: 'CONNECT', subType: 'REQUEST', payload: { token: 'TOKEN-1' } });
    expect(msg.id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(Number.isInteger(msg.timeStamp)).toBe(true);
    expect(Math.abs(msg.timeStamp - Date.now() / 1000)).toBeLessThan(5);
    expect(events).toEqual(['connected']);
    expect(c.status).toBe('connected');
    expect(c.isOpen).toBe(true);
    expect(c.stats.connectedSince).not.toBeNull();
    expect(() => c.connect()).toThrow(/illegal transition/);
  });

  it('valid:false is a failed attempt (reason rejected); the socket is fully closed when connect() rejects', async () => {
    const s = await server({ paths: { '/ws': { token: 'RIGHT' } } });
    const c = connection(target(s, '/ws'));
    let connected = false;
    c.on('connected', () => (connected = true));
    const closed = s.waitFor('close');
    const err = await rejection(c.connect(), ConnectError);
    expect(err.reason).toBe('rejected');
    expect(err.message).toMatch(/valid: false/);
    expect(c.status).toBe('closed');
    expect(connected).toBe(false);
    expect((await closed)[1].code).toBe(1000);
  });

  it('a CONNECT RESPONSE with another id is a failed attempt (closed 1008)', async () => {
    const s = await server({ defaultBehaviour: { connect: 'wrong-id' } });
    const closed = s.waitFor('close');
    const err = await rejection(connection(target(s)).connect(), ConnectError);
    expect(err.reason).toBe('rejected');
    expect(err.message).toMatch(/another id/);
    expect((await closed)[1].code).toBe(1008);
  });

  it('nothing but the CONNECT RESPONSE is accepted before CONNECTED', async () => {
    const s = await server({ defaultBehaviour: { connect: (req, sock) => sock.send({ version: '1.0', id: req.id, type: 'COMMAND', subType: 'REQUEST', timeStamp: 1, payload: {} }) } });
    const err = await rejection(connection(target(s)).connect(), ConnectError);
    expect(err.message).toMatch(/COMMAND REQUEST before the CONNECT RESPONSE/);
  });

  it('no CONNECT RESPONSE within connectionInfo.handshakeTimeout: handshake_timeout, socket terminated', async () => {
    const s = await server({ defaultBehaviour: { connect: 'ignore' } });
    const clock = new ManualClock();
    const c = connection(target(s), { clock, handshakeTimeoutMs: 3000 });
    const requested = s.waitFor('connectRequest');
    const closed = s.waitFor('close');
    const attempt = c.connect();
    await requested;
    clock.advance(2999);
    expect(c.status).toBe('handshaking');
    clock.advance(1);
    const err = await rejection(attempt, ConnectError);
    expect(err.reason).toBe('handshake_timeout');
    expect((await closed)[1].code).toBe(1006);
  });

  it('an aborted signal ends the attempt (reason aborted)', async () => {
    const s = await server({ defaultBehaviour: { connect: 'ignore' } });
    const ac = new AbortController();
    const c = connection(target(s));
    const requested = s.waitFor('connectRequest');
    const attempt = c.connect(ac.signal);
    await requested;
    ac.abort();
    expect((await rejection(attempt, ConnectError)).reason).toBe('aborted');
  });

  it('a refused upgrade is http_status; nothing listening is unreachable with the guide message', async () => {
    const s = await server({ defaultBehaviour: { refuseStatus: 403 } });
    expect((await rejection(connection(target(s)).connect(), ConnectError)).reason).toBe('http_status');
    const t = target(s);
    await s.stop();
    const err = await rejection(connection(t).connect(), ConnectError);
    expect(err.reason).toBe('unreachable');
    expect(err.message).toMatch(/^Unable to establish connection with host: 127\.0\.0\.1 \(ECONNREFUSED\)/);
  });
});

describe('EndpointConnection: TLS pinning', () => {
  it('refuses a certificate other than the pinned one, names both fingerprints, and never upgrades (no token sent)', async () => {
    const s = await server();
    const other = await freshCertificate('127.0.0.1');
    const err = await rejection(connection(target(s, '/', { certPem: other.cert, certFingerprint: other.fingerprint256 })).connect(), ConnectError);
    expect(err.reason).toBe('pin_mismatch');
    expect(err.message).toContain(other.fingerprint256);
    expect(err.message).toContain(s.fingerprint);
    expect(s.totalSockets('/')).toBe(0);
  });

  it('with a CA given at add time, accepts a chain to it and refuses one to another CA', async () => {
    const ca = await generateCertificate({ hosts: ['nbwss test CA'], isCa: true });
    const leaf = await generateCertificate({ hosts: ['127.0.0.1'], ca: { key: ca.key, cert: ca.cert } });
    const s = await server({ cert: leaf });
    await connection(target(s, '/', { caPem: ca.cert, certFingerprint: 'not used with a CA' })).connect();
    const otherCa = await generateCertificate({ hosts: ['other CA'], isCa: true });
    const err = await rejection(connection(target(s, '/', { caPem: otherCa.cert })).connect(), ConnectError);
    expect(err.reason).toBe('tls');
    expect(err.message).toContain(leaf.fingerprint256);
  });
});

describe('EndpointConnection: keepalive', () => {
  it('terminates at maxPongMissAllowed consecutive misses (a dead peer), not before', async () => {
    const s = await server({ defaultBehaviour: { autoPong: false } });
    const clock = new ManualClock();
    const c = connection(target(s), { clock, keepAliveIntervalMs: 1000, maxPongMissAllowed: 3 });
    await c.connect();
    for (let i = 1; i <= 3; i++) {
      const ping = s.waitFor('ping');
      clock.advance(1000);
      await ping;
    }
    expect(c.stats).toMatchObject({ pingsSent: 3, missedPongs: 2, consecutiveMisses: 2, pongsReceived: 0 });
    expect(c.status).toBe('connected');
    const closed = s.waitFor('close');
    const disconnected = once(c, 'disconnected');
    clock.advance(1000);
    const [info] = await disconnected;
    expect(info).toMatchObject({ code: 1006, initiator: 'local', wasConnected: true });
    expect(info.reason).toMatch(/3 consecutive pongs missed/);
    expect((await closed)[1].code).toBe(1006); // terminated: no close frame
    expect(c.stats).toMatchObject({ pingsSent: 3, missedPongs: 3 });
  });

  it('pongs keep it alive and reset the count; RTT figures are recorded', async () => {
    const s = await server({ paths: { '/': { autoPong: false } } });
    const clock = new ManualClock();
    const c = connection(target(s), { clock, keepAliveIntervalMs: 1000, maxPongMissAllowed: 2 });
    await c.connect();
    let ping = s.waitFor('ping');
    clock.advance(1000); // ping 1, unanswered
    await ping;
    s.behave('/', { autoPong: true });
    for (let i = 0; i < 5; i++) {
      const pong = once(c, 'pong');
      clock.advance(1000); // counts the previous ping as missed at most once, then pings again
      await pong;
      expect(c.stats.consecutiveMisses).toBe(0);
    }
    expect(c.status).toBe('connected');
    expect(c.stats).toMatchObject({ pingsSent: 6, pongsReceived: 5, missedPongs: 1, consecutiveMisses: 0 });
    expect(c.stats.lastRttMs).toBe(0); // the manual clock did not move between ping and pong
    expect(c.stats.avgRttMs).toBe(0);
    ping = s.waitFor('ping');
    clock.advance(1000);
    await ping;
  });
});

describe('EndpointConnection: decoder policy and routing', () => {
  const frames: Record<string, { data: string | Buffer; binary?: boolean; code: number; error: string }> = {
    binary: { data: Buffer.from([1, 2, 3]), binary: true, code: 1003, error: 'NBWSS_ERR_DECODE_BINARY' },
    'not JSON': { data: '{"this is": not json' + 'z'.repeat(300), code: 1007, error: 'NBWSS_ERR_DECODE_JSON' },
    'not an object': { data: '[1,2]', code: 1007, error: 'NBWSS_ERR_DECODE_SHAPE' },
    'unknown type': { data: JSON.stringify({ version: '1.0', id: 'A', type: 'HELLO', subType: 'REQUEST', timeStamp: 1, payload: {} }), code: 1007, error: 'NBWSS_ERR_DECODE_TYPE' },
    'a type with no route': { data: JSON.stringify({ version: '1.0', id: 'A', type: 'COMMAND', subType: 'REQUEST', timeStamp: 1, payload: {} }), code: 1007, error: 'NBWSS_ERR_DECODE_TYPE' },
  };

  for (const [name, f] of Object.entries(frames)) {
    it(`ignoreDecoder=false: ${name} emits decodeError ${f.error}, closes with ${f.code} and logs the first 200 bytes`, async () => {
      const s = await server({ defaultBehaviour: { onConnected: (sock) => sock.send(f.data, { binary: f.binary ?? false }) } });
      const { logger, lines } = captureLogger();
      const c = connection(target(s), { logger });
      const events: string[] = [];
      c.on('decodeError', (info) => events.push(`decodeError ${info.code} ignored=${info.ignored} ${c.status}`));
      c.on('disconnected', (info) => events.push(`disconnected ${info.code}`));
      const disconnected = once(c, 'disconnected');
      const serverClose = s.waitFor('close');
      await c.connect();
      expect((await disconnected)[0].code).toBe(f.code);
      expect((await serverClose)[1].code).toBe(f.code);
      // Once, while still CONNECTED, before the close it causes.
      expect(events).toEqual([`decodeError ${f.error} ignored=false connected`, `disconnected ${f.code}`]);
      const line = lines.find((l) => l.msg.startsWith('undecodable frame: closing'));
      const expected = typeof f.data === 'string' ? f.data.slice(0, 200) : f.data.toString('utf8');
      expect(String(line?.preview).startsWith(expected)).toBe(true);
    });
  }

  it('ignoreDecoder=true: logs and ignores every bad frame; the next good one is routed', async () => {
    const good = { version: '1.0', id: 'OK', type: 'COMMAND', subType: 'REQUEST', timeStamp: 1, payload: {} };
    const s = await server({
      defaultBehaviour: {
        onConnected: (sock) => {
          sock.send(Buffer.from([1]), { binary: true });
          sock.send('nope');
          sock.send({ ...good, type: 'HELLO' });
          sock.send({ ...good, subType: 'RESPONSE' }); // no route
          sock.send(good);
        },
      },
    });
    const { logger, lines } = captureLogger();
    const router = new Router();
    const got = new Promise<Message>((resolve) => router.on('COMMAND', 'REQUEST', (m) => resolve(m)));
    const c = connection(target(s), { logger, router, ignoreDecoder: true });
    const errors: DecodeErrorInfo[] = [];
    c.on('decodeError', (info) => errors.push(info));
    await c.connect();
    expect((await got).id).toBe('OK');
    expect(c.isOpen).toBe(true);
    expect(lines.filter((l) => l.msg.startsWith('undecodable frame ignored')).length).toBe(4);
    expect(errors).toEqual([
      { code: 'NBWSS_ERR_DECODE_BINARY', ignored: true },
      { code: 'NBWSS_ERR_DECODE_JSON', ignored: true },
      { code: 'NBWSS_ERR_DECODE_TYPE', ignored: true },
      { code: 'NBWSS_ERR_DECODE_TYPE', ignored: true },
    ]);
  });

  it('routes responses with ids it does not know to their handler (the handler decides); send() works once CONNECTED', async () => {
    const s = await server({ defaultBehaviour: { onMessage: (m, sock) => sock.send({ ...(m as object), subType: 'RESPONSE', id: 'UNKNOWN-ID', payload: [] }) } });
    const router = new Router();
    const got = new Promise<[Message, unknown]>((resolve) => router.on('NOTIFICATION', 'RESPONSE', (m, ch) => resolve([m, ch])));
    const c = connection(target(s), { router });
    expect(c.send({ hello: 1 })).toBe(false);
    await c.connect();
    expect(c.send({ version: '1.0', id: 'N1', type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: 1, payload: [] })).toBe(true);
    const [m, ch] = await got;
    expect(m.id).toBe('UNKNOWN-ID');
    expect(ch).toBe(c);
  });
});

describe('EndpointConnection: teardown', () => {
  it('close(1001) sends 1001, aborts the signal, emits disconnected once and resolves closed', async () => {
    const s = await server();
    const c = connection(target(s));
    await c.connect();
    const serverClose = s.waitFor('close');
    const seen: number[] = [];
    c.on('disconnected', (i) => seen.push(i.code));
    const info = await c.close({ code: 1001, reason: 'shutting down' });
    await c.close({ code: 1000, reason: 'again' });
    expect(info).toMatchObject({ code: 1001, reason: 'shutting down', initiator: 'local', wasConnected: true });
    expect(seen).toEqual([1001]);
    expect(c.signal.aborted).toBe(true);
    expect(c.send({})).toBe(false);
    expect((await serverClose)[1]).toEqual({ code: 1001, reason: 'shutting down' });
  });

  it('a close by the endpoint is reported with its code and reason', async () => {
    const s = await server({ defaultBehaviour: { onConnected: (sock) => sock.close(4000, 'bye') } });
    const c = connection(target(s));
    const disconnected = once(c, 'disconnected');
    await c.connect();
    expect((await disconnected)[0]).toMatchObject({ code: 4000, reason: 'bye', initiator: 'peer', wasConnected: true });
    expect(c.status).toBe('closed');
  });
});
