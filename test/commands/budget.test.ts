import { EventEmitter, once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Router } from '../../src/connection/channel.js';
import type { CommandEvent } from '../../src/commands/proxy.js';
import { commandRequest, type CommandResponse, type Message } from '../../src/protocol/messages.js';
import { FakeChannel } from '../helpers/fake-channel.js';
import { cleanUpAfterEach as cleanUpConnections, connection, server, target } from '../connection/harness.js';
import { cleanUpAfterEach, proxyFor, upstream } from './helpers.js';

cleanUpAfterEach();
cleanUpConnections();

/** NetBackup holding every request until the test answers it; `until(n)` resolves once n requests are held. */
async function holding() {
  const held: ServerResponse[] = [];
  const arrivals = new EventEmitter();
  const up = await upstream((_req, res) => {
    held.push(res);
    arrivals.emit('held');
  });
  const until = async (n: number) => {
    while (held.length < n) await once(arrivals, 'held');
  };
  return { up, held, until };
}

const post = (parameters: string) => commandRequest({ uri: '/netbackup/x', method: 'POST', parameters }, 1);
const answers = (ch: FakeChannel) => ch.messages<CommandResponse>().map((m) => `${m.payload.responseCode} ${(JSON.parse(m.payload.body) as { errorDetails?: string[] }).errorDetails?.[0] ?? ''}`.trim());

describe('COMMAND memory has a byte budget, and backpressure (issue 10 C11)', () => {
  it('command.maxQueuedBytes: bodies queued and in flight count together; past the budget 503 NBWSS_ERR_BUSY; released when answered', async () => {
    const { up, held, until } = await holding();
    const { proxy, events } = proxyFor(up.url, { 'command.maxConcurrent': 1, 'command.maxQueued': 100, 'command.maxQueuedBytes': 1000 });
    const ch = new FakeChannel();
    proxy.handle(post('a'.repeat(600)), ch); // runs
    proxy.handle(post('b'.repeat(300)), ch); // queued: 900 held
    proxy.handle(post('c'.repeat(200)), ch); // 1100 > 1000: refused
    await ch.waitForFrames(1);
    expect(answers(ch)).toEqual(['503 NBWSS_ERR_BUSY']);
    expect(ch.messages<CommandResponse>()[0]!.payload.body).toMatch(/900 bytes queued and in flight, command\.maxQueuedBytes 1000/);
    expect(proxy.load(ch.connectionId)).toEqual({ active: 1, queued: 1 });
    await until(1);
    held[0]!.end('{}');
    await until(2);
    proxy.handle(post('d'.repeat(600)), ch); // 300 + 600 fits again
    held[1]!.end('{}');
    await until(3);
    held[2]!.end('{}');
    await ch.waitForFrames(4);
    expect(answers(ch)).toEqual(['503 NBWSS_ERR_BUSY', '200', '200', '200']);
    expect(events.map((e) => e.errorCode ?? e.status)).toEqual(['NBWSS_ERR_BUSY', 200, 200, 200]);
  });

  it('one COMMAND larger than the whole budget is let in when the connection holds nothing', async () => {
    const up = await upstream((_req, res) => res.end('{}'));
    const { proxy } = proxyFor(up.url, { 'command.maxQueuedBytes': 10 });
    const ch = new FakeChannel();
    proxy.handle(post('x'.repeat(5000)), ch);
    await ch.waitForFrames(1);
    expect(answers(ch)).toEqual(['200']);
  });

  it('command.maxBufferedBytes: while the socket holds more, COMMANDs are answered 503 NBWSS_ERR_BACKPRESSURE without calling NetBackup, queued ones too', async () => {
    const { up, held, until } = await holding();
    const { proxy } = proxyFor(up.url, { 'command.maxConcurrent': 1, 'command.maxBufferedBytes': 1000 });
    const ch = new FakeChannel();
    proxy.handle(post('first'), ch); // runs
    proxy.handle(post('second'), ch); // queued
    await until(1);
    ch.bufferedAmount = 1001;
    proxy.handle(post('third'), ch);
    held[0]!.end('{}'); // its answer is sent (it was running); the queued one starts while the socket is full
    await ch.waitForFrames(3);
    expect(answers(ch)).toEqual(['503 NBWSS_ERR_BACKPRESSURE', '200', '503 NBWSS_ERR_BACKPRESSURE']);
    expect(up.seen).toHaveLength(1);
    expect(ch.messages<CommandResponse>()[0]!.payload.body).toMatch(/1001 bytes waiting to be sent, command\.maxBufferedBytes 1000/);
    ch.bufferedAmount = 1000;
    proxy.handle(post('fourth'), ch);
    await until(2);
    held[1]!.end('{}');
    await ch.waitForFrames(4);
    expect(answers(ch).at(-1)).toBe('200');
  });

  it('end to end: an endpoint that stops reading gets 503s once its socket holds more than maxBufferedBytes; what it sends is still read and routed', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const up = await upstream((_req, res) => res.end(big));
    const { proxy } = proxyFor(up.url, { 'command.maxBufferedBytes': 65536, 'command.maxConcurrent': 4 });
    const router = new Router().on('COMMAND', 'REQUEST', proxy.handle);
    const acks: string[] = [];
    let onAck = () => {};
    router.on('NOTIFICATION', 'RESPONSE', (m: Message) => {
      acks.push(m.id);
      onAck();
    });
    const s = await server();
    const c = connection(target(s), { router });
    const connected = s.waitFor('connected');
    await c.connect();
    const [sock] = await connected;
    sock.ws.pause(); // the endpoint stops reading
    const send = (m: object) => sock.send(m);
    const outcomes: string[] = [];
    for (let i = 0; i < 64 && !outcomes.includes('503 NBWSS_ERR_BACKPRESSURE'); i++) {
      const done = once(proxy, 'command') as Promise<[CommandEvent]>;
      send(commandRequest({ uri: '/netbackup/big', method: 'GET' }, 1, `C${i}`));
      const [e] = await done;
      outcomes.push(`${e.status} ${e.errorCode ?? ''}`.trim());
    }
    // 1 MiB answers until the socket (kernel buffers full) holds more than 64 KiB, then a 503 instead of NetBackup.
    expect(outcomes.at(-1)).toBe('503 NBWSS_ERR_BACKPRESSURE');
    expect(outcomes.slice(0, -1).every((o) => o === '200')).toBe(true);
    expect(up.seen).toHaveLength(outcomes.length - 1);
    expect(c.bufferedAmount).toBeGreaterThan(65536);
    const acked = new Promise<void>((resolve) => (onAck = resolve));
    send({ version: '1.0', id: 'ACK-1', type: 'NOTIFICATION', subType: 'RESPONSE', timeStamp: 1, payload: [] });
    await acked;
    expect(acks).toEqual(['ACK-1']);
    expect(c.isOpen).toBe(true);
  });
});
