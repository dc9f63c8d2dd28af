import { join } from 'node:path';
import { loadConfig, type Config, type ConfigKey } from '../../src/config/index.js';
import type { DaemonHandle } from '../../src/daemon.js';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';

/** A daemon configuration on a fresh folder, fast timings, admin off (overridable). */
export function daemonConfig(dir: string, overrides: Partial<Record<ConfigKey, string | number | boolean>> = {}): Readonly<Config> {
  return loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      'db.path': join(dir, 'nbwss.db'),
      'security.keyFile': join(dir, 'nbwss.key'),
      'admin.listen': '',
      'log.level': 'warn',
      'connectionInfo.period': 0.2,
      'notification.delay': 0,
      'notification.scheduledRate': 0.4,
      'notification.sendTimeout': 200,
      ...overrides,
    },
  }).config;
}

/** What is needed to store an endpoint (as `nbwss endpoints add` would, pinned to `certPem`). */
export interface EndpointSpec {
  hostName: string;
  url: string;
  groupId: string;
  priority?: number;
  token: string;
  certPem: string;
  fingerprint256: string;
}

/** Store endpoints in the database of `config` (before or while the daemon runs). */
export function storeEndpoints(config: Readonly<Config>, ...specs: EndpointSpec[]): void {
  const store = Store.open(config.db.path);
  try {
    const cipher = TokenCipher.fromKeyFile(config.security.keyFile);
    const endpoints = new EndpointStore(store);
    for (const s of specs) {
      endpoints.insert({
        hostName: s.hostName,
        url: s.url,
        groupId: s.groupId,
        priority: s.priority ?? 1,
        tokenEnc: cipher.encrypt(s.token, s.hostName),
        certPem: s.certPem,
        certFingerprint: s.fingerprint256,
        caPem: null,
      });
    }
  } finally {
    store.close();
  }
}

/** Resolves when the daemon's scheduler has `groupId` CONNECTED (now or later). */
export function whenConnected(d: Pick<DaemonHandle, 'scheduler'>, groupId: string, hostName?: string): Promise<void> {
  const live = d.scheduler.connections().get(groupId);
  if (live?.isOpen && (!hostName || live.hostName === hostName)) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (c: { groupId: string; hostName: string }) => {
      if (c.groupId !== groupId || (hostName && c.hostName !== hostName)) return;
      d.scheduler.off('connected', on);
      resolve();
    };
    d.scheduler.on('connected', on);
  });
}
