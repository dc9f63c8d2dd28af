import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { createMockEndpoint, type MockEndpoint, type NotificationEvent } from '../../src/endpoint-mock/index.js';
import { daemonConfig, storeEndpoints, whenConnected } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

/** The simulator as a daemon service: the whole loop through a real wss:// mock endpoint and the in-process mock NetBackup. */

const NB_JSON = 'application/vnd.netbackup+json;version=1.0';
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('simulator service', () => {
  it('refuses simulator.enabled=true without netbackup.mock=true, naming both keys', async () => {
    const config = daemonConfig(tempDir(), { 'simulator.enabled': true });
    await expect(startDaemon({ config })).rejects.toThrow(/simulator\.enabled=true needs netbackup\.mock=true/);
  });

  it('is a no-op when simulator.enabled=false', async () => {
    const daemon = await startDaemon({ config: daemonConfig(tempDir(), { 'netbackup.mock': true, 'netbackup.baseUrl': 'http://127.0.0.1:0' }) });
    cleanup.push(() => daemon.stop());
    expect(daemon.services.simulator.simulator).toBeUndefined();
  });

  it('delivers conformant notifications of finished VMware backups, and COMMANDs see the same jobs', async () => {
    const dir = tempDir();
    const endpoint: MockEndpoint = await createMockEndpoint({ host: '127.0.0.2', token: 'sim-token' });
    cleanup.push(() => endpoint.close());
    const config = daemonConfig(dir, {
      'netbackup.mock': true,
      'netbackup.baseUrl': 'https://127.0.0.1:0',
      'simulator.enabled': true,
      'simulator.pollInterval': 0.1,
      'simulator.jobsPerMinute': 120,
      'simulator.scenarios': 'vmware',
      'simulator.primaryName': 'masterserver2.domain.com',
    });
    storeEndpoints(config, { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 'sim-token', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });
    const daemon: DaemonHandle = await startDaemon({ config });
    cleanup.push(() => daemon.stop());
    await whenConnected(daemon, 'G1');

    // Wait for a parent job's DONE: the whole scenario has been delivered by then (F + G come last).
    const isParentDone = (e: NotificationEvent) =>
      e.request.payload.some((el) => el.object === 'JOB' && el.data.some((d) => d.state === 'DONE' && d.parentJobId === d.jobId));
    const event = await endpoint.waitFor('notification', isParentDone, 20_000);
    const parent = event.request.payload.flatMap((el) => (el.object === 'JOB' ? el.data : [])).find((d) => d.state === 'DONE' && d.parentJobId === d.jobId)!;
    expect(parent.clientName).toBe('masterserver2.domain.com');
    expect(endpoint.stats().problems).toBe(0);

    const login = await endpoint.sendCommand({ method: 'POST', uri: '/netbackup/login', headers: { 'Content-Type': NB_JSON }, parameters: { userName: 'admin', password: 'password' } });
    const { token } = JSON.parse(login.body) as { token: string };
    const res = await endpoint.sendCommand({ method: 'GET', uri: `/netbackup/admin/jobs/${String(parent.jobId)}`, headers: { Accept: NB_JSON, Authorization: token } });
    expect(res.responseCode).toBe(200);
    const attributes = (JSON.parse(res.body) as { data: { attributes: Record<string, unknown> } }).data.attributes;
    expect(attributes).toMatchObject({ jobId: parent.jobId, parentJobId: parent.jobId, state: 'DONE', clientName: 'masterserver2.domain.com', policyType: 'VMWARE' });
    const children = await endpoint.sendCommand({ method: 'GET', uri: `/netbackup/admin/jobs?filter=parentJobId eq ${String(parent.jobId)}`.replace(/ /g, '%20'), headers: { Accept: NB_JSON, Authorization: token } });
    const ids = (JSON.parse(children.body) as { data: { id: string }[] }).data.map((d) => Number(d.id)).sort();
    expect(ids).toEqual([Number(parent.jobId), Number(parent.jobId) + 1]); // the parent (its own parent) and the snapshot job

    const simulator = daemon.services.simulator.simulator!;
    expect(simulator.stats.byScenario.vmware).toBeGreaterThanOrEqual(1);
  });
});
