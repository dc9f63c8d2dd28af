import { describe, expect, it } from 'vitest';
import { OVERSIZE_REASON } from '../../src/connection/endpoint-connection.js';
import type { TickInfo } from '../../src/scheduler/scheduler.js';
import { freshCertificate } from '../helpers/certs.js';
import { harness } from './harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('Scheduler: choosing an endpoint', () => {
  it('connects each group to its highest priority endpoint (ties by hostName) and records the states', async () => {
    const h = await harness();
    const s = await h.server({ paths: { '/a': { label: 'G1' }, '/b': { label: 'G1' }, '/c': { label: 'G2' }, '/d': { label: 'G2' } } });
    h.add(s, { hostName: 'ep-b.test', groupId: 'G1', priority: 2, path: '/b' });
    h.add(s, { hostName: 'ep-a.test', groupId: 'G1', priority: 1, path: '/a' });
    h.add(s, { hostName: 'zz.test', groupId: 'G2', priority: 5, path: '/d' });
    h.add(s, { hostName: 'yy.test', groupId: 'G2', priority: 5, path: '/c' });
    const tick = await h.scheduler.tickNow();
    expect(tick).toMatchObject({ groups: 2, connected: 2, attempts: 2, failures: 0 });
    expect(h.live('G1')?.hostName).toBe('ep-a.test');
    expect(h.live('G2')?.hostName).toBe('yy.test');
    const states = Object.fromEntries(h.endpoints.list().map((e) => [e.hostName, e.connectionState]));
    expect(states).toEqual({ 'ep-a.test': 'CONNECTED', 'ep-b.test': 'DISCONNECTED', 'yy.test': 'CONNECTED', 'zz.test': 'DISCONNECTED' });
    expect(h.endpoints.get('ep-a.test')?.connectionChangedAt).not.toBeNull();
    const change = h.lines.find((l) => l.hostName === 'ep-a.test' && l.to === 'CONNECTED');
    expect(change).toMatchObject({ groupId: 'G1', from: 'DISCONNECTED', to: 'CONNECTED', reason: expect.any(String) });
    expect(s.totalSockets('/b') + s.totalSockets('/d')).toBe(0);
  });

  it('fails over when the best endpoint is down, does not preempt when it returns, and goes back to it once the endpoint closes the socket', async () => {
    const h = await harness();
    const ep1 = await h.server({ host: '127.0.0.2' });
    const ep2 = await h.server({ host: '127.0.0.3' });
    h.add(ep1, { hostName: '127.0.0.2', groupId: 'G1', priority: 1 });
    h.add(ep2, { hostName: '127.0.0.3', groupId: 'G1', priority: 2 });
    await ep1.stop();

    await h.scheduler.tickNow();
    expect(h.events).toEqual(['failed G1 127.0.0.2 unreachable', 'connected G1 127.0.0.3']);
    expect(h.endpoints.get('127.0.0.2')?.lastError).toMatch(/^Unable to establish connection with host: 127\.0\.0\.2/);

    await ep1.start(); // priority 1 is back: nothing changes (spec §7)
    await h.scheduler.tickNow();
    await h.scheduler.tickNow();
    expect(h.live('G1')?.hostName).toBe('127.0.0.3');
    expect(ep1.totalSockets('/')).toBe(0);

    const dropped = h.next('disconnected');
    ep2.sockets()[0]!.close(1000, 'cloud app restarts');
    await dropped;
    await h.scheduler.tickNow();
    expect(h.live('G1')?.hostName).toBe('127.0.0.2');
    expect(h.events.slice(2)).toEqual(['disconnected G1 127.0.0.3 1000', 'connected G1 127.0.0.2']);
    expect(h.endpoints.get('127.0.0.3')).toMatchObject({ connectionState: 'DISCONNECTED', lastError: '1000 cloud app restarts' });
  });

  it('valid:false and a CONNECT timeout fall through to the next endpoint in the same tick', async () => {
    const h = await harness({ 'connectionInfo.handshakeTimeout': 400 });
    const s = await h.server({ paths: { '/1': { label: 'G', token: 'RIGHT' }, '/2': { label: 'G', connect: 'ignore' }, '/3': { label: 'G' } } });
    h.add(s, { hostName: 'one', groupId: 'G', priority: 1, path: '/1', token: 'WRONG' });
    h.add(s, { hostName: 'two', groupId: 'G', priority: 2, path: '/2' });
    h.add(s, { hostName: 'three', groupId: 'G', priority: 3, path: '/3' });
    const tick = await h.scheduler.tickNow();
    expect(h.events).toEqual(['failed G one rejected', 'failed G two handshake_timeout', 'connected G three']);
    expect(tick).toMatchObject({ attempts: 3, failures: 2, connected: 1 });
    expect(s.maxConcurrent('G')).toBe(1);
  });

  it('refuses a certificate other than the pinned one; the log line names both fingerprints', async () => {
    const h = await harness();
    const s = await h.server();
    const other = await freshCertificate('127.0.0.1');
    h.add(s, { hostName: 'pinned.test', groupId: 'G', priority: 1, pin: other });
    await h.scheduler.tickNow();
    expect(h.failures.map((f) => f.reason)).toEqual(['pin_mismatch']);
    const line = h.lines.find((l) => l.msg.startsWith('connection attempt failed'));
    expect(line).toMatchObject({ expectedFingerprint: other.fingerprint256, presentedFingerprint: s.fingerprint });
    expect(h.endpoints.get('pinned.test')?.lastError).toContain(s.fingerprint);
    expect(s.totalSockets('/')).toBe(0);
  });
});

