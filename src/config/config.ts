import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultValue, parseValue, type Parsed } from './formats.js';
import { KEYS, LOG_FORMATS, LOG_LEVELS, envName, type ConfigKey, type KeyDef } from './keys.js';
import { decodeProperties, parseProperties } from './properties.js';
import { closest } from './suggest.js';

/**
 * Loading the configuration (STYLE §8): the key table (keys.ts) is the schema — format, default, documentation,
 * environment variable — and this module layers the sources over the defaults, checks every value where it is
 * read (so an error names the key, the value and the place: `file:line`, the variable, the flag), and returns one
 * frozen object with the origin of each value.
 *
 * nbwss used convict for this until issue 13; see docs/configuration.md ("Why not convict") for why it went.
 */

/** The configuration, built once at start and frozen. Durations keep the unit of their key. */
export interface Config {
  exception: { ignoreDecoder: boolean };
  notification: { sendTimeout: number; scheduledRate: number; delay: number; maxBatchSize: number; retention: number; backlogWarning: number };
  keepAlive: { scheduledRate: number; maxPongMissAllowed: number };
  connectionInfo: { period: number; handshakeTimeout: number; reconnectOnClose: boolean };
  scheduledExecutor: { threadPoolSize: number };
  db: { path: string };
  security: { keyFile: string };
  netbackup: { baseUrl: string; tls: { rejectUnauthorized: boolean; caFile: string }; mock: boolean; mockTestRoutes: boolean };
  command: { timeout: number; maxConcurrent: number; maxQueued: number; maxQueuedBytes: number; maxBufferedBytes: number; allowedPathPrefixes: readonly string[] };
  admin: { listen: string; eventHistory: number; token: string };
  log: { level: (typeof LOG_LEVELS)[number]; file: string; format: (typeof LOG_FORMATS)[number] };
  simulator: {
    enabled: boolean;
    seed: number;
    jobsPerMinute: number;
    scenarios: readonly string[];
    primaryName: string;
    pollInterval: number;
  };
}

/** Where a key's value came from. */
export type ValueOrigin =
  | { kind: 'default' }
  | { kind: 'file'; file: string; line: number }
  | { kind: 'env'; variable: string }
  | { kind: 'override'; label?: string };

/** Result of {@link loadConfig}. */
export interface LoadedConfig {
  config: Readonly<Config>;
  /** The properties file read, or undefined when none was found (defaults only). */
  file: string | undefined;
  /** Non-fatal findings (unknown keys and variables, suspicious values), each naming the place. */
  warnings: string[];
  /** Where each key's value came from. */
  sources: Record<ConfigKey, ValueOrigin>;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `--config FILE`; must exist when given. */
  file?: string | undefined;
  /** Environment to read `NBWSS_CONFIG` and `NBWSS_*` keys from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values set by code (tests, `nbwss demo`, CLI flags), applied last. Strings are checked like file values. */
  overrides?: Partial<Record<ConfigKey, string | number | boolean>>;
  /** How to name an override in errors and in `config show` (a flag such as `--rate`), per key. */
  overrideLabels?: Partial<Record<ConfigKey, string>>;
  /** Working directory: base of a relative `--config`, and of relative paths when no file is used (default `process.cwd()`). */
  cwd?: string;
}

/** The default location of the properties file, relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'config/nbwss.properties';

/** `NBWSS_*` variables that are not keys but are read by nbwss. */
export const OTHER_VARIABLES: readonly string[] = ['NBWSS_CONFIG', 'NBWSS_DEBUG'];

/** The key table entry of `key`, looking at the table's own keys only (`constructor` is not a key). */
export function keyDef(key: string): KeyDef | undefined {
  return Object.hasOwn(KEYS, key) ? (KEYS as Record<string, KeyDef>)[key] : undefined;
}

/** Freeze `o` and everything reachable from it. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** How an origin reads in a message: `file:line`, `environment variable X`, … */
export function describeOrigin(origin: ValueOrigin): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `${origin.file}:${origin.line}`;
    case 'env':
      return `environment variable ${origin.variable}`;
    case 'override':
      return origin.label ?? 'override';
  }
}

/** A key's checked value and its origin. */
interface Setting {
  value: Parsed;
  origin: ValueOrigin;
}

/** Check `raw` for `key`; a ConfigError names the key, the value and where it came from. */
function check(key: ConfigKey, def: KeyDef, raw: string, origin: ValueOrigin): Setting {
  const parsed = parseValue(def, raw);
  if (!parsed.ok) {
    const shown = def.secret ? '(secret)' : `"${raw}"`;
    throw new ConfigError(`invalid value for ${key}: ${shown} ${parsed.reason} (${describeOrigin(origin)})`);
  }
  return { value: parsed.value, origin };
}

