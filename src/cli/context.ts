import { Command, Option } from 'commander';
import { loadConfig, type Config, type ConfigKey, type LoadedConfig } from '../config/index.js';
import { NbwssError, UsageError } from '../errors.js';

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

/** Print an error the way every command does and choose the exit code (1 operational, 2 usage). */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`nbwss: ${err.message}\n`);
    return 2;
  }
  if (err instanceof NbwssError) {
    const detail = (err as { detail?: string }).detail;
    process.stderr.write(`nbwss: ${err.message}${detail ? ` (${detail})` : ''}\n`);
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`nbwss: ${e?.message ?? String(err)}\n`);
  if (process.env.NBWSS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return 1;
}

/**
 * Wrap a command action: runs it, prints errors, sets the exit code. The action may return a number (exit code)
 * or a promise of one.
 */
export function action<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/** Write an aligned text table (human output). */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
