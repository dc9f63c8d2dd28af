import { Command, Option } from 'commander';
import { loadConfig, type Config, type ConfigKey, type LoadedConfig } from '../config/index.js';

export { action, reportError } from './action.js';

/** Options every command takes. */
export interface GlobalOptions {
  config?: string;
}

/** Add the `--config FILE` option every command takes. */
export function withConfigOption(cmd: Command): Command {
  return cmd.addOption(new Option('-c, --config <file>', 'nbwss.properties to read (default: $NBWSS_CONFIG, else config/nbwss.properties)'));
}

/**
 * Load the configuration for a CLI command: prints warnings (unknown keys) to stderr.
 * `overrides` lets a command (demo, mock servers) set keys of its own.
 */
export function loadCliConfig(options: GlobalOptions, overrides?: Partial<Record<ConfigKey, string | number | boolean>>, overrideLabels?: Partial<Record<ConfigKey, string>>): LoadedConfig {
  const loaded = loadConfig({ file: options.config, overrides, ...(overrideLabels ? { overrideLabels } : {}) });
  for (const w of loaded.warnings) process.stderr.write(`nbwss: warning: ${w}\n`);
  return loaded;
}

/** Shorthand for commands that only need the config object. */
export function cliConfig(options: GlobalOptions): Readonly<Config> {
  return loadCliConfig(options).config;
}

/**
 * The warning of `notify` and `simulate` when no server group exists: what is raised now is stored but never
 * delivered (a group receives only what is raised after it is added).
 */
export function warnNoServerGroup(): void {
  process.stderr.write(
    'nbwss: warning: no server group exists (no endpoint has been added): the notifications are stored but will not be delivered; a group added later receives only the notifications raised after it\n',
  );
}

/** Write an aligned text table (human output). */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