describe('Scheduler: endpoint changes and drops (real period)', () => {
  it('closes the connection of a deactivated or deleted endpoint in the first tick after the change', async () => {
    // The period runs on the manual clock: nothing happens between ticks, and a tick runs exactly when the clock
    // passes a period — so "the first tick after the change" is a fact, not a race with the wall clock.
    const clock = new ManualClock();
    const h = await harness({ 'connectionInfo.period': 60 }, { clock });
    const s = await h.server({ paths: { '/1': { label: 'G1' }, '/2': { label: 'G2' } } });
    h.add(s, { hostName: 'one', groupId: 'G1', priority: 1, path: '/1' });
    h.add(s, { hostName: 'two', groupId: 'G2', priority: 1, path: '/2' });
    const first = h.next('tick') as Promise<TickInfo>;
    h.scheduler.start(); // the first tick at once; the next one 60 s away on the manual clock
    expect((await first).connected).toBe(2);
    // the tick's promise chain arms the next period once the tick has settled: let it (microtasks only)
    const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
    await settled();

    for (const [host, change] of [
      ['one', () => h.endpoints.setState('one', 'DEACTIVATED')],
      ['two', () => h.endpoints.delete('two')],
    ] as const) {
      const before = h.scheduler.stats().lastTick!.seq;
      const closes: string[] = [];
      const onClose = (sock: { path: string }) => void closes.push(sock.path);
      s.on('close', onClose);
      change();
      // the change alone closes nothing: only a tick acts on it
      clock.advance(59_999);
      await settled();
      expect(h.scheduler.stats().lastTick!.seq).toBe(before);
      expect(closes).toEqual([]);
      const closed = s.waitFor('close', (sock) => sock.path === (host === 'one' ? '/1' : '/2'));
      const next = h.next('tick') as Promise<TickInfo>;
      clock.advance(1);
      const tick = await next;
      const [, info] = await closed;
      s.off('close', onClose);
      expect(tick.seq).toBe(before + 1);
      expect(tick.retired).toBe(1);
      expect(info).toEqual({ code: 1000, reason: 'endpoint deleted or deactivated' });
      await settled();
    }
    expect(h.scheduler.connections().size).toBe(0);
    expect(h.events.filter((e) => e.startsWith('disconnected'))).toEqual(['disconnected G1 one 1000', 'disconnected G2 two 1000']);
  });

  it(`a message over 2 MB closes with 1009 ("${OVERSIZE_REASON}") and the next tick reconnects`, async () => {
    const h = await harness({ 'connectionInfo.period': 0.3 });
    let first = true;
    const s = await h.server({
      defaultBehaviour: {
        onConnected: (sock) => {
          if (first) sock.send('x'.repeat(2_097_152 + 1));
          first = false;
        },
      },
    });
    h.add(s, { hostName: 'big', groupId: 'G', priority: 1 });
    const dropped = h.next('disconnected');
    const reconnected = h.next('connected', () => h.events.filter((e) => e.startsWith('connected')).length === 2);
    h.scheduler.start();
    await dropped;
    await reconnected;
    expect(h.events).toEqual(['connected G big', 'disconnected G big 1009', 'connected G big']);
    const line = h.lines.find((l) => l.to === 'DISCONNECTED');
    expect(line).toMatchObject({ code: 1009, reason: OVERSIZE_REASON });
  });

  it('keepalive: a dead peer is terminated after maxPongMissAllowed misses and the group reconnects at the next tick', async () => {
    const h = await harness({ 'keepAlive.scheduledRate': 0.05, 'keepAlive.maxPongMissAllowed': 2 });
    const s = await h.server({ paths: { '/': { autoPong: false } } });
    h.add(s, { hostName: 'mute', groupId: 'G', priority: 1 });
    const dropped = h.next('disconnected');
    await h.scheduler.tickNow();
    const pings = h.live('G')!;
    await dropped;
    expect(pings.stats).toMatchObject({ pingsSent: 2, missedPongs: 2, pongsReceived: 0 });
    expect(h.events).toEqual(['connected G mute', 'disconnected G mute 1006']);
    s.behave('/', { autoPong: true });
    await h.scheduler.tickNow();
    expect(h.live('G')?.isOpen).toBe(true);
  });

  it('stop() closes every socket with 1001 and records DISCONNECTED', async () => {
    const h = await harness();
    const s = await h.server();
    h.add(s, { hostName: 'a', groupId: 'G', priority: 1 });
    await h.scheduler.tickNow();
    const closed = s.waitFor('close');
    await h.scheduler.stop();
    expect((await closed)[1].code).toBe(1001);
    expect(h.endpoints.get('a')?.connectionState).toBe('DISCONNECTED');
    await expect(h.scheduler.tickNow()).rejects.toThrow(/stopped/);
  });
});
