import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Router } from '../../src/connection/channel.js';
import { ConnectError } from '../../src/errors.js';
import type { Message } from '../../src/protocol/index.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { rejection } from '../helpers/rejection.js';
import { cleanUpAfterEach, connection, server, target } from './harness.js';

cleanUpAfterEach();

/** `{"a":{"a":…1…}}`, `depth` levels deep, as text (JSON.stringify itself would overflow building it). */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const envelope = (over: Record<string, string>) => {
  const base: Record<string, string> = { version: '"1.0"', id: '"X1"', type: '"COMMAND"', subType: '"REQUEST"', timeStamp: '1', payload: '{}', ...over };
  return '{' + Object.entries(base).map(([k, v]) => `"${k}":${v}`).join(',') + '}';
};

describe('A hostile endpoint closes its own connection, never the process (issue 10 A)', () => {
  it('a url with a #fragment (ws throws in its constructor) fails the attempt through the teardown path: reason setup, no timer left', async () => {
    const s = await server();
    const clock = new ManualClock();
    const c = connection(target(s, '/p#x'), { clock });
    const err = await rejection(c.connect(), ConnectError);
    expect(err.reason).toBe('setup');
    expect(err.code).toBe('NBWSS_ERR_CONNECT_SETUP');
    expect(err.message).toMatch(/^cannot open a connection to 127\.0\.0\.1: .*fragment/);
    expect(c.status).toBe('closed');
    expect(clock.pending).toBe(0);
    clock.advance(60_000); // the handshake timer must not fire on a connection without a socket
    expect(await c.close({ code: 1000, reason: 'again' })).toMatchObject({ code: 1006, initiator: 'local', wasConnected: false });
    expect(s.totalSockets('/p')).toBe(0);
  });

  it('close() works in every state: idle, opening, handshaking, connected, closing, closed', async () => {
    const s = await server({ defaultBehaviour: { connect: 'ignore' } });
    const idle = connection(target(s));
    expect(await idle.close({ code: 1000, reason: 'idle' })).toMatchObject({ reason: 'idle', wasConnected: false });
    expect(idle.status).toBe('closed');

    const opening = connection(target(s));
    const attempt1 = opening.connect();
    expect(opening.status).toBe('opening');
    await opening.close({ code: 1001, reason: 'while opening' });
    expect((await rejection(attempt1, ConnectError)).message).toMatch(/while opening/);

    const handshaking = connection(target(s));
    const requested = s.waitFor('connectRequest');
    const attempt2 = handshaking.connect();
    await requested;
    expect(handshaking.status).toBe('handshaking');
    const closing = handshaking.close({ code: 1001, reason: 'while handshaking' });
    expect(handshaking.status).toBe('closing');
    const again = handshaking.close({ code: 1000, reason: 'while closing' });
    expect(await closing).toBe(await again);
    await rejection(attempt2, ConnectError);
    expect(await handshaking.close({ code: 1000, reason: 'when closed' })).toMatchObject({ reason: 'while handshaking' });
  });

  it('a CONNECT RESPONSE whose valid is nested 100,000 levels deep fails the attempt with a bounded message (no RangeError)', async () => {
    const s = await server({ defaultBehaviour: { connect: (req, sock) => sock.send(envelope({ id: JSON.stringify(req.id), type: '"CONNECT"', subType: '"RESPONSE"', payload: `{"valid":${nested(100_000)}}` })) } });
    const { logger, lines } = captureLogger();
    const closed = s.waitFor('close');
    const err = await rejection(connection(target(s), { logger }).connect(), ConnectError);
    expect(err.reason).toBe('rejected');
    expect(err.message).toMatch(/rejected the CONNECT REQUEST \(valid: object\(1 keys\)\)$/);
    expect((await closed)[1].code).toBe(1000);
    expect(lines.every((l) => JSON.stringify(l).length < 4000)).toBe(true);
  });

  for (const when of ['before the CONNECT RESPONSE', 'once CONNECTED'] as const) {
    it(`a type nested 100,000 levels deep ${when} is undecodable: 1007 NBWSS_ERR_DECODE_TYPE`, async () => {
      const frame = envelope({ type: nested(100_000) });
      const s = await server({ defaultBehaviour: when === 'once CONNECTED' ? { onConnected: (sock) => sock.send(frame) } : { connect: (_req, sock) => sock.send(frame) } });
      const c = connection(target(s));
      const codes: string[] = [];
      c.on('decodeError', (e) => codes.push(e.code));
      const serverClose = s.waitFor('close');
      if (when === 'once CONNECTED') {
        const disconnected = once(c, 'disconnected');
        await c.connect();
        expect((await disconnected)[0]).toMatchObject({ code: 1007, reason: 'unknown "type": object(1 keys)' });
      } else {
        expect((await rejection(c.connect(), ConnectError)).message).toMatch(/undecodable frame before the CONNECT RESPONSE: unknown "type": object\(1 keys\)/);
      }
      expect(codes).toEqual(['NBWSS_ERR_DECODE_TYPE']);
      expect((await serverClose)[1].code).toBe(1007);
    });
  }

  it('the barrier: a handler that throws closes that connection with 1011, logged once; another connection goes on', async () => {
    const s = await server({
      defaultBehaviour: {
        onConnected: (sock) => {
          if (sock.path === '/bad') for (let i = 0; i < 3; i++) sock.send(envelope({ id: `"B${i}"` }));
        },
      },
    });
    const { logger, lines } = captureLogger();
    const router = new Router().on('COMMAND', 'REQUEST', (m) => {
      throw new Error(`handler bug on ${m.id}`);
    });
    const good = connection(target(s, '/good'), { router });
    await good.connect();
    const bad = connection(target(s, '/bad'), { router, logger });
    const disconnected = once(bad, 'disconnected');
    const serverClose = s.waitFor('close', (sock) => sock.path === '/bad');
    await bad.connect();
    expect((await disconnected)[0]).toMatchObject({ code: 1011, reason: 'internal error (message)', initiator: 'local' });
    expect((await serverClose)[1].code).toBe(1011);
    const errors = lines.filter((l) => l.msg.startsWith('unexpected exception'));
    expect(errors.map((l) => [l.level, (l.err as { message: string }).message])).toEqual([['error', 'handler bug on B0']]);
    expect(good.isOpen).toBe(true);
  });

  it('the barrier: a connected listener that throws closes with 1011 too', async () => {
    const s = await server();
    const c = connection(target(s));
    c.once('connected', () => {
      throw new Error('listener bug');
    });
    const disconnected = once(c, 'disconnected');
    await c.connect();
    expect((await disconnected)[0]).toMatchObject({ code: 1011 });
  });

  it('CONNECT RESPONSE ids are compared without regard to case (a lower-case UUID connects)', async () => {
    const s = await server({ defaultBehaviour: { connect: (req, sock) => sock.send(envelope({ id: JSON.stringify(req.id.toLowerCase()), type: '"CONNECT"', subType: '"RESPONSE"', payload: '{"valid":true}' })) } });
    const c = connection(target(s));
    await c.connect();
    expect(c.status).toBe('connected');
  });

  it('an id longer than 128 characters is undecodable (1007 NBWSS_ERR_DECODE_ID); 128 is routed', async () => {
    const ok = 'I'.repeat(128);
    const s = await server({
      defaultBehaviour: {
        onConnected: (sock) => {
          sock.send(envelope({ id: JSON.stringify(ok) }));
          sock.send(envelope({ id: JSON.stringify('L'.repeat(129)) }));
        },
      },
    });
    const router = new Router();
    const routed: string[] = [];
    router.on('COMMAND', 'REQUEST', (m) => routed.push(m.id));
    const c = connection(target(s), { router });
    const codes: string[] = [];
    c.on('decodeError', (e) => codes.push(e.code));
    const disconnected = once(c, 'disconnected');
    await c.connect();
    expect((await disconnected)[0].code).toBe(1007);
    expect(routed).toEqual([ok]);
    expect(codes).toEqual(['NBWSS_ERR_DECODE_ID']);
  });
});

