import { afterEach } from 'vitest';
import { Router } from '../../src/connection/channel.js';
import { EndpointConnection, type ConnectionSettings, type EndpointTarget } from '../../src/connection/endpoint-connection.js';
import { startWssServer, type TestWssServer } from '../helpers/wss-server.js';

/** Settings of the connections under test (long keepalive: tests that need pings drive a manual clock). */
export const settings: ConnectionSettings = { handshakeTimeoutMs: 5000, keepAliveIntervalMs: 60_000, maxPongMissAllowed: 3, ignoreDecoder: false };

const servers: TestWssServer[] = [];
const conns: EndpointConnection[] = [];

/** Register the clean-up of everything {@link server} and {@link connection} made (call once per test file). */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close({ code: 1001, reason: 'test over', terminate: true })));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
}

/** A real wss:// test endpoint, stopped after the test. */
export async function server(options: Parameters<typeof startWssServer>[0] = {}): Promise<TestWssServer> {
  const s = await startWssServer(options);
  servers.push(s);
  return s;
}

/** The endpoint record of `s` (pinned to its certificate). */
export function target(s: TestWssServer, path = '/', over: Partial<EndpointTarget> = {}): EndpointTarget {
  return { hostName: s.host, url: s.url(path), groupId: 'G1', priority: 1, certPem: s.certPem, certFingerprint: s.fingerprint, caPem: null, ...over };
}

/** A connection to `t` with token TOKEN-1 and an empty router (closed after the test). */
export function connection(t: EndpointTarget, over: Partial<ConstructorParameters<typeof EndpointConnection>[0]> = {}): EndpointConnection {
  const c = new EndpointConnection({ ...settings, endpoint: t, token: 'TOKEN-1', router: new Router(), ...over });
  conns.push(c);
  return c;
}
