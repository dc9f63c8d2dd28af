import { describe, expect, it } from 'vitest';
import { MockEndpointError, OVERSIZE_FRAME_BYTES } from '../../src/endpoint-mock/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeNetBackup, startEndpoint } from './helpers.js';

/**
 * Each fault switch changes behaviour as named. "Nothing arrived" is shown without sleeping: the endpoint
 * handles frames in order, so after a later round trip completes anything owed for an earlier frame would
 * already have arrived.
 */
describe('mock endpoint fault switches', () => {
  it('rejectToken: valid:false even with the right token; off again at runtime', async () => {
    const endpoint = await startEndpoint({ faults: { rejectToken: true } });
    const rejected = endpoint.waitFor('rejected');
    const { response } = await FakeNetBackup.connect(endpoint);
    expect(response.payload).toEqual({ valid: false });
    expect((await rejected).reason).toBe('rejectToken');
    endpoint.setFaults({ rejectToken: false });
    expect((await FakeNetBackup.connect(endpoint)).response.payload).toEqual({ valid: true });
  });

  it('ackDelayMs: the acknowledgement waits for the delay (driven by the clock)', async () => {
    const clock = new ManualClock();
    const endpoint = await startEndpoint({ clock, faults: { ackDelayMs: 3000 } });
    const { client } = await FakeNetBackup.connect(endpoint);
    const note = client.notification();
    const seen = endpoint.waitFor('notification');
    const ack = client.next((m) => m.id === note.id);
    client.send(note);
    expect((await seen).action).toBe('ack');
    await client.pingPong(); // a round trip after the notification: an immediate ack would have arrived first
    expect(client.received.some((m) => m.id === note.id)).toBe(false);
    const acknowledged = endpoint.waitFor('acknowledged');
    clock.advance(2999);
    expect(client.received.some((m) => m.id === note.id)).toBe(false);
    clock.advance(1);
    expect(await acknowledged).toMatchObject({ id: note.id, delayMs: 3000 });
    expect((await ack).payload).toEqual([]);
  });

  it('dropAcks: never acknowledges; NetBackup resending the same id is fine, a new id is a stop-and-wait problem', async () => {
    const endpoint = await startEndpoint({ faults: { dropAcks: true } });
    const { client } = await FakeNetBackup.connect(endpoint);
    const note = client.notification();
    const dropped = endpoint.waitFor('notification');
    client.send(note);
    expect((await dropped).action).toBe('drop');
    const other = client.notification();
    const problem = endpoint.waitFor('problem');
    client.send(other);
    expect((await problem).problems.map((p) => p.rule)).toEqual(['sequence.stopAndWait']);
    endpoint.setFaults({ dropAcks: false });
    const ack = await client.request(note); // the resend, same id, is acknowledged now
    expect(ack.id).toBe(note.id);
    expect(client.received.filter((m) => m.type === 'NOTIFICATION').map((m) => m.id)).toEqual([note.id]);
    expect(endpoint.stats()).toMatchObject({ notificationsReceived: 3, notificationsAcknowledged: 1, duplicateNotifications: 1 });
  });

  it('noPong: a ping gets no pong; the default answers it', async () => {
    const endpoint = await startEndpoint();
    const { client } = await FakeNetBackup.connect(endpoint);
    const roundTrip = () => client.request(client.notification());
    expect(await client.pingAnsweredBefore(roundTrip)).toBe(true);
    endpoint.setFaults({ noPong: true });
    const ping = endpoint.waitFor('ping');
    expect(await client.pingAnsweredBefore(roundTrip)).toBe(false);
    expect((await ping).answered).toBe(false);
    const fresh = await startEndpoint({ faults: { noPong: true } });
    const c2 = (await FakeNetBackup.connect(fresh)).client;
    expect(await c2.pingAnsweredBefore(() => c2.request(c2.notification()))).toBe(false);
  });

  it('closeAfter: closes the socket (1000) on the Nth notification, leaving it unacknowledged', async () => {
    const endpoint = await startEndpoint({ faults: { closeAfter: 2 } });
    const { client } = await FakeNetBackup.connect(endpoint);
    await client.request(client.notification());
    const second = client.notification();
    const closing = endpoint.waitFor('notification', (e) => e.request.id === second.id);
    client.send(second);
    expect((await closing).action).toBe('close');
    expect(await client.closed).toEqual({ code: 1000, reason: 'closeAfter 2' });
    expect(client.received.some((m) => m.id === second.id)).toBe(false);
    // the count is per socket: a new socket gets N-1 acknowledgements again
    const again = (await FakeNetBackup.connect(endpoint)).client;
    expect((await again.request(second)).id).toBe(second.id);
  });

  it('oversizeFrame: right after CONNECT a frame over 2 MB arrives; a 2 MB client closes with 1009', async () => {
    const endpoint = await startEndpoint({ faults: { oversizeFrame: true } });
    const closed = endpoint.waitFor('close');
    const { client, response } = await FakeNetBackup.connect(endpoint, endpoint.token, { maxPayload: 2 * 1024 * 1024 });
    expect(response.payload).toEqual({ valid: true });
    expect(await closed).toMatchObject({ code: 1009, by: 'netbackup' });
    await client.closed;
    expect(client.error?.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(OVERSIZE_FRAME_BYTES).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('oversizeFrame: the frame itself is a COMMAND REQUEST just over the cap', async () => {
    const endpoint = await startEndpoint({ faults: { oversizeFrame: true } });
    const { client } = await FakeNetBackup.connect(endpoint, endpoint.token, { maxPayload: 4 * 1024 * 1024 });
    const big = await client.next((m) => m.type === 'COMMAND');
    expect(JSON.stringify(big).length).toBe(OVERSIZE_FRAME_BYTES);
    expect(big).toMatchObject({ subType: 'REQUEST', payload: { method: 'GET', uri: '/netbackup/ping' } });
  });

  it('setFaults validates its values', async () => {
    const endpoint = await startEndpoint();
    expect(() => endpoint.setFaults({ ackDelayMs: -1 })).toThrow(MockEndpointError);
    expect(() => endpoint.setFaults({ closeAfter: 1.5 })).toThrow(/closeAfter/);
    expect(endpoint.setFaults({ dropAcks: true })).toMatchObject({ dropAcks: true, noPong: false });
  });
});
