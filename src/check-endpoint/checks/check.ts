import type { RunContext } from '../context.js';
import type { Outcome } from '../types.js';

/** The code of one check (its id, title and section are in the conformance catalogue). */
export interface CheckImpl {
  id: string;
  /** Checks that must not have failed (or been skipped) for this one to mean anything. */
  needs?: readonly string[];
  /** Judged from what the whole run observed: runs after every other check. */
  final?: boolean;
  run(ctx: RunContext): Promise<Outcome>;
}

/** A passing outcome. */
export const pass = (message: string): Outcome => ({ status: 'pass', message });
/** A failing outcome (`expected` defaults to the catalogue's). */
export const fail = (message: string, expected?: string): Outcome => ({ status: 'fail', message, ...(expected ? { expected } : {}) });
/** A warning (`expected` defaults to the catalogue's). */
export const warn = (message: string, expected?: string): Outcome => ({ status: 'warn', message, ...(expected ? { expected } : {}) });
/** Not judged, with the reason. */
export const skip = (message: string): Outcome => ({ status: 'skip', message });

/** `1,234 ms` → rounded figures for messages. */
export function ms(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')} ms`;
}
