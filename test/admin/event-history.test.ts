import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EVENT_TYPES, EventHub, type EventHubOptions } from '../../src/admin/events.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { sseClient, startAdminDaemon, type SseEvent } from './helpers.js';

/**
 * The event history (issue 12 item 1): a new client of GET /api/events first gets the events kept from before it
 * connected, each with its id; `Last-Event-ID` resumes after that id; unknown `?types=` values are a 400.
 */

/** A hub behind a real HTTP server. */
async function hubServer(options: EventHubOptions = {}) {
  const clock = new ManualClock(Date.parse('2025-06-01T09:00:00Z'));
  const hub = new EventHub({ clock, ...options });
  const server = createServer((req, res) => {
    try {
      hub.attach(req, res, new URL(req.url!, 'http://x'));
    } catch (err) {
      const e = err as { status: number; message: string; fields?: unknown };
      res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: e.message, fields: e.fields }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    hub.close();
    server.closeAllConnections();
    server.close();
  });
  return { hub, clock, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const named = (events: SseEvent[]) => events.map((e) => `${e.event}:${String(e.data.n ?? '')}`);

describe('event history', () => {
  it('a client that connects later gets the kept events first, oldest first, each with its id and time', async () => {
    const { hub, clock, url } = await hubServer();
    hub.publish('connection', { n: 1 });
    clock.advance(1000);
    hub.publish('command', { n: 2 });
    hub.publish('tick', { n: 3, at: '2025-06-01T08:00:00.000Z' });
    const client = await sseClient(url);
    await client.next((e) => e.event === 'tick');
    expect(named(client.events)).toEqual(['hello:', 'connection:1', 'command:2', 'tick:3']);
    expect(client.events[0]!.data).toMatchObject({ resumed: false, replayed: 3, complete: true, historyPerType: 100 });
    const ids = client.events.slice(1).map((e) => e.id!);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    // each event carries when it happened (unless it says so itself)
    expect(client.events[1]!.data.at).toBe('2025-06-01T09:00:00.000Z');
    expect(client.events[2]!.data.at).toBe('2025-06-01T09:00:01.000Z');
    expect(client.events[3]!.data.at).toBe('2025-06-01T08:00:00.000Z');
    // live events follow the replay
    hub.publish('connection', { n: 4 });
    await client.next((e) => e.data.n === 4);
  });

  it('Last-Event-ID resumes after that event; an id of another run (a restart) replays everything', async () => {
    const { hub, url } = await hubServer();
    for (let n = 1; n <= 5; n++) hub.publish('command', { n });
    const first = await sseClient(url);
    await first.next((e) => e.data.n === 5);
    const third = first.events.find((e) => e.data.n === 3)!.id!;
    const resumed = await sseClient(url, { headers: { 'last-event-id': third } });
    await resumed.next((e) => e.data.n === 5);
    expect(named(resumed.events)).toEqual(['hello:', 'command:4', 'command:5']);
    expect(resumed.events[0]!.data).toMatchObject({ resumed: true, replayed: 2, complete: true });
    const other = await sseClient(url, { headers: { 'last-event-id': 'zzzz.3' } });
    await other.next((e) => e.data.n === 5);
    expect(named(other.events)).toEqual(['hello:', 'command:1', 'command:2', 'command:3', 'command:4', 'command:5']);
    expect(other.events[0]!.data).toMatchObject({ resumed: false });
    // an id ahead of this run (a client of a run that got further) is not a resume point either
    const ahead = await sseClient(url, { headers: { 'last-event-id': third.replace(/\.\d+$/, '.99') } });
    expect(ahead.events[0]!.data).toMatchObject({ resumed: false, replayed: 5 });
  });

  it('keeps the last N events of each type: busy traffic never pushes out the connection history', async () => {
    const { hub, url } = await hubServer({ history: 3 });
    hub.publish('connection', { n: 1 });
    for (let n = 2; n <= 11; n++) hub.publish('batch_acked', { n });
    const client = await sseClient(url);
    await client.next((e) => e.data.n === 11);
    expect(named(client.events)).toEqual(['hello:', 'connection:1', 'batch_acked:9', 'batch_acked:10', 'batch_acked:11']);
    expect(client.events[0]!.data).toMatchObject({ replayed: 4, complete: false, historyPerType: 3 });
    // resuming from before what is still kept says it is not complete
    const after = client.events[1]!.id!;
    const late = await sseClient(url, { headers: { 'last-event-id': after } });
    expect(late.events[0]!.data).toMatchObject({ resumed: true, complete: false });
    const onlyConnections = await sseClient(`${url}?types=connection`, { headers: { 'last-event-id': after } });
    expect(onlyConnections.events[0]!.data).toMatchObject({ resumed: true, replayed: 0, complete: true });
  });

  it('?types= replays and streams only those types; an unknown type is a 400 listing the valid ones', async () => {
    const { hub, url } = await hubServer();
    hub.publish('connection', { n: 1 });
    hub.publish('command', { n: 2 });
    const client = await sseClient(`${url}?types=command`);
    await client.next((e) => e.data.n === 2);
    expect(named(client.events)).toEqual(['hello:', 'command:2']);
    const bad = await fetch(`${url}?types=command,conection,nope`);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { message: string; fields: { field: string; message: string }[] };
    expect(body.message).toBe(`types has an unknown event types "conection", "nope" (valid: ${EVENT_TYPES.join(', ')})`);
    expect(body.fields).toEqual([{ field: 'types', message: expect.stringContaining('(valid: connection, attempt_failed,') }]);
    expect(hub.clientCount).toBe(1);
  });

  it('history 0 keeps nothing; a replay never exceeds half the buffer cap (the newest are kept)', async () => {
    const none = await hubServer({ history: 0 });
    none.hub.publish('connection', { n: 1 });
    const c = await sseClient(none.url);
    expect(c.events[0]!.data).toMatchObject({ replayed: 0, complete: false });

    const small = await hubServer({ maxBufferedBytes: 4096 });
    const pad = 'x'.repeat(500);
    for (let n = 1; n <= 20; n++) small.hub.publish('command', { n, pad });
    const s = await sseClient(small.url);
    await s.next((e) => e.data.n === 20);
    const replayed = s.events.slice(1);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.length).toBeLessThan(20);
    expect(replayed.at(-1)!.data.n).toBe(20);
    expect(s.events[0]!.data).toMatchObject({ complete: false });
    expect(small.hub.clientCount).toBe(1); // not dropped for its own replay
  });
});

describe('GET /api/events on the daemon', () => {
  it('a console opened after the facts sees them: connection, endpoint change, realization', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 3600, 'admin.eventHistory': 50 } });
    await a.call('POST', '/api/endpoints/127.0.0.2/deactivate');
    await a.daemon.scheduler.tickNow();
    const late = await sseClient(`${a.base}/api/events`);
    await late.next((e) => e.event === 'connection' && e.data.state === 'DISCONNECTED');
    const types = late.events.map((e) => e.event);
    expect(types[0]).toBe('hello');
    expect(types.indexOf('connection')).toBeLessThan(types.indexOf('endpoint'));
    expect(types).toContain('realization');
    expect(late.events[0]!.data).toMatchObject({ historyPerType: 50 });
    expect((await a.call('GET', '/api/events?types=bogus')).status).toBe(400);
  });
});
