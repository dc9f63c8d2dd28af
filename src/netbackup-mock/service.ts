import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { GeneratedCertificate } from '../certificates.js';
import type { Logger } from '../logger.js';
import type { RequestLog } from './request-log.js';
import type { MockNetBackup } from './server.js';
import { startMockFromBaseUrl } from './start.js';
import type { World } from './world.js';

/** What {@link NetBackupMockService} takes from the daemon's context. */
export interface NetBackupMockServiceContext {
  readonly config: Readonly<Pick<Config, 'netbackup'>>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * `netbackup.mock=true`: the mock NetBackup primary started in-process on `netbackup.baseUrl`, so one `nbwss run`
 * is a whole simulated NetBackup (daemon service `netbackup-mock`; a no-op when the key is false). The simulator
 * writes into its {@link world}; the COMMAND proxy sends to its {@link url} and trusts its {@link certificate}.
 */
export class NetBackupMockService {
  readonly name = 'netbackup-mock';
  readonly #ctx: NetBackupMockServiceContext;
  #mock: MockNetBackup | undefined;
  #url: string | undefined;
  #certificate: GeneratedCertificate | undefined;

  constructor(ctx: NetBackupMockServiceContext) {
    this.#ctx = ctx;
  }

  /** True when `netbackup.mock` is on. */
  get enabled(): boolean {
    return this.#ctx.config.netbackup.mock;
  }

  /** The world model served (undefined when the mock is off or not started). */
  get world(): World | undefined {
    return this.#mock?.world;
  }

  /** The URL it listens on (with the real port when `netbackup.baseUrl` asked for port 0). */
  get url(): string | undefined {
    return this.#url;
  }

  /** What the mock has been asked (count, last requests, events): tests assert "NetBackup saw no request". */
  get requests(): RequestLog | undefined {
    return this.#mock?.requests;
  }

  /** The certificate generated for an https base URL. */
  get certificate(): GeneratedCertificate | undefined {
    return this.#certificate;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    const logger = this.#ctx.logger.child({ subsystem: 'netbackup-mock' });
    const started = await startMockFromBaseUrl(this.#ctx.config.netbackup.baseUrl, {
      clock: this.#ctx.clock,
      logger,
      testRoutes: this.#ctx.config.netbackup.mockTestRoutes,
    });
    this.#mock = started.mock;
    this.#url = started.url;
    this.#certificate = started.certificate;
    logger.info({ url: started.url, fingerprint256: started.certificate?.fingerprint256 }, 'mock NetBackup primary listening (netbackup.mock=true)');
  }

  async stop(): Promise<void> {
    await this.#mock?.close();
    this.#mock = undefined;
  }
}
