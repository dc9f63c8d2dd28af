import type { Command } from 'commander';

/**
 * The sub-commands of `nbwss`, in the order `nbwss --help` lists them. The list itself is all `--help` needs: a
 * command's module (its options, help text, action and everything it imports) is loaded only when that command
 * runs, so `nbwss --help`, `--version` and `healthcheck` start fast (issue 12 item 8).
 *
 * Adding a command = one entry here and one module exporting `register(program)`, which adds the full command
 * (`program.command(name)…`) with the same name.
 */
export interface CommandEntry {
  /** The sub-command name, as typed. */
  readonly name: string;
  /** How `nbwss --help` shows its arguments after the name, e.g. `<command>` or `[options]`. */
  readonly usage: string;
  /** One line for `nbwss --help`. */
  readonly summary: string;
  /** Import the command's module and return its register function. */
  load(): Promise<(program: Command) => void>;
}

/** Every sub-command. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    usage: '[options]',
    summary: 'run the daemon in the foreground (SIGTERM/SIGINT: close every socket with 1001 and exit 0)',
    load: async () => (await import('./run.js')).registerRunCommand,
  },
  {
    name: 'endpoints',
    usage: '<command>',
    summary: 'manage the cloud wss:// endpoints: validate, add, list, show, update, activate, deactivate, delete, update-token',
    load: async () => (await import('./endpoints.js')).registerEndpointsCommands,
  },
  {
    name: 'notify',
    usage: '[options] [-]',
    summary: 'raise JOB or IMAGE notifications (appended to the database; the daemon delivers them to every server group)',
    load: async () => (await import('./notify.js')).registerNotifyCommand,
  },
  {
    name: 'status',
    usage: '[options]',
    summary: 'notification delivery per server group: connected endpoint, cursor, backlog, oldest pending, in-flight batch',
    load: async () => (await import('./status.js')).registerStatusCommand,
  },
  {
    name: 'healthcheck',
    usage: '[options]',
    summary: "ask the running daemon's admin API for /healthz (or /readyz): exit 0 when healthy, 1 otherwise",
    load: async () => (await import('./healthcheck.js')).registerHealthcheckCommand,
  },
  {
    name: 'check-endpoint',
    usage: '(--file F | --url U) [options]',
    summary: 'connect to a cloud endpoint as NetBackup would and report where it deviates from the guide (exit 0, 1 a check failed)',
    load: async () => (await import('./check-endpoint.js')).registerCheckEndpointCommand,
  },
  {
    name: 'config',
    usage: '<command>',
    summary: 'the configuration: show each key, its value and where it comes from; check a file without starting anything',
    load: async () => (await import('./config.js')).registerConfigCommands,
  },
  {
    name: 'mock-endpoint',
    usage: '[options]',
    summary: 'run a mock cloud endpoint (wss://) that acknowledges notifications and sends COMMANDs, with fault switches',
    load: async () => (await import('./mock-endpoint.js')).registerMockEndpoint,
  },
  {
    name: 'mock-netbackup',
    usage: '[options]',
    summary: 'run a mock NetBackup primary server: the REST API COMMANDs are proxied to, over one simulated world',
    load: async () => (await import('./mock-netbackup.js')).registerMockNetBackup,
  },
  {
    name: 'simulate',
    usage: '[options]',
    summary: 'burst mode of the event simulator: run N scenarios and append their notifications to the database',
    load: async () => (await import('./simulate.js')).registerSimulateCommand,
  },
  {
    name: 'demo',
    usage: '[options]',
    summary: 'the whole NBWSS loop in one process: mock NetBackup, simulator, two mock endpoints, the daemon; Ctrl-C stops it',
    load: async () => (await import('./demo.js')).registerDemoCommand,
  },
];

/** Options of the program itself that take a value (so the word after them is not the command). */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-c', '--config']);

/**
 * The sub-command an argument list names (`process.argv.slice(2)`), skipping the global options before it;
 * `nbwss help X` names X. Undefined when there is none (`nbwss --help`, `nbwss`).
 */
export function commandInArgs(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg === 'help' ? args[i + 1] : arg;
  }
  return undefined;
}
