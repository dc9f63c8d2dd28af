import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import type { NetBackupMockService } from '../../src/netbackup-mock/service.js';
import { tempDir } from '../helpers/tmp.js';
import { daemonConfig, storeEndpoints, whenConnected } from '../helpers/daemon.js';

/**
 * The whole COMMAND journey with real servers: a wss:// mock cloud endpoint sends COMMAND REQUESTs through the
 * daemon (pinned TLS) to the mock NetBackup primary that the daemon runs in-process (netbackup.mock=true, https).
 */

const MEDIA = 'application/vnd.netbackup+json;version=1.0';
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function loop(overrides: Record<string, string | number | boolean> = {}) {
  const dir = tempDir();
  const endpoint: MockEndpoint = await createMockEndpoint({ host: '127.0.0.2', token: 'cloud-token' });
  cleanup.push(() => endpoint.close());
  const config = daemonConfig(dir, {
    'netbackup.mock': true,
    'netbackup.baseUrl': 'https://127.0.0.1:0',
    'keepAlive.scheduledRate': 0.1,
    'keepAlive.maxPongMissAllowed': 3,
    ...overrides,
  });
  storeEndpoints(config, { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 'cloud-token', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });
  const daemon: DaemonHandle = await startDaemon({ config });
  cleanup.push(() => daemon.stop());
  await whenConnected(daemon, 'G1');
  if (endpoint.stats().connectedSockets === 0) await endpoint.waitFor('connected');
  const mock = mockService(daemon);
  const commands = daemon.services.commands;
  return { endpoint, daemon, mock, commands };
}

async function login(endpoint: MockEndpoint): Promise<string> {
  const res = await endpoint.sendCommand({
    method: 'POST',
    uri: '/netbackup/login',
    headers: { 'Content-Type': MEDIA },
    parameters: JSON.stringify({ domainType: 'vx', domainName: 'mydomain', userName: 'admin', password: 'password' }),
  });
  expect(res.responseCode).toBe(201);
  return (JSON.parse(res.body) as { token: string }).token;
}

