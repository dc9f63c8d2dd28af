/**
 * Reloading the configuration while the daemon runs (SIGHUP). Keys marked `reload: 'live'` in keys.ts take their
 * new value at once; keys marked `reload: 'restart'` keep the value the daemon started with (so the configuration
 * in force always describes what actually runs) and are reported as needing a restart.
 *
 * Services never hold a copy: they read `ctx.config.<section>` (or a getter over it) when they need a value, and
 * `ctx.config` is {@link ConfigHolder.view}, whose sections always read the configuration in force.
 */
import { EventEmitter } from 'node:events';
import { changedKeys, deepFreeze, valueAt, type Config } from './config.js';
import { KEYS, type ConfigKey, type KeyDef } from './keys.js';

/** What a reload did. */
export interface ConfigChange {
  /** Live keys whose new value is in force now. */
  applied: ConfigKey[];
  /** Keys whose value changed but that only a restart applies: the running value is kept. */
  restartNeeded: ConfigKey[];
}

/** Events of {@link ConfigHolder}. */
export interface ConfigHolderEvents {
  /** A reload changed at least one live key; `config` is the configuration now in force. */
  change: [change: ConfigChange, config: Readonly<Config>];
}

type Mutable = Record<string, unknown>;

/**
 * The configuration to put in force when `next` was read while `current` runs: `next` for live keys, `current`
 * for restart keys; with the keys of each kind that changed.
 */
export function planReload(current: Readonly<Config>, next: Readonly<Config>): { config: Readonly<Config>; change: ConfigChange } {
  const changed = changedKeys(current, next);
  const isLive = (k: ConfigKey) => (KEYS[k] as KeyDef).reload === 'live';
  const restartNeeded = changed.filter((k) => !isLive(k));
  // Every value is JSON (numbers, strings, booleans, string lists): a JSON copy is a deep copy.
  const merged = JSON.parse(JSON.stringify(next)) as Config;
  for (const key of restartNeeded) {
    const parts = key.split('.');
    let node = merged as unknown as Mutable;
    for (const p of parts.slice(0, -1)) node = node[p] as Mutable;
    node[parts[parts.length - 1]!] = structuredClone(valueAt(current, key));
  }
  return { config: deepFreeze(merged), change: { applied: changed.filter(isLive), restartNeeded } };
}

/**
 * Holds the configuration in force. {@link view} is what the daemon hands to its services as `ctx.config`: an
 * object whose sections are getters, so `ctx.config.notification.delay` read after a reload gives the new value.
 */
export class ConfigHolder extends EventEmitter<ConfigHolderEvents> {
  #current: Readonly<Config>;
  /** The live view (see the class comment). */
  readonly view: Readonly<Config>;

  constructor(initial: Readonly<Config>) {
    super();
    this.#current = initial;
    const view = {};
    for (const section of Object.keys(initial)) {
      Object.defineProperty(view, section, { enumerable: true, get: () => (this.#current as unknown as Mutable)[section] });
    }
    this.view = Object.freeze(view) as Readonly<Config>;
  }

  /** The configuration in force (a frozen snapshot). */
  get current(): Readonly<Config> {
    return this.#current;
  }

  /** Put `next` in force as {@link planReload} says; emits `change` when a live key changed. */
  apply(next: Readonly<Config>): ConfigChange {
    const { config, change } = planReload(this.#current, next);
    if (change.applied.length > 0) {
      this.#current = config;
      this.emit('change', change, config);
    }
    return change;
  }
}
