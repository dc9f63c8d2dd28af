/**
 * What the benchmarks share (a file starting with `_`: `npm run bench` does not run it).
 */
import { readFileSync } from 'node:fs';
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

/**
 * CPU time of this process's main thread (the event loop: user + system), µs, from /proc (Linux; 10 ms resolution),
 * or undefined elsewhere. Unlike `process.cpuUsage()` it leaves out the garbage collector's helper threads, and
 * unlike wall time it leaves out the time other processes took the core.
 */
export function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}
