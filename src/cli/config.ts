import type { Command } from 'commander';
import { checkListenPolicy, parseListen } from '../admin/access.js';
import { describeOrigin, KEYS, valueAt, type ConfigKey, type KeyDef, type LoadedConfig, type ValueOrigin } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { action, formatTable, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';

/**
 * `nbwss config show` and `nbwss config check` (issue 12 item 7): the configuration in force, key by key with where
 * each value came from; and a check of a file that starts nothing, opens no database and creates no file.
 */

/** One key as `config show --json` prints it. */
export interface ShownKey {
  key: ConfigKey;
  /** The value in force (lists as arrays, paths absolute); a non-empty secret as "[redacted]". */
  value: unknown;
  origin: ValueOrigin;
  /** `live`: applied on SIGHUP; `restart`: only at start. */
  reload: KeyDef['reload'];
  unit?: string;
}

/** What `config show --json` prints. */
export interface ShownConfig {
  /** The properties file read, or null when none was found (defaults and environment only). */
  file: string | null;
  keys: ShownKey[];
  warnings: string[];
}

const REDACTED = '[redacted]';

/** The configuration as `config show` presents it. */
export function showConfig(loaded: LoadedConfig): ShownConfig {
  const keys = (Object.entries(KEYS) as [ConfigKey, KeyDef][]).map(([key, def]) => {
    const value = valueAt(loaded.config, key);
    return {
      key,
      value: def.secret && value !== '' ? REDACTED : value,
      origin: loaded.sources[key],
      reload: def.reload,
      ...(def.unit ? { unit: def.unit } : {}),
    };
  });
  return { file: loaded.file ?? null, keys, warnings: loaded.warnings };
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (value === '') return '(empty)';
  return String(value);
}

/** The human table of `config show`. */
export function formatShown(shown: ShownConfig): string {
  const head = shown.file ? `configuration file: ${shown.file}\n` : 'configuration file: none found (defaults and NBWSS_* variables only)\n';
  const rows = shown.keys.map((k) => [k.key, formatValue(k.value), describeOrigin(k.origin)]);
  return head + formatTable(['KEY', 'VALUE', 'FROM'], rows);
}

/**
 * Checks across keys that the daemon makes at start (so `config check` fails where `nbwss run` would): a
 * non-loopback `admin.listen` needs `admin.token`.
 */
function crossChecks(loaded: LoadedConfig): void {
  const listen = parseListen(loaded.config.admin.listen);
  if (listen) checkListenPolicy(listen, loaded.config.admin.token);
}

/** Register `nbwss config`. */
export function registerConfigCommands(program: Command): void {
  const group = program
    .command('config')
    .description('the configuration: show each key with its value and where it comes from; check a file without starting anything');
  group.addHelpText(
    'after',
    `
Examples:
  nbwss config show                                  # every key: value and origin (default, file:line, environment)
  nbwss --config /etc/nbwss/nbwss.properties config show --json
  nbwss config check /etc/nbwss/nbwss.properties     # exit 0 valid, 1 invalid (the error names key, value, file:line)
  nbwss config check --strict new.properties         # warnings (unknown keys…) fail the check too`,
  );

  withConfigOption(group.command('show'))
    .description("each key's value in force and where it comes from: default, file:line or environment variable (secrets redacted)")
    .option('--json', 'print {file, keys: [{key, value, origin, reload, unit}], warnings}')
    .action(
      action((opts: GlobalOptions & { json?: boolean }) => {
        const shown = showConfig(loadCliConfig(opts));
        process.stdout.write(opts.json ? `${JSON.stringify(shown, null, 2)}\n` : formatShown(shown));
      }),
    );

  withConfigOption(group.command('check').argument('[file]', 'the properties file (default: --config, $NBWSS_CONFIG, else config/nbwss.properties)'))
    .description('validate a configuration (file and NBWSS_* variables) as nbwss run would, without starting anything: exit 0 valid, 1 not')
    .option('--strict', 'warnings (unknown keys or variables, suspicious values) fail the check too')
    .option('--json', 'print {ok, file, error, warnings}')
    .action(
      action((file: string | undefined, opts: GlobalOptions & { strict?: boolean; json?: boolean }) => {
        const options = file === undefined ? opts : { ...opts, config: file };
        let loaded: LoadedConfig | undefined;
        let error: string | undefined;
        try {
          loaded = loadCliConfig(options);
          crossChecks(loaded);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          error = err.message;
        }
        const warnings = loaded?.warnings ?? [];
        const ok = error === undefined && !(opts.strict && warnings.length > 0);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok, file: loaded?.file ?? options.config ?? null, error: error ?? null, warnings }, null, 2)}\n`);
          return ok ? 0 : 1;
        }
        if (error !== undefined) {
          process.stderr.write(`nbwss: ${error}\n`);
          return 1;
        }
        const fromFile = Object.values(loaded!.sources).filter((o) => o.kind === 'file').length;
        const fromEnv = Object.values(loaded!.sources).filter((o) => o.kind === 'env').length;
        const where = loaded!.file ?? 'no file (defaults)';
        const counts = `${fromFile} key${fromFile === 1 ? '' : 's'} set in the file, ${fromEnv} by NBWSS_* variables`;
        if (!ok) {
          process.stderr.write(`nbwss: ${where}: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (--strict)\n`);
          return 1;
        }
        process.stdout.write(`ok: ${where} (${counts}${warnings.length > 0 ? `; ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''})\n`);
        return 0;
      }),
    );
}
