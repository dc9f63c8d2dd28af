import type { Config } from '../config/index.js';
import type { ConnectionSettings } from '../connection/types.js';

/**
 * The connection settings of a configuration (units converted to ms). Lives here, not in `connection/`, so that
 * `connection/` depends only on its narrow {@link ConnectionSettings}, never on `Config`.
 */
export function connectionSettings(config: Pick<Config, 'connectionInfo' | 'keepAlive' | 'exception'>): ConnectionSettings {
  return {
    handshakeTimeoutMs: config.connectionInfo.handshakeTimeout,
    keepAliveIntervalMs: Math.round(config.keepAlive.scheduledRate * 1000),
    maxPongMissAllowed: config.keepAlive.maxPongMissAllowed,
    ignoreDecoder: config.exception.ignoreDecoder,
  };
}
