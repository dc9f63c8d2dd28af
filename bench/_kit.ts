/**
 * What the benchmarks share (a file starting with `_`: `npm run bench` does not run it).
 */
import { join } from 'node:path';
import { loadConfig, type Config, type ConfigKey } from '../src/config/index.js';

/** `--name N` of the command line as a number (or `def`), and `--flag` as a boolean. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): { num: (name: string, def: number) => number; flag: (name: string) => boolean; list: (name: string) => string[] | undefined } {
  const at = (name: string) => argv.indexOf(`--${name}`);
  return {
    num: (name, def) => (at(name) >= 0 ? Number(argv[at(name) + 1]) : def),
    flag: (name) => at(name) >= 0,
    list: (name) => (at(name) >= 0 ? argv[at(name) + 1]!.split(',') : undefined),
  };
}

/** A daemon configuration on `dir` (database and key file inside it, no environment), with `overrides`. */
export function benchConfig(dir: string, overrides: Partial<Record<ConfigKey, string | number | boolean>>): Readonly<Config> {
  return loadConfig({ env: {}, cwd: dir, overrides: { 'db.path': join(dir, 'nbwss.db'), 'security.keyFile': join(dir, 'nbwss.key'), ...overrides } }).config;
}
