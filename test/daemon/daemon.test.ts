import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config, type ConfigKey } from '../../src/config/index.js';
import { noServices, startDaemon, type DaemonContext, type DaemonHandle, type DaemonService, type StartDaemonOptions } from '../../src/daemon.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { LockError } from '../../src/errors.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { captureLogger } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/tmp.js';
import { startWssServer, type TestWssServer } from '../helpers/wss-server.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function daemonConfig(dir: string, overrides: Partial<Record<ConfigKey, string | number | boolean>> = {}): Readonly<Config> {
  return loadConfig({
    env: {},
    cwd: dir,
    overrides: { 'db.path': join(dir, 'nbwss.db'), 'security.keyFile': join(dir, 'nbwss.key'), 'admin.listen': '', 'connectionInfo.period': 3600, ...overrides },
  }).config;
}

/** Store one endpoint served by `server` in the database of `config`, as `nbwss endpoints add` would. */
function addEndpoint(config: Readonly<Config>, server: TestWssServer, hostName = 'ep1.test', groupId = 'G1'): void {
  const store = Store.open(config.db.path);
  const cipher = TokenCipher.fromKeyFile(config.security.keyFile);
  new EndpointStore(store).insert({ hostName, url: server.url('/'), groupId, priority: 1, tokenEnc: cipher.encrypt('TOKEN', hostName), certPem: server.certPem, certFingerprint: server.fingerprint, caPem: null });
  store.close();
}

async function server(): Promise<TestWssServer> {
  const s = await startWssServer();
  cleanup.push(() => s.stop());
  return s;
}

async function daemon(config: Readonly<Config>, extra: Omit<StartDaemonOptions, 'config' | 'services'> = {}): Promise<DaemonHandle> {
  const d = await startDaemon({ ...extra, config });
  cleanup.push(() => d.stop());
  return d;
}

describe('startDaemon', () => {
  it('starts services before the scheduler and stops them before the sockets close (1001); resets stale states', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    const s = await server();
    addEndpoint(config, s);
    const pre = Store.open(config.db.path);
    new EndpointStore(pre).recordConnectionState('ep1.test', 'CONNECTED', null); // left by a crashed daemon
    pre.close();

    const order: string[] = [];
    let daemonConnected!: () => void;
    const connected = new Promise<void>((resolve) => (daemonConnected = resolve));
    const service = (ctx: DaemonContext): DaemonService => ({
      name: 'probe',
      start: () => {
        order.push(`start: ${ctx.endpoints.get('ep1.test')?.connectionState}`);
        ctx.scheduler.on('connected', (c) => {
          order.push(`connected ${c.hostName}`);
          daemonConnected();
        });
        ctx.scheduler.on('disconnected', (c, i) => order.push(`disconnected ${c.hostName} ${i.code}`));
      },
      stop: () => {
        order.push(`stop: open=${ctx.scheduler.connections().get('G1')?.isOpen}`);
      },
    });
    const { logger } = captureLogger();
    const d = await daemon(config, { logger, extraServices: [service] });
    // built-in services in their order (the admin API last), then the extra ones; each reachable by name, typed
    expect(d.started.map((x) => x.name)).toEqual(['netbackup-mock', 'notifications', 'commands', 'simulator', 'admin', 'probe']);
    expect(d.services.notifications.delivery).toBeDefined();
    await connected;
    const serverClosed = s.waitFor('close');
    await d.stop();
    expect((await serverClosed)[1]).toEqual({ code: 1001, reason: 'nbwss is shutting down' });
    expect(order).toEqual(['start: DISCONNECTED', 'connected ep1.test', 'stop: open=true', 'disconnected ep1.test 1001']);
    const after = Store.open(config.db.path);
    expect(new EndpointStore(after).get('ep1.test')?.connectionState).toBe('DISCONNECTED');
    after.close();
  });

  it('a second daemon on the same db.path refuses with a clear message, and may start once the first stopped', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    const first = await daemon(config, { logger: captureLogger().logger });
    const err = await startDaemon({ config, logger: captureLogger().logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).code).toBe('NBWSS_ERR_LOCKED');
    expect((err as Error).message).toMatch(new RegExp(`another nbwss daemon is already running on database .*nbwss\\.db \\(pid ${process.pid}`));
    await first.stop();
    await daemon(config, { logger: captureLogger().logger });
  });

  it('refuses to start (and creates no new key) when the token key file is missing but tokens are stored', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    addEndpoint(config, await server());
    rmSync(config.security.keyFile);
    const err = await startDaemon({ config, logger: captureLogger().logger }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('NBWSS_ERR_KEY_FILE');
    expect((err as Error).message).toMatch(/is missing, but the database holds 1 endpoint token/);
    expect(existsSync(config.security.keyFile)).toBe(false);
    // The failed start released its lock: a second try fails the same way, not with NBWSS_ERR_LOCKED.
    const again = await startDaemon({ config, logger: captureLogger().logger }).catch((e: unknown) => e);
    expect((again as { code?: string }).code).toBe('NBWSS_ERR_KEY_FILE');
  });

  it('an abort during start-up (SIGTERM) undoes what was started in reverse and releases the lock', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    const abort = new AbortController();
    const order: string[] = [];
    const probe = (name: string, abortOnStart = false): DaemonService => ({
      name,
      start: () => {
        order.push(`start ${name}`);
        if (abortOnStart) abort.abort(new Error('SIGTERM received during start-up'));
      },
      stop: () => void order.push(`stop ${name}`),
    });
    const err = await startDaemon({ config, logger: captureLogger().logger, services: () => ({ named: {}, startOrder: [probe('a'), probe('b', true), probe('c')] }), signal: abort.signal }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('SIGTERM received during start-up');
    expect(order).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    // the lock and the store were released: a new daemon starts at once
    cleanup.push(await startDaemon({ config, logger: captureLogger().logger, services: noServices }).then((d) => () => d.stop()));
  });

  it('a lock left by a daemon killed with SIGKILL does not block a restart', async () => {
    const dir = tempDir();
    const config = daemonConfig(dir);
    const lockModule = new URL('../../src/store/lock.ts', import.meta.url).pathname;
    // The lock is held while its Database lives: kept in a global, or the GC may finalize it and drop the lock.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `const { acquireDaemonLock } = await import(${JSON.stringify(lockModule)}); globalThis.lock = acquireDaemonLock(${JSON.stringify(config.db.path)}); console.log('locked'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanup.push(() => child.kill('SIGKILL'));
    await once(child.stdout, 'data');
    await expect(startDaemon({ config, logger: captureLogger().logger })).rejects.toThrow(/already running/);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await daemon(config, { logger: captureLogger().logger });
  });
});
