import { Command, CommanderError, Help, Option } from 'commander';
import { reportError } from './action.js';
import { COMMANDS, commandInArgs } from './commands.js';
import { NBWSS_VERSION } from '../version.js';

/**
 * Build the `nbwss` program for an argument list (`process.argv`). Only the module of the sub-command `argv`
 * names is loaded; the others are listed by name and summary (see commands.ts).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('nbwss')
    .description('The NetBackup side of NBWSS: dial wss:// endpoints, keep them alive, deliver notifications, proxy COMMANDs.')
    .version(NBWSS_VERSION)
    // Global options are read before the sub-command only, so a sub-command may take the same option after it.
    .enablePositionalOptions()
    .addOption(new Option('-c, --config <file>', 'nbwss.properties to read, for any command (default: $NBWSS_CONFIG, else config/nbwss.properties)'))
    .option('--json', 'JSON output, for the commands that have it')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const usage = new Map<string, string>();
  const wanted = commandInArgs(argv.slice(2));
  for (const entry of COMMANDS) {
    if (entry.name === wanted) {
      (await entry.load())(program);
    } else {
      program.command(entry.name).summary(entry.summary);
    }
    usage.set(entry.name, entry.usage);
  }
  // The listing comes from the table, whether or not the command's module was loaded.
  const help = new Help();
  program.configureHelp({
    subcommandTerm: (cmd) => (usage.has(cmd.name()) ? `${cmd.name()} ${usage.get(cmd.name())}` : help.subcommandTerm(cmd)),
    subcommandDescription: (cmd) => COMMANDS.find((c) => c.name === cmd.name())?.summary ?? help.subcommandDescription(cmd),
  });
  program.addHelpText(
    'after',
    `
Configuration: every command takes --config FILE, before or after its name (default $NBWSS_CONFIG, else
config/nbwss.properties); every key can also be set as NBWSS_<KEY> (upper case, dots as underscores),
e.g. NBWSS_CONNECTIONINFO_PERIOD=5. Exit codes: 0 success, 1 operational error, 2 usage error.`,
  );
  return program;
}

/** Parse `argv` and run the command; sets `process.exitCode`. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
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
