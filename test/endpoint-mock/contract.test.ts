import { describe, expect, it, onTestFinished } from 'vitest';
import { Router } from '../../src/connection/channel.js';
import { EndpointConnection, type ConnectionSettings } from '../../src/connection/endpoint-connection.js';
import { ConnectError } from '../../src/errors.js';
import type { MockEndpoint } from '../../src/endpoint-mock/index.js';
import { commandResponse, newMessageId, type Message } from '../../src/protocol/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { guidePayload, startEndpoint } from './helpers.js';

/**
 * The mock endpoint against the daemon's real `EndpointConnection`: what the later system tests rely on.
 * Only the connection's own timers are driven by a manual clock; sockets run on real time.
 */
const settings: ConnectionSettings = { handshakeTimeoutMs: 5000, keepAliveIntervalMs: 1000, maxPongMissAllowed: 2, ignoreDecoder: false };

function dial(endpoint: MockEndpoint, router = new Router(), clock = new ManualClock()): EndpointConnection {
  const c = new EndpointConnection({
    ...settings,
    endpoint: { hostName: endpoint.hostName, url: endpoint.url, groupId: 'G1', priority: 1, certPem: endpoint.certPem, certFingerprint: endpoint.fingerprint256, caPem: null },
    token: endpoint.token,
    router,
    clock,
  });
  onTestFinished(() => c.close({ code: 1001, reason: 'test over', terminate: true }).then(() => undefined));
  return c;
}

describe('mock endpoint ↔ EndpointConnection', () => {
  it('connects with the pinned certificate, acknowledges a notification and round-trips a COMMAND, all conformant', async () => {
    const endpoint = await startEndpoint();
    const acks: Message[] = [];
    const router = new Router()
      .on('NOTIFICATION', 'RESPONSE', (m) => acks.push(m))
      .on('COMMAND', 'REQUEST', (m, channel) => channel.send(commandResponse(m.id, { headers: { 'content-type': 'application/json' }, responseCode: 200, body: '{"data":[]}' }, 1700000000)));
    const c = dial(endpoint, router);
    await c.connect();
    const id = newMessageId();
    const acked = endpoint.waitFor('acknowledged');
    c.send({ version: '1.0', id, type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: Math.floor(Date.now() / 1000), payload: guidePayload() });
    expect((await acked).id).toBe(id);
    expect(await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' })).toMatchObject({ responseCode: 200 });
    expect(acks.map((m) => m.id)).toEqual([id]);
    expect(endpoint.stats()).toMatchObject({ connectedSockets: 1, problems: 0 });
  });

  it('rejectToken: the connection attempt fails as rejected, and NetBackup closes (no grace-period problem)', async () => {
    const endpoint = await startEndpoint({ faults: { rejectToken: true } });
    const closed = endpoint.waitFor('close');
    const err = await dial(endpoint).connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).reason).toBe('rejected');
    expect(await closed).toMatchObject({ by: 'netbackup' });
    expect(endpoint.stats().problems).toBe(0);
  });

  it('oversizeFrame: the connection drops with 1009', async () => {
    const endpoint = await startEndpoint({ faults: { oversizeFrame: true } });
    const closed = endpoint.waitFor('close');
    const c = dial(endpoint);
    await c.connect().catch(() => undefined); // the frame may land before or after CONNECTED
    expect((await closed).code).toBe(1009);
    expect((await c.closed).code).toBe(1009);
  });

  it('noPong: the keepalive gives up after maxPongMissAllowed and drops the socket', async () => {
    const endpoint = await startEndpoint({ faults: { noPong: true } });
    const clock = new ManualClock();
    const c = dial(endpoint, new Router(), clock);
    await c.connect();
    let closed = false;
    const close = endpoint.waitFor('close').then((e) => ((closed = true), e));
    for (let i = 0; i < 10 && !closed; i++) {
      const ping = endpoint.waitFor('ping');
      ping.catch(() => undefined);
      clock.advance(settings.keepAliveIntervalMs);
      await Promise.race([ping, close]);
    }
    expect((await close).code).toBe(1006);
    expect((await c.closed).reason).toMatch(/pong/);
  });
});
