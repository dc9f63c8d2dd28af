import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Router } from '../connection/channel.js';
import type { Logger } from '../logger.js';
import { CommandProxy } from './proxy.js';

/** What {@link CommandService} takes from the daemon's context. */
export interface CommandServiceContext {
  readonly config: Readonly<Pick<Config, 'command' | 'netbackup'>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly router: Router;
}

/** Where NetBackup is, when it is not `netbackup.baseUrl` as configured (the in-process mock). */
export interface NetBackupTarget {
  readonly url: string | undefined;
  readonly certificate: { cert: string } | undefined;
}

/**
 * COMMANDs as one daemon service (`name` 'commands'): registers the (COMMAND, REQUEST) route and owns the HTTP
 * client to NetBackup. With `target` (the in-process mock NetBackup), requests go to its URL and trust its
 * certificate.
 */
export class CommandService {
  readonly name = 'commands';
  readonly #ctx: CommandServiceContext;
  readonly #target: NetBackupTarget | undefined;
  #proxy: CommandProxy | undefined;

  constructor(ctx: CommandServiceContext, target?: NetBackupTarget) {
    this.#ctx = ctx;
    this.#target = target;
  }

  /** The proxy (events: `command`); defined once started. */
  get proxy(): CommandProxy {
    if (!this.#proxy) throw new Error('command service not started');
    return this.#proxy;
  }

  start(): void {
    const ctx = this.#ctx;
    this.#proxy = new CommandProxy({
      config: () => ctx.config,
      logger: ctx.logger.child({ subsystem: 'commands' }),
      clock: ctx.clock,
      ...(this.#target?.url ? { baseUrl: this.#target.url } : {}),
      ...(this.#target?.certificate ? { ca: this.#target.certificate.cert } : {}),
    });
    ctx.router.on('COMMAND', 'REQUEST', this.#proxy.handle);
  }

  async stop(): Promise<void> {
    await this.#proxy?.close();
  }
}
