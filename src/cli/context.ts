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
export function loadCliConfig(options: GlobalOptions, overrides?: Partial<Record<ConfigKey, string | number | boolean>>): LoadedConfig {
  const loaded = loadConfig({ file: options.config, overrides });
  for (const w of loaded.warnings) process.stderr.write(`nbwss: warning: ${w}\n`);
  return loaded;
}

/** Shorthand for commands that only need the config object. */
export function cliConfig(options: GlobalOptions): Readonly<Config> {
  return loadCliConfig(options).config;
}

/** Write an aligned text table (human output). */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
