import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigHolder, planReload } from '../../src/config/reload.js';
import { startDaemon } from '../../src/daemon.js';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { daemonConfig, storeEndpoints, whenConnected } from '../helpers/daemon.js';
import { captureLogger } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/tmp.js';

/** Reloading the configuration in-process: what applies at once, what waits for a restart. */

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const base = () => loadConfig({ env: {}, overrides: { 'admin.listen': '' } }).config;
const withKeys = (o: Record<string, string | number | boolean>) => loadConfig({ env: {}, overrides: { 'admin.listen': '', ...o } }).config;

describe('planReload / ConfigHolder', () => {
  it('takes live keys from the new file and keeps restart keys, naming both', () => {
    const current = base();
    const next = withKeys({ 'notification.delay': 2, 'log.level': 'debug', 'connectionInfo.period': 5, 'db.path': '/elsewhere.db', 'simulator.scenarios': 'vmware' });
    const { config, change } = planReload(current, next);
    expect(change.applied.sort()).toEqual(['log.level', 'notification.delay', 'simulator.scenarios']);
    expect(change.restartNeeded.sort()).toEqual(['connectionInfo.period', 'db.path']);
    expect(config.notification.delay).toBe(2);
    expect(config.simulator.scenarios).toEqual(['vmware']);
    expect(config.connectionInfo.period).toBe(current.connectionInfo.period);
    expect(config.db.path).toBe(current.db.path);
    expect(Object.isFrozen(config.notification)).toBe(true);
  });

  it('the view reads the configuration in force, section by section', () => {
    const holder = new ConfigHolder(base());
    const section = () => holder.view.notification;
    const changes: string[][] = [];
    holder.on('change', (c) => changes.push(c.applied));
    expect(section().delay).toBe(30);
    holder.apply(withKeys({ 'notification.delay': 0 }));
    expect(section().delay).toBe(0);
    expect(JSON.parse(JSON.stringify(holder.view)).notification.delay).toBe(0);
    expect(holder.apply(withKeys({ 'notification.delay': 0, 'keepAlive.scheduledRate': 1 }))).toEqual({ applied: [], restartNeeded: ['keepAlive.scheduledRate'] });
    expect(changes).toEqual([['notification.delay']]);
  });
});

describe('DaemonHandle.reconfigure', () => {
  it('applies live keys (log level at once) without dropping the connection, and logs the restart-only ones', async () => {
    const dir = tempDir();
    const endpoint: MockEndpoint = await createMockEndpoint({ host: '127.0.0.2', token: 't' });
    cleanup.push(() => endpoint.close());
    const config = daemonConfig(dir, { 'log.level': 'info', 'notification.delay': 30 });
    storeEndpoints(config, { hostName: '127.0.0.2', url: endpoint.url, groupId: 'G1', token: 't', certPem: endpoint.certPem, fingerprint256: endpoint.fingerprint256 });
    const { logger, lines } = captureLogger('info');
    const daemon = await startDaemon({ config, logger });
    cleanup.push(() => daemon.stop());
    await whenConnected(daemon, 'G1');
    const drops: unknown[] = [];
    daemon.scheduler.on('disconnected', (c) => drops.push(c.hostName));

    const next = daemonConfig(dir, { 'log.level': 'debug', 'notification.delay': 0, 'keepAlive.scheduledRate': 7 });
    const change = daemon.reconfigure(next);
    expect(change.applied.sort()).toEqual(['log.level', 'notification.delay']);
    expect(change.restartNeeded).toEqual(['keepAlive.scheduledRate']);
    expect(daemon.config.notification.delay).toBe(0);
    expect(daemon.config.keepAlive.scheduledRate).toBe(config.keepAlive.scheduledRate);
    expect(logger.level).toBe('debug');
    expect(lines.find((l) => l.msg.startsWith('configuration reloaded'))).toMatchObject({ applied: expect.arrayContaining(['log.level', 'notification.delay']) });
    expect(lines.find((l) => l.msg.startsWith('restart needed'))).toMatchObject({ msg: expect.stringContaining('keepAlive.scheduledRate'), restartNeeded: ['keepAlive.scheduledRate'] });

    // The new delay is in force: a notification raised now is delivered at once, on the same connection.
    const notifications = daemon.services.notifications;
    const delivered = endpoint.waitFor('notification', () => true, 5000);
    await notifications.source.raise('IMAGE', { backupId: 'c_1', operationId: 'CREATE', clientName: 'c', clientType: 'STANDARD', backupTime: 1, createdTime: 2 });
    await delivered;
    expect(drops).toEqual([]);
    expect(endpoint.stats().totalConnections).toBe(1);
  });
});
