import type { Command } from 'commander';
import type { DaemonHandle } from '../daemon.js';
import type { Logger } from '../logger.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { runForeground, type ForegroundLog } from './foreground.js';
import { startupGuidance } from './run-guidance.js';

/** `nbwss run [--config FILE]`: the daemon in the foreground. */
export function registerRunCommand(program: Command): void {
  withConfigOption(
    program
      .command('run')
      .description('run the daemon in the foreground (SIGTERM/SIGINT: close every socket with 1001 and exit 0; SIGHUP: reload the configuration)'),
  ).action(action((options: GlobalOptions) => run(options)));
}

/** Log lines of the lifecycle: to the logger once it exists, to stderr before. */
function lifecycleLog(logger: () => Logger | undefined): () => ForegroundLog {
  const stderr: ForegroundLog = {
    info: (message) => void process.stderr.write(`nbwss: ${message}\n`),
    error: (message, fields) => void process.stderr.write(`nbwss: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
  };
  return () => {
    const l = logger();
    if (!l) return stderr;
    return { info: (message, fields) => l.info(fields ?? {}, message), error: (message, fields) => l.error(fields ?? {}, message) };
  };
}

async function run(options: GlobalOptions): Promise<number> {
  let logger: Logger | undefined;
  let file: string | undefined;
  const flush = () => {
    try {
      logger?.flush();
    } catch {
      // stdout closed: nothing more to say
    }
  };
  // runForeground installs the signal handlers first; the daemon's modules are loaded after (inside start).
  return runForeground<DaemonHandle>({
    log: lifecycleLog(() => logger),
    exit: (code) => {
      flush();
      process.exit(code);
    },
    start: async (signal) => {
      const loaded = loadCliConfig(options);
      file = loaded.file;
      const { config } = loaded;
      const [{ createLogger }, { startDaemon }] = await Promise.all([import('../logger.js'), import('../daemon.js')]);
      signal.throwIfAborted();
      logger = createLogger({ level: config.log.level, file: config.log.file || undefined, format: config.log.format });
      return startDaemon({ config, logger, signal });
    },
    started: (daemon) => {
      daemon.logger.info({ config: file ?? '(defaults)', db: daemon.config.db.path }, 'nbwss run: daemon in the foreground; SIGTERM or SIGINT stops it, SIGHUP reloads the configuration');
      const guidance = startupGuidance({
        adminUrl: daemon.services.admin.url,
        adminToken: daemon.config.admin.token !== '',
        endpoints: daemon.endpoints.list(),
        periodSeconds: daemon.config.connectionInfo.period,
        configFlag: options.config,
      });
      for (const { msg, startup } of guidance) daemon.logger.info({ startup }, msg);
      // A systemd Type=notify unit waits for this before `systemctl start` returns.
      void import('../sd-notify.js')
        .then(({ notifyServiceManager }) => notifyServiceManager({ ready: true, status: 'serving' }))
        .then(
          (outcome) => outcome === 'sent' && daemon.logger.info('service manager notified: READY=1'),
          (err: unknown) => daemon.logger.warn({ err }, 'could not notify the service manager (systemd Type=notify): it will consider the start failed when TimeoutStartSec runs out'),
        );
    },
    // SIGHUP: re-read the same file (and environment); an invalid file changes nothing.
    reload: (daemon) => {
      try {
        daemon.reconfigure(loadCliConfig(options).config);
      } catch (err) {
        throw new Error(`${(err as Error).message} (configuration ${file ?? '(defaults)'})`, { cause: err });
      }
    },
  }).finally(flush);
}
