import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventHub } from '../../src/admin/events.js';
import { sample, sseClient, startAdminDaemon } from './helpers.js';

/** The event stream (GET /api/events): live state changes; a client that stops reading is dropped. */

describe('GET /api/events', () => {
  it('streams connection state changes, endpoint changes and their realization', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'connectionInfo.period': 3600 } });
    const client = await sseClient(`${a.base}/api/events`);
    expect(client.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const down = client.nextLive((e) => e.event === 'connection' && e.data.state === 'DISCONNECTED');
    const res = await a.call('POST', '/api/endpoints/127.0.0.2/deactivate');
    const id = res.headers.get('x-request-id');
    expect((await client.next((e) => e.event === 'endpoint')).data).toMatchObject({ action: 'deactivate', hostName: '127.0.0.2', groupId: 'G1', requestId: id });
    await a.daemon.scheduler.tickNow();
    expect((await down).data).toMatchObject({ groupId: 'G1', hostName: '127.0.0.2', state: 'DISCONNECTED', code: 1000, reason: 'endpoint deleted or deactivated' });
    expect((await client.next((e) => e.event === 'realization' && e.data.requestId === id)).data).toMatchObject({ state: 'in_sync' });
    expect((await client.nextLive((e) => e.event === 'tick')).data).toMatchObject({ connected: 0 });

    const up = client.nextLive((e) => e.event === 'connection' && e.data.state === 'CONNECTED');
    await a.call('POST', '/api/endpoints/127.0.0.2/activate');
    await a.daemon.scheduler.tickNow();
    expect((await up).data).toMatchObject({ groupId: 'G1', hostName: '127.0.0.2', state: 'CONNECTED' });
  });

  it('carries notification batches and COMMANDs, and ?types= keeps only the types asked for', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'G1' }], overrides: { 'netbackup.mock': true, 'netbackup.baseUrl': 'https://127.0.0.1:0' } });
    const all = await sseClient(`${a.base}/api/events`);
    const onlyCommands = await sseClient(`${a.base}/api/events?types=command`);
    const acked = all.next((e) => e.event === 'batch_acked');
    await a.call('POST', '/api/notifications', { object: 'IMAGE', data: { backupId: 'b1', operationId: 'CREATE', clientName: 'vm1', clientType: 'VMWARE', backupTime: 1, createdTime: 2 } });
    expect((await all.next((e) => e.event === 'batch_sent')).data).toMatchObject({ groupId: 'G1', count: 1 });
    expect((await acked).data).toMatchObject({ groupId: 'G1', count: 1, latencyMs: expect.any(Number) });
    await a.endpoints[0]!.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' });
    expect((await onlyCommands.next((e) => e.event === 'command')).data).toMatchObject({ groupId: 'G1', method: 'GET', uri: '/netbackup/admin/jobs', status: 401 });
    await all.next((e) => e.event === 'command');
    expect(onlyCommands.events.map((e) => e.event)).toEqual(['hello', 'command']);
  });

  it('drops a client that stops reading (never buffers without bound) while a reading client goes on', async () => {
    const a = await startAdminDaemon();
    const hub = a.admin.events!;
    const reader = await sseClient(`${a.base}/api/events`);

    // A client that sends the request, reads the response head, then never reads again.
    const { port } = new URL(a.base);
    const stuck: Socket = connect(Number(port), '127.0.0.1');
    onTestFinished(() => void stuck.destroy());
    await once(stuck, 'connect');
    stuck.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    await once(stuck, 'data');
    stuck.pause();
    expect(hub.clientCount).toBe(2);

    const dropped = once(hub, 'clientDropped');
    let gone = false;
    void dropped.then(() => (gone = true));
    const payload = 'x'.repeat(16 * 1024);
    let published = 0;
    // Publish until the stuck client is dropped; the loop yields to the event loop between events so both
    // clients' sockets move. A bound guards against a hub that would buffer forever.
    while (!gone) {
      expect(published * payload.length, 'the stuck client was never dropped').toBeLessThan(256 * 1024 * 1024);
      hub.publish('command', { payload });
      published++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [info] = (await dropped) as [{ bufferedBytes: number }];
    expect(info.bufferedBytes).toBeGreaterThan(1024 * 1024);
    expect(info.bufferedBytes).toBeLessThan(1024 * 1024 + 64 * 1024); // dropped at the first write past the cap
    expect(hub.clientCount).toBe(1);
    expect(hub.droppedCount).toBe(1);
    // The stuck client's connection is closed by the daemon.
    const ended = once(stuck, 'close');
    stuck.resume();
    await ended;

    // The reading client still gets events.
    hub.publish('tick', { n: published });
    expect((await reader.next((e) => e.event === 'tick' && e.data.n === published)).data).toMatchObject({ n: published });
    const metrics = await (await a.call('GET', '/metrics')).text();
    expect(sample(metrics, 'nbwss_admin_event_clients_dropped_total')).toBe(1);
    expect(sample(metrics, 'nbwss_admin_event_clients')).toBe(1);
  });
});

describe('EventHub', () => {
  it('refuses clients beyond maxClients with 503', async () => {
    const hub = new EventHub({ maxClients: 1 });
    const server = createServer((req, res) => {
      try {
        hub.attach(req, res, new URL(req.url!, 'http://x'));
      } catch (err) {
        res.writeHead((err as { status: number }).status).end((err as Error).message);
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => {
      hub.close();
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const first = await sseClient(url);
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(await second.text()).toMatch(/too many event stream clients/);
    const none = new Promise<void>((resolve) => {
      const on = (n: number) => {
        if (n !== 0) return;
        hub.off('clients', on);
        resolve();
      };
      hub.on('clients', on);
    });
    first.abort();
    await none;
    // once the first client is gone, a new one is accepted
    const third = await sseClient(url);
    expect(third.res.status).toBe(200);
  });
});
