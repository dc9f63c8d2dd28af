import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportError } from './context.js';
import { registerCommands } from './commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** Build the `nbwss` program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('nbwss')
    .description('The NetBackup side of NBWSS: dial wss:// endpoints, keep them alive, deliver notifications, proxy COMMANDs.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  program.addHelpText(
    'after',
    `
Configuration: every command takes --config FILE (default $NBWSS_CONFIG, else config/nbwss.properties);
every key can also be set as NBWSS_<KEY> (upper case, dots as underscores), e.g. NBWSS_CONNECTIONINFO_PERIOD=5.
Exit codes: 0 success, 1 operational error, 2 usage error.`,
  );
  return program;
}

/** Parse `argv` and run the command; sets `process.exitCode`. */
export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; every other commander error is a usage error (exit 2)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportError(err);
  }
}