describe('COMMAND through the daemon to the mock NetBackup', () => {
  it('logs in, then GETs jobs with the token', async () => {
    const { endpoint } = await loop();
    const token = await login(endpoint);
    const res = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs?page[limit]=2', headers: { Accept: MEDIA, Authorization: token } });
    expect(res.responseCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/vnd\.netbackup\+json/);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    const body = JSON.parse(res.body) as { data: unknown[]; meta: { pagination: { limit: number } } };
    expect(body.meta.pagination.limit).toBe(2);
    const denied = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs', headers: { Accept: MEDIA } });
    expect(denied.responseCode).toBe(401);
  });

  it('POSTs a vmserver with parameters (201) and then lists it', async () => {
    const { endpoint, mock } = await loop();
    const token = await login(endpoint);
    const created = await endpoint.sendCommand({
      method: 'POST',
      uri: '/netbackup/config/servers/vmservers',
      headers: { 'Content-Type': MEDIA, Authorization: token },
      parameters: '{"serverName": "vcenterServer1", "vmType": "VMWARE_VIRTUAL_CENTER_SERVER", "userId": "administrator", "password": "password@123", "port": 0}',
    });
    expect(created.responseCode).toBe(201);
    const list = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/config/servers/vmservers', headers: { Accept: MEDIA, Authorization: token } });
    expect(list.responseCode).toBe(200);
    expect(list.body).toContain('vcenterServer1');
    expect(list.body).not.toContain('password@123');
    expect(mock.world!.getVmServer('vcenterServer1')).toBeDefined();
  });

  it('refuses unsafe COMMANDs with 400 while the mock NetBackup sees no request at all', async () => {
    const { endpoint, daemon } = await loop();
    const upstream = mockService(daemon).url;
    expect(upstream).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const log = mockService(daemon).requests!;
    const before = log.count;
    const bad = [
      { method: 'GET', uri: `${upstream}/netbackup/admin/jobs` },
      { method: 'GET', uri: '//127.0.0.1/netbackup/admin/jobs' },
      { method: 'GET', uri: '/netbackup/admin/../../etc/passwd' },
      { method: 'GET', uri: '/netbackup/admin/%2e%2e/%2e%2e/etc/passwd' },
      { method: 'GET', uri: '/netbackup\\admin\\jobs' },
      { method: 'GET', uri: '/netbackup/admin/jobs\r\nHost: evil' },
      { method: 'GET', uri: '/netbackup/admin/jobs', headers: { 'X-Evil': 'a\r\nInjected: 1' } },
      { method: 'TRACE', uri: '/netbackup/admin/jobs' },
      { method: 'GET', uri: '/etc/passwd' },
    ];
    for (const cmd of bad) {
      const res = await endpoint.sendCommand(cmd);
      expect(res.responseCode, JSON.stringify(cmd)).toBe(400);
      const body = JSON.parse(res.body) as { errorCode: number; errorMessage: string };
      expect(body).toMatchObject({ errorCode: 400, errorMessage: expect.any(String) });
    }
    expect(log.count).toBe(before);
  });

  it('answers 504 on a NetBackup slower than command.timeout, and 502 for a body too large for a frame', async () => {
    const { endpoint } = await loop({ 'command.timeout': 300, 'netbackup.mockTestRoutes': true });
    const slow = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/test/slow?ms=5000' });
    expect(slow.responseCode).toBe(504);
    const large = await endpoint.sendCommand({ method: 'GET', uri: `/netbackup/test/large?bytes=${2 * 1024 * 1024 + 1}` });
    expect(large.responseCode).toBe(502);
    expect(JSON.parse(large.body).errorMessage).toMatch(/2 MB/);
    // The connection survived both: the next COMMAND still works.
    const ok = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/test/large?bytes=100' });
    expect(ok.responseCode).toBe(200);
  });

  it('answers 502 when NetBackup is unreachable', async () => {
    const dir = tempDir();
    const endpoint = await createMockEndpoint({ host: '127.0.0.2', token: 't' });
    cleanup.push(() => endpoint.close());
    // A port where nothing listens: bind and release one.
    const { createServer } = await import('node:net');
    const srv = createServer().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const config = daemonConfig(dir, { 'netbackup.baseUrl': `http://127.0.0.1:${port}` });
    storeEndpoints(config, { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 't', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });
    const daemon = await startDaemon({ config });
    cleanup.push(() => daemon.stop());
    await whenConnected(daemon, 'G1');
    const res = await endpoint.sendCommand({ method: 'GET', uri: '/netbackup/admin/jobs' });
    expect(res.responseCode).toBe(502);
  });

  it('answers 50 concurrent COMMANDs with matching ids while keepalive pongs keep flowing', async () => {
    const { endpoint, daemon } = await loop({ 'command.maxConcurrent': 8, 'netbackup.mockTestRoutes': true });
    const conn = daemon.scheduler.connections().get('G1')!;
    const pongsBefore = conn.stats.pongsReceived;
    const started = Promise.all(
      Array.from({ length: 50 }, (_, i) => endpoint.sendCommand({ method: 'GET', uri: `/netbackup/test/slow?ms=${100 + (i % 5) * 50}` })),
    );
    // Pings go every 100 ms: wait for two more pongs while the 50 COMMANDs are in flight.
    await new Promise<void>((resolve) => {
      const on = () => {
        if (conn.stats.pongsReceived >= pongsBefore + 2) {
          conn.off('pong', on);
          resolve();
        }
      };
      conn.on('pong', on);
    });
    const responses = await started;
    expect(responses).toHaveLength(50);
    expect(responses.every((r) => r.responseCode === 200)).toBe(true);
    const commandEvents = endpoint.received().filter((m) => m.message?.type === 'COMMAND');
    const ids = new Set(commandEvents.map((m) => m.message!.id));
    expect(ids.size).toBe(50);
    expect(conn.stats.pongsReceived).toBeGreaterThanOrEqual(pongsBefore + 2);
    expect(conn.isOpen).toBe(true);
  });

  it('aborts the upstream request when the socket closes', async () => {
    const { endpoint, daemon } = await loop({ 'netbackup.mockTestRoutes': true });
    const log = mockService(daemon).requests!;
    const arrived = new Promise<void>((resolve) => log.on('request', (r) => r.url.includes('/test/slow') && resolve()));
    endpoint.sendCommand({ method: 'GET', uri: '/netbackup/test/slow?ms=20000' }).catch(() => undefined);
    await arrived;
    const responded = new Promise<{ status?: number; durationMs?: number }>((resolve) => log.on('response', (r) => r.url.includes('/test/slow') && resolve(r)));
    await endpoint.disconnectAll({ code: 1000, reason: 'test closes' });
    const r = await responded;
    // The mock records the slow route as abandoned by its client (no status sent), long before its 20 s.
    expect(r.status).toBeUndefined();
    expect(r.durationMs!).toBeLessThan(20_000);
  });
});

function mockService(daemon: DaemonHandle): NetBackupMockService {
  return daemon.services.netbackupMock;
}
