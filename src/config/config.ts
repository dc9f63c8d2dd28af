import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { KEYS, LOG_LEVELS, envName, type ConfigKey, type KeyDef } from './keys.js';
import { parseProperties } from './properties.js';

/** The configuration, built once at start and frozen (STYLE §8). Durations keep the unit of their key. */
export interface Config {
  exception: { ignoreDecoder: boolean };
  notification: { sendTimeout: number; scheduledRate: number; delay: number; maxBatchSize: number; retention: number };
  keepAlive: { scheduledRate: number; maxPongMissAllowed: number };
  connectionInfo: { period: number; handshakeTimeout: number; reconnectOnClose: boolean };
  scheduledExecutor: { threadPoolSize: number };
  db: { path: string };
  security: { keyFile: string };
  netbackup: { baseUrl: string; tls: { rejectUnauthorized: boolean; caFile: string }; mock: boolean; mockTestRoutes: boolean };
  command: { timeout: number; maxConcurrent: number; maxQueued: number; maxQueuedBytes: number; maxBufferedBytes: number; allowedPathPrefixes: readonly string[] };
  admin: { listen: string; token: string };
  log: { level: (typeof LOG_LEVELS)[number]; file: string };
  simulator: {
    enabled: boolean;
    seed: number;
    jobsPerMinute: number;
    scenarios: readonly string[];
    primaryName: string;
    pollInterval: number;
  };
}

/** Where each key's value came from. */
export type ValueSource = 'default' | 'file' | 'env' | 'override';

/** Result of {@link loadConfig}. */
export interface LoadedConfig {
  config: Readonly<Config>;
  /** The properties file read, or undefined when none was found (defaults only). */
  file: string | undefined;
  /** Non-fatal findings (unknown keys), each naming the key and line. */
  warnings: string[];
  sources: Record<ConfigKey, ValueSource>;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `--config FILE`; must exist when given. */
  file?: string | undefined;
  /** Environment to read `NBWSS_CONFIG` and `NBWSS_*` keys from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values set by code (tests, `nbwss demo`), applied last. Strings are checked like file values. */
  overrides?: Partial<Record<ConfigKey, string | number | boolean>>;
  /** Base for relative paths (default `process.cwd()`). */
  cwd?: string;
}

/** The default location of the properties file, relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'config/nbwss.properties';

type Parsed = string | number | boolean | string[];

/** The longest delay a Node timer supports (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Check one raw string value of `key`. Returns the typed value, or a short reason it is invalid.
 */
export function parseValue(def: KeyDef, raw: string): { ok: true; value: Parsed } | { ok: false; reason: string } {
  const v = raw.trim();
  const decimal = /^\d+(\.\d+)?$/;
  switch (def.kind) {
    case 'boolean':
      if (/^(true|false)$/i.test(v)) return { ok: true, value: v.toLowerCase() === 'true' };
      return { ok: false, reason: 'must be true or false' };
    case 'seconds':
    case 'positiveNumber':
      // A period becomes a timer: Node fires a timer above 2^31-1 ms at once (TimeoutOverflowWarning), so cap it.
      if (def.kind === 'seconds' && decimal.test(v) && Number(v) * 1000 > MAX_TIMER_MS) {
        return { ok: false, reason: `must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days)` };
      }
      if (decimal.test(v) && Number(v) > 0) return { ok: true, value: Number(v) };
      return { ok: false, reason: `must be a number greater than 0${def.kind === 'seconds' ? ' (seconds, decimals allowed)' : ''}` };
    case 'secondsOrZero':
      if (decimal.test(v)) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a number of seconds, 0 or more (decimals allowed)' };
    case 'ms':
      if (/^\d+$/.test(v) && Number(v) > MAX_TIMER_MS) return { ok: false, reason: `must be at most ${MAX_TIMER_MS} milliseconds (about 24 days)` };
      if (/^\d+$/.test(v) && Number(v) > 0) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number of milliseconds greater than 0' };
    case 'positiveInt':
      if (/^\d+$/.test(v) && Number(v) >= 1 && Number.isSafeInteger(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number, 1 or more' };
    case 'int':
      if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number, 0 or more' };
    case 'string':
    case 'path':
      return { ok: true, value: v };
    case 'httpUrl': {
      try {
        const u = new URL(v);
        if (u.protocol === 'http:' || u.protocol === 'https:') return { ok: true, value: v.replace(/\/+$/, '') };
      } catch {
        /* reported below */
      }
      return { ok: false, reason: 'must be an http:// or https:// URL' };
    }
    case 'listen': {
      if (v === '') return { ok: true, value: '' };
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
      if (m && Number(m[2]) <= 65535) return { ok: true, value: v };
      return { ok: false, reason: 'must be host:port (e.g. 127.0.0.1:9464), or empty to turn it off' };
    }
    case 'list': {
      const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (items.length > 0) return { ok: true, value: items };
      return { ok: false, reason: 'must be a comma-separated list with at least one item' };
    }
    case 'logLevel':
      if ((LOG_LEVELS as readonly string[]).includes(v)) return { ok: true, value: v };
      return { ok: false, reason: `must be one of ${LOG_LEVELS.join(', ')}` };
  }
}

function defaultValue(def: KeyDef): Parsed {
  if (def.kind === 'list') return String(def.default).split(',');
  return def.default;
}

/** Build the convict schema from the key table (nested by the dots of each key). */
function convictSchema(): convict.Schema<Config> {
  const schema: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(KEYS) as [ConfigKey, KeyDef][]) {
    const parts = key.split('.');
    let node = schema;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = {
      doc: def.doc,
      default: defaultValue(def),
      format: (value: unknown) => {
        const ok = def.kind === 'list' ? Array.isArray(value) : typeof value === (typeof def.default === 'boolean' ? 'boolean' : typeof def.default);
        if (!ok) throw new Error(`${key}: wrong type`);
      },
      sensitive: def.secret === true,
    };
  }
  return schema as unknown as convict.Schema<Config>;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Read a properties file into checked values, throwing a ConfigError naming key, value, file and line. */
function readFileValues(file: string, warnings: string[], origin?: string): Map<ConfigKey, Parsed> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const from = origin ? ` (from ${origin})` : '';
    throw new ConfigError(`cannot read configuration file ${file}${from}: ${(err as Error).message}`, { cause: err });
  }
  const values = new Map<ConfigKey, Parsed>();
  for (const entry of parseProperties(text)) {
    if (entry.key.startsWith('hibernate.')) continue; // vendor-support keys of the real NBWSS: accepted, ignored
    const def = (KEYS as Record<string, KeyDef>)[entry.key];
    if (!def) {
      warnings.push(`unknown configuration key "${entry.key}" at ${file}:${entry.line} (ignored)`);
      continue;
    }
    const parsed = parseValue(def, entry.value);
    if (!parsed.ok) {
      throw new ConfigError(`invalid value for ${entry.key}: "${entry.value}" ${parsed.reason} (${file}:${entry.line})`);
    }
    values.set(entry.key as ConfigKey, parsed.value);
  }
  return values;
}