/** Read a properties file into checked settings; unknown keys become warnings naming the line. */
function readFileSettings(file: string, warnings: string[], from?: string): Map<ConfigKey, Setting> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}${from ? ` (from ${from})` : ''}: ${(err as Error).message}`, { cause: err });
  }
  const settings = new Map<ConfigKey, Setting>();
  for (const entry of parseProperties(decodeProperties(bytes, file))) {
    if (entry.key.startsWith('hibernate.')) continue; // vendor-support keys of the real NBWSS: accepted, ignored
    const def = keyDef(entry.key);
    if (!def) {
      const hint = closest(entry.key, Object.keys(KEYS));
      warnings.push(`unknown configuration key "${entry.key}" at ${file}:${entry.line} (ignored${hint ? `; did you mean ${hint}?` : ''})`);
      continue;
    }
    const key = entry.key as ConfigKey;
    settings.set(key, check(key, def, entry.value, { kind: 'file', file, line: entry.line }));
  }
  return settings;
}

/** The file to read: `--config`, else `$NBWSS_CONFIG`, else `config/nbwss.properties` when it exists. */
function locateFile(options: LoadConfigOptions, env: NodeJS.ProcessEnv, cwd: string): { file: string; from?: string } | undefined {
  if (options.file !== undefined) return { file: resolve(cwd, options.file), from: '--config' };
  if (env.NBWSS_CONFIG) return { file: resolve(cwd, env.NBWSS_CONFIG), from: '$NBWSS_CONFIG' };
  const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(candidate) ? { file: candidate } : undefined;
}

/** Warnings about values that are valid but almost certainly not meant. */
function lint(settings: Record<ConfigKey, Setting>): string[] {
  const out: string[] = [];
  const base = settings['netbackup.baseUrl'];
  if (/\/netbackup\/*$/i.test(String(base.value))) {
    out.push(
      `netbackup.baseUrl ${String(base.value)} (${describeOrigin(base.origin)}) ends with /netbackup: COMMAND uris already start with /netbackup/, ` +
        `so requests would go to /netbackup/netbackup/…; give the server only, e.g. ${String(base.value).replace(/\/netbackup\/*$/i, '')}`,
    );
  }
  return out;
}

/**
 * Load the configuration: defaults, then the properties file (`--config FILE`, else `$NBWSS_CONFIG`, else
 * `config/nbwss.properties` when it exists), then `NBWSS_*` environment variables, then `overrides`.
 *
 * Relative paths (`db.path`, `security.keyFile`, `log.file`, `netbackup.tls.caFile`) written in the file, or left
 * at their default while a file is in use, resolve against the file's folder; from the environment or with no
 * file, against the working directory. Every path in the result is absolute.
 *
 * Throws {@link ConfigError} on any invalid value, naming the key, the value and where it came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const located = locateFile(options, env, cwd);
  const fileSettings = located ? readFileSettings(located.file, warnings, located.from) : new Map<ConfigKey, Setting>();

  const settings = {} as Record<ConfigKey, Setting>;
  for (const [key, def] of Object.entries(KEYS) as [ConfigKey, KeyDef][]) {
    settings[key] = fileSettings.get(key) ?? { value: defaultValue(def), origin: { kind: 'default' } };
  }
  const known = new Set<string>(OTHER_VARIABLES);
  for (const [key, def] of Object.entries(KEYS) as [ConfigKey, KeyDef][]) {
    const variable = envName(key);
    known.add(variable);
    const raw = env[variable];
    if (raw !== undefined) settings[key] = check(key, def, raw, { kind: 'env', variable });
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith('NBWSS_') || known.has(name)) continue;
    const hint = closest(name, [...known]);
    warnings.push(`unknown environment variable ${name} (ignored${hint ? `; did you mean ${hint}?` : ''})`);
  }
  for (const [key, raw] of Object.entries(options.overrides ?? {}) as [ConfigKey, string | number | boolean][]) {
    const def = keyDef(key);
    if (!def) throw new ConfigError(`unknown configuration key "${key}" in overrides`);
    const label = options.overrideLabels?.[key];
    settings[key] = check(key, def, String(raw), { kind: 'override', ...(label ? { label } : {}) });
  }

  const fileBase = located ? dirname(located.file) : cwd;
  const config: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(KEYS) as [ConfigKey, KeyDef][]) {
    const s = settings[key];
    let value = s.value;
    if (def.kind === 'path' && value !== '' && !isAbsolute(String(value))) {
      value = resolve(s.origin.kind === 'file' || s.origin.kind === 'default' ? fileBase : cwd, String(value));
    }
    const parts = key.split('.');
    let node = config;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  }
  warnings.push(...lint(settings));
  const sources = Object.fromEntries(Object.entries(settings).map(([k, s]) => [k, s.origin])) as Record<ConfigKey, ValueOrigin>;
  return { config: deepFreeze(config as unknown as Config), file: located?.file, warnings, sources };
}

/** The value of `key` in `config`. */
export function valueAt(config: Readonly<Config>, key: ConfigKey): unknown {
  return key.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], config);
}

/** Keys whose value differs between two configurations. */
export function changedKeys(a: Readonly<Config>, b: Readonly<Config>): ConfigKey[] {
  return (Object.keys(KEYS) as ConfigKey[]).filter((k) => JSON.stringify(valueAt(a, k)) !== JSON.stringify(valueAt(b, k)));
}
