export { loadConfig, changedKeys, deepFreeze, describeOrigin, keyDef, valueAt, DEFAULT_CONFIG_FILE, OTHER_VARIABLES } from './config.js';
export type { Config, LoadedConfig, LoadConfigOptions, ValueOrigin } from './config.js';
export { parseKind, parseValue, defaultValue, MAX_TIMER_MS } from './formats.js';
export type { Parsed, ParseResult } from './formats.js';
export { KEYS, envName, LOG_FORMATS, LOG_LEVELS } from './keys.js';
export type { ConfigKey, KeyDef, ValueKind, Reload } from './keys.js';
export { decodeProperties, parseProperties } from './properties.js';
export type { PropertyEntry } from './properties.js';
