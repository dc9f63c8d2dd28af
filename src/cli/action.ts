import { Command } from 'commander';
import { NbwssError, UsageError } from '../errors.js';

/**
 * How every command ends: errors printed one way, exit codes chosen one way (0 success, 1 operational error,
 * 2 usage error). Kept free of heavy imports: `nbwss --help` loads it.
 */

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
 * The options of a command merged with the global ones given before it (`nbwss --config F --json status`); the
 * command's own win. A global `--json` on a command without JSON output is a usage error.
 */
export function mergedOptions(cmd: Command): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  for (const c of chain) {
    for (const [k, v] of Object.entries(c.opts())) if (v !== undefined) merged[k] = v;
  }
  const root = chain[0]!;
  if (root !== cmd && root.opts().json === true && !cmd.options.some((o) => o.attributeName() === 'json')) {
    throw new UsageError(`--json: "${commandPath(cmd)}" has no JSON output`);
  }
  return merged;
}

/** `endpoints list` for the command `list` under `endpoints`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Wrap a command action: merges the global options into the command's, runs it, prints errors, sets the exit
 * code. The action may return a number (exit code) or a promise of one.
 */
export function action<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      // commander calls an action with (...arguments, options, command)
      const cmd = args[args.length - 1];
      if (cmd instanceof Command) (args as unknown[])[args.length - 2] = mergedOptions(cmd);
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}
