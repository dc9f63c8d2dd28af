export { loadConfig, parseValue, changedKeys, DEFAULT_CONFIG_FILE } from './config.js';
export type { Config, LoadedConfig, LoadConfigOptions, ValueSource } from './config.js';
export { KEYS, envName, LOG_LEVELS } from './keys.js';
export type { ConfigKey, KeyDef, ValueKind, Reload } from './keys.js';
export { parseProperties } from './properties.js';
export type { PropertyEntry } from './properties.js';