describe('The 2 MiB limit, exactly (issue 10 F22)', () => {
  /** A COMMAND REQUEST of exactly `bytes` bytes (padded through `parameters`). */
  function commandOf(bytes: number): string {
    const base = envelope({ id: '"BIG"', payload: '{"uri":"/x","method":"POST","parameters":""}' });
    const frame = base.replace('"parameters":""', `"parameters":"${'p'.repeat(bytes - base.length)}"`);
    expect(Buffer.byteLength(frame)).toBe(bytes);
    return frame;
  }

  it('an incoming message of exactly 2,097,152 bytes is routed', async () => {
    const s = await server({ defaultBehaviour: { onConnected: (sock) => sock.send(commandOf(2_097_152)) } });
    const router = new Router();
    const got = new Promise<Message>((resolve) => router.on('COMMAND', 'REQUEST', (m) => resolve(m)));
    const c = connection(target(s), { router });
    await c.connect();
    expect((await got).id).toBe('BIG');
    expect(c.isOpen).toBe(true);
  });

  it('an incoming message of 2,097,153 bytes closes with 1009, logged as "incoming packet over 2 MB"', async () => {
    const s = await server({ defaultBehaviour: { onConnected: (sock) => sock.send(commandOf(2_097_153)) } });
    const { logger, lines } = captureLogger();
    const c = connection(target(s), { logger });
    const disconnected = once(c, 'disconnected');
    const serverClose = s.waitFor('close');
    await c.connect();
    expect((await disconnected)[0]).toMatchObject({ code: 1009, reason: 'incoming packet over 2 MB', initiator: 'local' });
    expect([1009, 1006]).toContain((await serverClose)[1].code);
    expect(lines.some((l) => l.msg.includes('incoming packet over 2 MB'))).toBe(true);
    expect(c.stats.lastClose).toMatchObject({ code: 1009 });
  });

  it('send(): a frame of exactly 2,097,152 bytes leaves; one of 2,097,153 is refused (false, logged, nothing sent)', async () => {
    const s = await server();
    const { logger, lines } = captureLogger();
    const c = connection(target(s), { logger });
    const received: number[] = [];
    s.on('message', (_sock, m) => received.push(typeof m === 'object' && m !== null && 'id' in m ? Buffer.byteLength(JSON.stringify(m)) : -1));
    await c.connect();
    const at = s.waitFor('message', (_sock, m) => (m as { id?: string }).id === 'BIG');
    expect(c.send(commandOf(2_097_152))).toBe(true);
    await at;
    expect(c.send(commandOf(2_097_153))).toBe(false);
    const marker = s.waitFor('message', (_sock, m) => (m as { id?: string }).id === 'MARK');
    expect(c.send(envelope({ id: '"MARK"' }))).toBe(true);
    await marker;
    expect(received.length).toBe(2);
    expect(received[0]).toBe(2_097_152);
    expect(lines.filter((l) => l.msg.startsWith('frame over 2 MiB not sent')).map((l) => l.bytes)).toEqual([2_097_153]);
    expect(c.isOpen).toBe(true);
  });
});
