import type { Command } from 'commander';
import { startDaemon } from '../daemon.js';
import { createLogger, type Logger } from '../logger.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';

/** How long a graceful stop may take before the process exits anyway (issue 3: within 5 s). */
export const STOP_DEADLINE_MS = 5000;

/** `nbwss run [--config FILE]`: the daemon in the foreground. */
export function registerRunCommand(program: Command): void {
  withConfigOption(
    program
      .command('run')
      .description('run the daemon in the foreground (SIGTERM/SIGINT: close every socket with 1001 and exit 0)'),
  ).action(action((options: GlobalOptions) => run(options)));
}

async function run(options: GlobalOptions): Promise<number> {
  const loaded = loadCliConfig(options);
  const { config } = loaded;
  const logger = createLogger({ level: config.log.level, file: config.log.file || undefined });
  const daemon = await startDaemon({ config, logger });
  logger.info({ config: loaded.file ?? '(defaults)', db: config.db.path }, 'nbwss run: daemon in the foreground; SIGTERM or SIGINT stops it, SIGHUP reloads the configuration');
  // SIGHUP: re-read the same file (and environment); an invalid file changes nothing.
  const reload = () => {
    try {
      daemon.reconfigure(loadCliConfig(options).config);
    } catch (err) {
      logger.error({ err: (err as Error).message, config: loaded.file ?? '(defaults)' }, 'configuration reload failed: the previous configuration stays in force');
    }
  };
  process.on('SIGHUP', reload);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'signal received: stopping');
  // A second signal, or a stop that overruns the deadline, ends the process at once.
  const force = (why: string) => {
    logger.error({ why }, 'stopping did not finish: exiting now');
    flush(logger);
    process.exit(1);
  };
  process.once('SIGTERM', () => force('second SIGTERM'));
  process.once('SIGINT', () => force('second SIGINT'));
  const watchdog = setTimeout(() => force(`graceful stop took more than ${STOP_DEADLINE_MS} ms`), STOP_DEADLINE_MS);
  watchdog.unref();
  await daemon.stop();
  clearTimeout(watchdog);
  flush(logger);
  return 0;
}

function flush(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // stdout closed: nothing more to say
  }
}
