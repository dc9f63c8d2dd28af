import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { CertificateFetcher } from '../endpoints/certificate.js';
import { EndpointService } from '../endpoints/service.js';
import { TokenCipher } from '../endpoints/token-cipher.js';
import { createLogger, type Logger } from '../logger.js';
import { Store } from '../store/database.js';
import { EndpointStore } from '../store/endpoint-store.js';

/** What a CLI command works with; {@link Services.close} releases it. */
export interface Services {
  config: Readonly<Config>;
  /** Root logger: `log.file` when set, else stderr (stdout stays clean for `--json`). */
  logger: Logger;
  store: Store;
  endpointStore: EndpointStore;
  cipher: TokenCipher;
  endpoints: EndpointService;
  /** Close the database (checkpointing the WAL). Idempotent. */
  close(): void;
}

/** Options of {@link openServices}. */
export interface OpenServicesOptions {
  /** Write logs here instead (tests). */
  logStream?: NodeJS.WritableStream;
  /** Certificate fetcher for the endpoint service (tests). */
  fetchCertificate?: CertificateFetcher;
  /**
   * A command that only reads (list, show): a missing token key is not created when no token is stored (nothing
   * needs it); with stored tokens a missing key is still an error.
   */
  readOnly?: boolean;
}

const VERBOSE = new Set(['debug', 'trace']);

/**
 * The log level of a CLI command. Logging to a file follows `log.level`; on stderr, `info` lines would repeat
 * what the command prints, so below `debug` the level is raised to at least `warn`.
 */
export function cliLogLevel(config: Readonly<Config>): string {
  const level = config.log.level;
  if (config.log.file || VERBOSE.has(level)) return level;
  return level === 'info' ? 'warn' : level;
}

/**
 * Open the store (migrating it), the endpoint repository, the token key and a logger for a CLI command, and build
 * the endpoint service. Other command groups reuse it; the daemon has its own composition root.
 */
export function openServices(config: Readonly<Config>, options: OpenServicesOptions = {}): Services {
  const logger = createLogger({
    level: cliLogLevel(config),
    format: config.log.format,
    ...(options.logStream ? { stream: options.logStream } : config.log.file ? { file: config.log.file } : { stream: process.stderr }),
  });
  const store = Store.open(config.db.path);
  try {
    const endpointStore = new EndpointStore(store);
    const stored = endpointStore.count();
    // Read-only with no token stored and no key yet: an ephemeral key that is never written (nothing to decrypt).
    const cipher =
      options.readOnly && stored === 0 && !existsSync(config.security.keyFile) ? new TokenCipher(randomBytes(32)) : TokenCipher.forStore(config.security.keyFile, stored);
    const endpoints = new EndpointService({
      endpoints: endpointStore,
      cipher,
      logger,
      connectionPeriodMs: config.connectionInfo.period * 1000,
      ...(options.fetchCertificate ? { fetchCertificate: options.fetchCertificate } : {}),
    });
    return { config, logger, store, endpointStore, cipher, endpoints, close: () => store.close() };
  } catch (err) {
    store.close();
    throw err;
  }
}