/**
 * Load the configuration: defaults, then the properties file (`--config FILE`, else `$NBWSS_CONFIG`, else
 * `config/nbwss.properties` when it exists), then `NBWSS_*` environment variables, then `overrides`.
 * Throws {@link ConfigError} on any invalid value.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const sources = Object.fromEntries(Object.keys(KEYS).map((k) => [k, 'default'])) as Record<ConfigKey, ValueSource>;

  let file: string | undefined;
  const explicit = options.file ?? (env.NBWSS_CONFIG ? env.NBWSS_CONFIG : undefined);
  const fileValues = new Map<ConfigKey, Parsed>();
  if (explicit !== undefined) {
    file = resolve(cwd, explicit);
    const origin = options.file !== undefined ? '--config' : '$NBWSS_CONFIG';
    for (const [k, v] of readFileValues(file, warnings, origin)) fileValues.set(k, v);
  } else {
    const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
    try {
      readFileSync(candidate);
      file = candidate;
    } catch {
      file = undefined;
    }
    if (file) for (const [k, v] of readFileValues(file, warnings)) fileValues.set(k, v);
  }

  const values: Partial<Record<ConfigKey, Parsed>> = {};
  for (const [k, v] of fileValues) {
    values[k] = v;
    sources[k] = 'file';
  }
  for (const [key, def] of Object.entries(KEYS) as [ConfigKey, KeyDef][]) {
    const name = envName(key);
    const raw = env[name];
    if (raw === undefined) continue;
    const parsed = parseValue(def, raw);
    if (!parsed.ok) throw new ConfigError(`invalid value for ${key}: "${raw}" ${parsed.reason} (environment variable ${name})`);
    values[key] = parsed.value;
    sources[key] = 'env';
  }
  for (const [key, raw] of Object.entries(options.overrides ?? {}) as [ConfigKey, string | number | boolean][]) {
    const def = (KEYS as Record<string, KeyDef>)[key];
    if (!def) throw new ConfigError(`unknown configuration key "${key}" in overrides`);
    const parsed = parseValue(def, String(raw));
    if (!parsed.ok) throw new ConfigError(`invalid value for ${key}: "${String(raw)}" ${parsed.reason} (override)`);
    values[key] = parsed.value;
    sources[key] = 'override';
  }

  const c = convict<Config>(convictSchema(), { env: {}, args: [] });
  for (const [k, v] of Object.entries(values)) c.set(k as never, v as never);
  try {
    c.validate({ allowed: 'strict' });
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`, { cause: err });
  }
  const config = c.getProperties();
  return { config: deepFreeze(config), file, warnings, sources };
}

/** Keys whose value differs between two configurations. */
export function changedKeys(a: Config, b: Config): ConfigKey[] {
  const get = (c: Config, key: string): unknown => key.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], c);
  return (Object.keys(KEYS) as ConfigKey[]).filter((k) => JSON.stringify(get(a, k)) !== JSON.stringify(get(b, k)));
}
