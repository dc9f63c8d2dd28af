import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/index.js';
import { connectResponse } from '../../src/protocol/index.js';
import type { TickInfo } from '../../src/scheduler/scheduler.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { ServerSocket } from '../helpers/wss-server.js';
import { harness } from './harness.js';

describe('Scheduler: one connection per group, bounded handshakes', () => {
  it('never has two sockets for one group, under flapping endpoints, rejections, reconnectOnClose and concurrent ticks', async () => {
    const h = await harness({ 'connectionInfo.period': 0.05, 'connectionInfo.reconnectOnClose': true, 'scheduledExecutor.threadPoolSize': 4 }, { random: () => 0 });
    // Every endpoint accepts about two thirds of the CONNECT REQUESTs and drops each connection after 0–2 ms.
    let n = 0;
    const flap = (sock: ServerSocket) => setTimeout(() => sock.close(1000, 'flap'), n++ % 3);
    const coin = (req: Message, sock: ServerSocket) => {
      const valid = n++ % 3 !== 0;
      sock.send(connectResponse(req.id, valid, 1));
      if (valid) flap(sock);
    };
    const s = await h.server({
      paths: {
        '/a1': { label: 'A', connect: coin },
        '/a2': { label: 'A', connect: coin },
        '/a3': { label: 'A', onConnected: (sock) => sock.close(1000, 'at once') },
        '/b1': { label: 'B', connect: coin },
        '/b2': { label: 'B', onConnected: flap },
      },
    });
    h.add(s, { hostName: 'a1', groupId: 'A', priority: 1, path: '/a1' });
    h.add(s, { hostName: 'a2', groupId: 'A', priority: 1, path: '/a2' });
    h.add(s, { hostName: 'a3', groupId: 'A', priority: 2, path: '/a3' });
    h.add(s, { hostName: 'b1', groupId: 'B', priority: 1, path: '/b1' });
    h.add(s, { hostName: 'b2', groupId: 'B', priority: 1, path: '/b2' });
    const enough = s.waitFor('socket', () => s.totalSockets('A') >= 25 && s.totalSockets('B') >= 25, 20_000);
    h.scheduler.start();
    const hammer = setInterval(() => {
      for (let i = 0; i < 3; i++) h.scheduler.tickNow().catch(() => {});
    }, 5);
    try {
      await enough;
    } finally {
      clearInterval(hammer);
    }
    await h.scheduler.stop();
    expect(s.maxConcurrent('A')).toBe(1);
    expect(s.maxConcurrent('B')).toBe(1);
    expect(h.scheduler.connections().size).toBe(0);
  });

  it('runs at most scheduledExecutor.threadPoolSize handshakes at once', async () => {
    const h = await harness({ 'scheduledExecutor.threadPoolSize': 2 });
    // The endpoint holds every CONNECT RESPONSE until two handshakes are pending (or 1 s passed), so more than
    // two concurrent handshakes would show up as a higher maximum.
    let pending: (() => void)[] = [];
    let maxPending = 0;
    const flush = () => {
      const p = pending;
      pending = [];
      p.forEach((f) => f());
    };
    const hold = (req: Message, sock: ServerSocket) => {
      pending.push(() => sock.send(connectResponse(req.id, true, 1)));
      maxPending = Math.max(maxPending, pending.length);
      if (pending.length >= 2) flush();
      else setTimeout(flush, 1000);
    };
    const s = await h.server({ defaultBehaviour: { connect: hold } });
    for (let i = 1; i <= 6; i++) h.add(s, { hostName: `g${i}`, groupId: `G${i}`, priority: 1, path: `/g${i}` });
    const tick = await h.scheduler.tickNow();
    expect(tick).toMatchObject({ connected: 6, attempts: 6, failures: 0 });
    expect(maxPending).toBe(2);
    expect(h.scheduler.stats().maxConcurrentHandshakes).toBe(2);
  });

  it('a dead endpoint in one group holds one handshake slot only: the other groups connect before it times out', async () => {
    const h = await harness({ 'scheduledExecutor.threadPoolSize': 2, 'connectionInfo.handshakeTimeout': 2000 });
    const dead = await h.server({ host: '127.0.0.2', defaultBehaviour: { connect: 'ignore' } });
    h.add(dead, { hostName: 'dead', groupId: 'G0', priority: 1 }); // first in group order
    const s = await h.server();
    for (let i = 1; i <= 6; i++) h.add(s, { hostName: `g${i}`, groupId: `G${i}`, priority: 1, path: `/g${i}` });
    const tick = await h.scheduler.tickNow();
    expect(tick).toMatchObject({ connected: 6, attempts: 7, failures: 1 });
    expect(h.events.at(-1)).toBe('failed G0 dead handshake_timeout');
  });

  it('ticks never overlap: tickNow() during a tick shares one queued tick that starts after it', async () => {
    const h = await harness({ 'connectionInfo.handshakeTimeout': 300 });
    const slow = await h.server({ defaultBehaviour: { connect: 'ignore' } });
    h.add(slow, { hostName: 'slow', groupId: 'G', priority: 1 });
    const ticks: TickInfo[] = [];
    h.scheduler.on('tick', (t) => ticks.push(t));
    const first = h.scheduler.tickNow();
    const more = [h.scheduler.tickNow(), h.scheduler.tickNow(), h.scheduler.tickNow()];
    const [a, ...rest] = await Promise.all([first, ...more]);
    expect(a!.seq).toBe(1);
    expect(new Set(rest.map((t) => t.seq))).toEqual(new Set([2]));
    expect(ticks.map((t) => t.seq)).toEqual([1, 2]);
    expect(ticks[1]!.startedAt).toBeGreaterThanOrEqual(ticks[0]!.startedAt + Math.floor(ticks[0]!.durationMs));
  });
});

describe('Scheduler: reconnectOnClose', () => {
  it('reconnects a dropped group with full-jitter backoff (base 1 s, cap = period) and resets after one keepalive period up', async () => {
    const clock = new ManualClock();
    const h = await harness(
      { 'connectionInfo.reconnectOnClose': true, 'connectionInfo.period': 3, 'keepAlive.scheduledRate': 5 },
      { clock, random: () => 0.5 },
    );
    const s = await h.server();
    h.add(s, { hostName: 'flaky', groupId: 'G', priority: 1 });
    h.scheduler.start(); // first tick at once; the next one is 3 s away on the manual clock
    const sockets: ServerSocket[] = [];
    s.on('connected', (sock) => sockets.push(sock));

    const dropAndExpectDelay = async (delayMs: number) => {
      const dropped = h.next('disconnected');
      sockets.at(-1)!.close(1000, 'drop');
      await dropped;
      clock.advance(delayMs - 1);
      expect(h.scheduler.stats().groupsBusy).toBe(0);
      const back = h.next('connected');
      clock.advance(1);
      expect(h.scheduler.stats().groupsBusy).toBe(1);
      await back;
    };
    await h.next('connected');
    await dropAndExpectDelay(500); // 0.5 × min(3000, 1000 × 2^0)
    await dropAndExpectDelay(1000); // 0.5 × 2000
    await dropAndExpectDelay(1500); // 0.5 × min(3000, 4000): capped at the period
    await dropAndExpectDelay(1500);
    const ping = s.waitFor('ping');
    clock.advance(5000); // up for one keepalive period (a ping went out): the counter resets
    await ping;
    await dropAndExpectDelay(500);
    expect(s.maxConcurrent('/')).toBe(1);
  });
});
